// Characters (MECHANICS §10): the coach characters a conversation can be started with.
// Global data, seeded from src/llm/characters.ts by `npx convex run characters:seed`.
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { userQuery } from "./functions";
import { listCharacters, seedCharacters } from "./model/characters";
import schema from "./schema";
import { mapperOf } from "./validators";

/**
 * A character as the picker shows it; `key` is what conversations.start takes as
 * `character`. The personality prompt stays server-side: it is the character's
 * instructions, not copy.
 */
const vCharacterView = schema.tables.characters.validator.pick(
  "key", "name", "tagline", "attributeFocus", "scenario", "avatarUrl",
);
const toCharacterView = mapperOf(vCharacterView);

/** Every character, in the picker's order (empty until characters.seed has run; TARS still answers). */
export const list = userQuery({
  args: {},
  returns: v.array(vCharacterView),
  handler: async (ctx) => (await listCharacters(ctx)).map(toCharacterView),
});

/** Seeds the characters (idempotent). Run once after each deploy: `npx convex run characters:seed`. */
export const seed = internalMutation({
  args: {},
  returns: v.object({ inserted: v.number(), updated: v.number() }),
  handler: async (ctx) => await seedCharacters(ctx),
});
