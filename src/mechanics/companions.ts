// Relationships with companions (MECHANICS §10): interactions, level and depth tier, and
// what each tier lets a character draw on in a turn. Pure: the caller passes local dates.
import type { RelationshipTier } from "../domain";
import type { LocalDate } from "../time";

/** A completed conversation counts as an interaction only with at least 3 user messages. */
export const MIN_USER_MESSAGES_FOR_INTERACTION = 3;
export const MAX_RELATIONSHIP_LEVEL = 10;

/**
 * `level = min(10, floor(sqrt(2 · interactions)))`: 1 → 1, 5 → 3, 13 → 5, 50 → 10. A count
 * that is not a whole number ≥ 0 is a bug upstream; it reads as no relationship (level 0).
 */
export function relationshipLevel(interactions: number): number {
  if (!Number.isSafeInteger(interactions) || interactions <= 0) return 0;
  // sqrt of an integer is correctly rounded (IEEE 754), so perfect squares floor exactly.
  return Math.min(MAX_RELATIONSHIP_LEVEL, Math.floor(Math.sqrt(2 * interactions)));
}

/** Levels 0–2 acquaintance, 3–6 companion, 7–10 confidant. */
export function relationshipTier(level: number): RelationshipTier {
  if (level >= 7) return "confidant";
  if (level >= 3) return "companion";
  return "acquaintance";
}

/**
 * What a character may draw on in a turn, per tier (docs/mechanics.md §10: the tier changes
 * the context, never a formula). `memories`: how many of the user's earlier completed
 * conversations with this character the prompt recalls (its last user words, or its summary).
 * The stars and recent turns stay at the prompt's bounds for every tier, so a first
 * conversation with anyone sees what TARS always saw.
 */
export const TIER_ALLOWANCES: Readonly<Record<RelationshipTier, { memories: number }>> = Object.freeze({
  acquaintance: { memories: 0 },
  companion: { memories: 3 },
  confidant: { memories: 6 },
});

/**
 * Whether a completed conversation counts as an interaction on local date `today`: at least
 * 3 user messages, and `today` after the last counted date of this character (at most one
 * per character per local date; a date that went backwards after a time-zone change does
 * not count again, like the mirror's advance).
 */
export function countsAsInteraction(
  userMessageCount: number,
  today: LocalDate,
  lastInteractionDate: LocalDate | undefined,
): boolean {
  if (userMessageCount < MIN_USER_MESSAGES_FOR_INTERACTION) return false;
  return lastInteractionDate === undefined || today > lastInteractionDate;
}

/** The fewest interactions that reach `level`: ceil(level² / 2) (level 3 → 5, 10 → 50). */
export function interactionsForLevel(level: number): number {
  return Math.ceil((level * level) / 2);
}
