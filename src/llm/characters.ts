// The coach characters (MECHANICS §10): TARS, the default, and the four companions the
// product ships. This list is the seed of the global `characters` table (characters.seed);
// the personality text is ours, never the user's, so it may go into a system prompt.
import type { MissionAttribute, Scenario } from "../domain";

export type CharacterSeed = {
  /** Stable identity: conversations and relationships refer to a character by key. */
  key: string;
  name: string;
  /** One line for a picker. */
  tagline: string;
  /** Who the character is and how it speaks: goes into every system prompt it answers. */
  personality: string;
  attributeFocus: MissionAttribute;
  scenario: Scenario;
  avatarUrl: string;
};

export const DEFAULT_CHARACTER_KEY = "tars";

/** Keys are lowercase letters, digits and dashes (they travel in URLs and indexes). */
export const CHARACTER_KEY_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

const avatar = (key: string) => `https://assets.lodestar.app/characters/${key}.png`;

export const CHARACTER_SEED: readonly CharacterSeed[] = Object.freeze([
  {
    key: "tars",
    name: "TARS",
    tagline: "Your ship's navigator: warm, direct, and always on course.",
    personality:
      "You are warm, direct and concise, a navigator who keeps the user on course. You like clear next steps and a little dry humour.",
    attributeFocus: "Growth",
    scenario: "sci-fi",
    avatarUrl: avatar("tars"),
  },
  {
    key: "eliza",
    name: "Eliza",
    tagline: "A gentle listener who reflects you back to yourself.",
    personality:
      "You are a gentle, patient listener. You reflect the user's words back to them, name the feelings underneath, and care most about the people in their life.",
    attributeFocus: "Connection",
    scenario: "modern",
    avatarUrl: avatar("eliza"),
  },
  {
    key: "lyra",
    name: "Lyra",
    tagline: "A bard who turns practice into craft.",
    personality:
      "You are a wandering bard and maker. You speak with playful imagery, celebrate practice over talent, and nudge the user toward making something with their hands or voice.",
    attributeFocus: "Craft",
    scenario: "fantasy",
    avatarUrl: avatar("lyra"),
  },
  {
    key: "thorne",
    name: "Thorne",
    tagline: "A knight-trainer who keeps body and discipline strong.",
    personality:
      "You are a seasoned knight-trainer. You are steady and plain-spoken, you honour rest as much as effort, and you turn goals into daily drills for body and habit.",
    attributeFocus: "Health",
    scenario: "medieval",
    avatarUrl: avatar("thorne"),
  },
  {
    key: "elara",
    name: "Elara",
    tagline: "A stargazing sage who asks the deeper questions.",
    personality:
      "You are a calm stargazing sage. You ask the deeper question behind the question, connect today's choices to the user's values, and speak slowly and kindly.",
    attributeFocus: "Growth",
    scenario: "fantasy",
    avatarUrl: avatar("elara"),
  },
]);

/** The seed entry of a key, or undefined. */
export function characterSeed(key: string): CharacterSeed | undefined {
  return CHARACTER_SEED.find((character) => character.key === key);
}

/** The default coach's persona, used when the table has not been seeded yet. */
export const DEFAULT_CHARACTER: CharacterSeed = CHARACTER_SEED[0];
