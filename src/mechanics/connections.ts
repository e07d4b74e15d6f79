// Connection rules (MECHANICS §2, docs/mechanics.md "Connections"): one row per (type,
// pair), strength that grows when a connection is detected again, bounded evidence.
// Pure: same-user and existence checks belong to convex/model/connections.ts.
import type { ConnectionType, StarType } from "../domain";
import { SYMMETRIC_CONNECTION_TYPES, UNORDERED_PAIR_CONNECTION_TYPES } from "../domain";

export const CONNECTION_CONSTANTS = {
  DEFAULT_STRENGTH: 0.5,
  /** Each re-detection closes this fraction of the gap to 1. */
  STRENGTHEN_RATE: 0.2,
  /** Newest evidence quotes kept per connection. */
  MAX_EVIDENCE: 10,
} as const;

export type ConnectionError = "SELF_CONNECTION" | "INVALID_ARGUMENT";

/** resonance and tension: A–B and B–A are the same connection. */
export function isSymmetric(type: ConnectionType): boolean {
  return SYMMETRIC_CONNECTION_TYPES.includes(type);
}

/** resonance, tension and shadow_mirror: the pair has no direction (one row per pair). */
export function isUnorderedPair(type: ConnectionType): boolean {
  return UNORDERED_PAIR_CONNECTION_TYPES.includes(type);
}

/**
 * The stored order of a pair: unordered types sort the ids (code-unit order, like the
 * schema's starA < starB) so a pair has one row; directed types keep A → B.
 */
export function canonicalPair<Id extends string>(
  type: ConnectionType,
  a: Id,
  b: Id,
): { starA: Id; starB: Id } {
  return isUnorderedPair(type) && b < a ? { starA: b, starB: a } : { starA: a, starB: b };
}

/** Re-detection: strength' = strength + 0.2·(1 − strength); approaches 1, never passes it. */
export function strengthen(strength: number): number {
  return strength + CONNECTION_CONSTANTS.STRENGTHEN_RATE * (1 - strength);
}

/** Append a quote (oldest first) and keep the newest MAX_EVIDENCE. */
export function appendEvidence<Q>(evidence: readonly Q[], quote: Q): Q[] {
  return [...evidence, quote].slice(-CONNECTION_CONSTANTS.MAX_EVIDENCE);
}

/** Error code for a connection the rules forbid, or null when it may be stored. */
export function validateConnection(input: {
  starA: string;
  starB: string;
  strength?: number;
}): ConnectionError | null {
  if (input.starA === input.starB) return "SELF_CONNECTION";
  const strength = input.strength ?? CONNECTION_CONSTANTS.DEFAULT_STRENGTH;
  if (!Number.isFinite(strength) || strength < 0 || strength > 1) return "INVALID_ARGUMENT";
  return null;
}

/**
 * Which ends of a shadow_mirror the daily job drains: the end opposite a dark star. A dark
 * type is never dormant (dormant is classified first), so "non-dormant dark" is `type ===
 * "dark"`. When both ends are dark, each drains the other.
 */
export function shadowMirrorDrainedEnds(typeA: StarType, typeB: StarType): ("starA" | "starB")[] {
  const ends: ("starA" | "starB")[] = [];
  if (typeB === "dark") ends.push("starA");
  if (typeA === "dark") ends.push("starB");
  return ends;
}
