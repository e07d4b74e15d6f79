// Relationships with characters (MECHANICS §10): the only writer of `relationships`. An
// interaction is a completed conversation with ≥ 3 user messages, counted at most once per
// character per local date; the level and tier follow from the count
// (src/mechanics/companions.ts), and the tier decides what a turn may draw on.
import type { RelationshipTier } from "../../src/domain";
import { DEFAULT_CHARACTER_KEY } from "../../src/llm/characters";
import type { PromptCharacter, PromptMemory, PromptRelationship } from "../../src/llm/prompts";
import {
  TIER_ALLOWANCES,
  countsAsInteraction,
  relationshipLevel,
  relationshipTier,
} from "../../src/mechanics/companions";
import { localDate, effectiveTimeZone } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { CHARACTERS_LIMIT, personaFor } from "./characters";

/** Messages read from the end of an earlier conversation to find its last user words. */
const MEMORY_TAIL_MESSAGES = 6;

export async function relationshipRow(
  ctx: QueryCtx,
  userId: Id<"users">,
  characterKey: string,
): Promise<Doc<"relationships"> | null> {
  return await ctx.db
    .query("relationships")
    .withIndex("by_user_character", (q) => q.eq("userId", userId).eq("characterKey", characterKey))
    .unique();
}

/** A user's relationships, one per character they have completed a conversation with. */
export async function listRelationships(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"relationships">[]> {
  return await ctx.db
    .query("relationships")
    .withIndex("by_user_character", (q) => q.eq("userId", userId))
    .take(CHARACTERS_LIMIT);
}

export type RelationshipStanding = { interactions: number; level: number; tier: RelationshipTier };

export function standingOf(row: Doc<"relationships"> | null): RelationshipStanding {
  const interactions = row?.interactions ?? 0;
  const level = relationshipLevel(interactions);
  return { interactions, level, tier: relationshipTier(level) };
}

/**
 * Counts a just-completed conversation as an interaction with its character when it had at
 * least 3 user messages and none was counted for this character on the user's local date
 * yet. Returns whether it counted.
 */
export async function recordInteraction(
  ctx: MutationCtx,
  user: Doc<"users">,
  conversation: Doc<"conversations">,
  now: number,
): Promise<boolean> {
  const characterKey = conversation.characterKey ?? DEFAULT_CHARACTER_KEY;
  const today = localDate(now, effectiveTimeZone(user));
  const row = await relationshipRow(ctx, user._id, characterKey);
  if (!countsAsInteraction(conversation.userMessageCount, today, row?.lastInteractionDate)) return false;
  const interactions = (row?.interactions ?? 0) + 1;
  const fields = { interactions, level: relationshipLevel(interactions), lastInteractionDate: today, lastInteractionAt: now };
  if (row === null) await ctx.db.insert("relationships", { userId: user._id, characterKey, createdAt: now, ...fields });
  else await ctx.db.patch("relationships", row._id, fields);
  return true;
}

/**
 * What the tier lets the character recall in this turn: up to TIER_ALLOWANCES[tier].memories
 * earlier completed conversations with the same character, newest first, each as its summary
 * or else its last user message. Bounded reads: a few conversations and a few messages each.
 */
export async function memoriesFor(
  ctx: QueryCtx,
  user: Doc<"users">,
  conversation: Doc<"conversations">,
  tier: RelationshipTier,
): Promise<PromptMemory[]> {
  const count = TIER_ALLOWANCES[tier].memories;
  if (count === 0) return [];
  const characterKey = conversation.characterKey ?? DEFAULT_CHARACTER_KEY;
  // Completed ones only, by index: abandoned conversations (history) never crowd them out;
  // started strictly before this one, so a turn never recalls its own conversation.
  const completed = await ctx.db
    .query("conversations")
    .withIndex("by_user_character_status", (q) =>
      q
        .eq("userId", user._id)
        .eq("characterKey", characterKey)
        .eq("status", "completed")
        .lt("startedAt", conversation.startedAt),
    )
    .order("desc")
    .take(count);
  const memories = await Promise.all(
    completed.map(async (c): Promise<PromptMemory | null> => {
      const date = localDate(c.completedAt ?? c.lastMessageAt, effectiveTimeZone(user));
      if (c.summary !== undefined && c.summary.trim().length > 0) return { date, text: c.summary };
      const tail = await ctx.db
        .query("messages")
        .withIndex("by_conversation", (q) => q.eq("conversationId", c._id))
        .order("desc")
        .take(MEMORY_TAIL_MESSAGES);
      const lastWords = tail.find((message) => message.role === "user");
      return lastWords === undefined ? null : { date, text: lastWords.content };
    }),
  );
  return memories.filter((memory): memory is PromptMemory => memory !== null);
}

export type CompanionContext = { character: PromptCharacter; relationship: PromptRelationship; memories: PromptMemory[] };

/**
 * Who answers a turn of `conversation` and what they may draw on: the character's persona
 * (server data, for the system prompt), the user's standing with it, and the memories its
 * tier allows (user-derived, for the context data). The extraction's context loader calls this.
 */
export async function companionContext(
  ctx: QueryCtx,
  user: Doc<"users">,
  conversation: Doc<"conversations">,
): Promise<CompanionContext> {
  const characterKey = conversation.characterKey ?? DEFAULT_CHARACTER_KEY;
  const [character, row] = await Promise.all([
    personaFor(ctx, characterKey),
    relationshipRow(ctx, user._id, characterKey),
  ]);
  const { level, tier } = standingOf(row);
  return { character, relationship: { level, tier }, memories: await memoriesFor(ctx, user, conversation, tier) };
}
