// Characters (MECHANICS §10): the global table seeded from src/llm/characters.ts, the key a
// conversation is started with, and the persona a turn is answered in. Only the seed writes
// the table, so a persona is server data and may go into a system prompt.
import {
  CHARACTER_KEY_PATTERN,
  CHARACTER_SEED,
  DEFAULT_CHARACTER,
  DEFAULT_CHARACTER_KEY,
  characterSeed,
  type CharacterSeed,
} from "../../src/llm/characters";
import type { PromptCharacter } from "../../src/llm/prompts";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { invalidArgument, notFound } from "../errors";

/** The table is curated (five characters ship); reads of all of it stop here. */
export const CHARACTERS_LIMIT = 100;

export async function characterByKey(ctx: QueryCtx, key: string): Promise<Doc<"characters"> | null> {
  return await ctx.db
    .query("characters")
    .withIndex("by_key", (q) => q.eq("key", key))
    .unique();
}

/** Every character, in the seed's order. */
export async function listCharacters(ctx: QueryCtx): Promise<Doc<"characters">[]> {
  return await ctx.db.query("characters").withIndex("by_sort_order").take(CHARACTERS_LIMIT);
}

/**
 * The key a new conversation is answered by: the given one if the character exists
 * (NOT_FOUND otherwise), TARS when none is given. TARS is always available, even before
 * characters.seed has run, so a deployment without the seed coaches as it always did.
 */
export async function conversationCharacterKey(ctx: QueryCtx, key: string | undefined): Promise<string> {
  if (key === undefined || key === DEFAULT_CHARACTER_KEY) return DEFAULT_CHARACTER_KEY;
  if (!CHARACTER_KEY_PATTERN.test(key)) throw invalidArgument("character must be a character key, e.g. \"eliza\"");
  if ((await characterByKey(ctx, key)) === null) throw notFound("character");
  return key;
}

/**
 * The persona of a conversation's character: the table's row; the seed's entry for the key
 * when the row is missing (not seeded yet); TARS as the last resort (a key since removed).
 */
export async function personaFor(ctx: QueryCtx, key: string | undefined): Promise<PromptCharacter> {
  const persona = await characterProfile(ctx, key);
  return { name: persona.name, personality: persona.personality };
}

/** A character's fields by key, with the same fallbacks as personaFor. */
export async function characterProfile(ctx: QueryCtx, key: string | undefined): Promise<CharacterSeed> {
  const resolved = key ?? DEFAULT_CHARACTER_KEY;
  return (await characterByKey(ctx, resolved)) ?? characterSeed(resolved) ?? DEFAULT_CHARACTER;
}

export type CharacterSeedCounts = { inserted: number; updated: number };

/** Upserts CHARACTER_SEED by key. Running it again inserts nothing and updates only what changed. */
export async function seedCharacters(ctx: MutationCtx): Promise<CharacterSeedCounts> {
  const counts: CharacterSeedCounts = { inserted: 0, updated: 0 };
  for (const [sortOrder, seed] of CHARACTER_SEED.entries()) {
    const fields = { ...seed, sortOrder };
    const existing = await characterByKey(ctx, seed.key);
    if (existing === null) {
      await ctx.db.insert("characters", fields);
      counts.inserted += 1;
      continue;
    }
    const changed = (Object.keys(fields) as (keyof typeof fields)[]).some((field) => existing[field] !== fields[field]);
    if (changed) {
      await ctx.db.patch("characters", existing._id, fields);
      counts.updated += 1;
    }
  }
  return counts;
}
