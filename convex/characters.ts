// Characters (MECHANICS §10): the coach characters a conversation can be started with.
// Global data, seeded from src/llm/characters.ts by `npx convex run characters:seed`.
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";
import { userQuery } from "./functions";
import { listCharacters, seedCharacters } from "./model/characters";
import { vMissionAttribute, vScenario } from "./validators";

const vCharacterView = v.object({
  /** What conversations.start takes as `character`. */
  key: v.string(),
  name: v.string(),
  tagline: v.string(),
  attributeFocus: vMissionAttribute,
  scenario: vScenario,
  avatarUrl: v.string(),
});

// The personality prompt stays server-side: it is the character's instructions, not copy.
function toCharacterView(character: Doc<"characters">) {
  return {
    key: character.key,
    name: character.name,
    tagline: character.tagline,
    attributeFocus: character.attributeFocus,
    scenario: character.scenario,
    avatarUrl: character.avatarUrl,
  };
}

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
