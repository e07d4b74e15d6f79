// Quest templates (MECHANICS §10): global configuration, typed and versioned like the growth
// rules, never a table. A user's instance of a template is an ordinary mission carrying the
// template's key (missions.questKey), so a new template needs no migration: it is revealed
// from the next daily rollover on. Keys are forever: a key once shipped is never reused for
// another quest (a revealed key is never revealed again, whatever its new content).
// The story starts with the user's first habit (a 3-day streak), not with sign-up.
import type { Domain, MissionAttribute } from "../domain";

/** When a hidden quest is revealed; evaluated over a plain snapshot (./conditions.ts). */
export type RevealCondition =
  | { kind: "streak"; atLeast: number }
  | { kind: "escape_index"; atLeast: number }
  | { kind: "skill_mean"; skill: string; atLeast: number }
  | { kind: "bright_stars"; domain: Domain; atLeast: number }
  | { kind: "mirror_completed" };

export type QuestTemplate = {
  key: string;
  chapter: number;
  title: string;
  description: string;
  durationMinutes: number;
  essenceReward: number;
  attributeType: MissionAttribute;
  reveal: RevealCondition;
};

export type ChapterInfo = { chapter: number; title: string; opening: string };

export type QuestBook = {
  /** Semver of the set; bump on any change (docs/mechanics.md §10 "Templates versioning"). */
  version: string;
  chapters: readonly ChapterInfo[];
  quests: readonly QuestTemplate[];
};

export const QUEST_BOOK: QuestBook = Object.freeze({
  version: "1.0.0",
  chapters: Object.freeze<ChapterInfo[]>([
    { chapter: 1, title: "First Light", opening: "A faint signal crosses the dark: your story begins when you act." },
    { chapter: 2, title: "The Crossing", opening: "The first habit holds. Read your sky, and keep the orbit steady." },
    { chapter: 3, title: "Escape Velocity", opening: "Old orbits loosen their pull. The far lights are within reach." },
  ]),
  quests: Object.freeze<QuestTemplate[]>([
    {
      key: "three-dawns",
      chapter: 1,
      title: "Three dawns",
      description: "Three days in a row of showing up. Mark it: take a 20-minute walk and notice what carried you.",
      durationMinutes: 20,
      essenceReward: 15,
      attributeType: "Health",
      reveal: { kind: "streak", atLeast: 3 },
    },
    {
      key: "chart-the-sky",
      chapter: 2,
      title: "Chart the sky",
      description: "Your mirror is complete. Spend a quiet half hour reading your constellation and write down the one star that surprised you.",
      durationMinutes: 30,
      essenceReward: 20,
      attributeType: "Growth",
      reveal: { kind: "mirror_completed" },
    },
    {
      key: "seven-day-orbit",
      chapter: 2,
      title: "Seven-day orbit",
      description: "A full week of momentum. Call or write to someone who helped you get here and tell them.",
      durationMinutes: 20,
      essenceReward: 30,
      attributeType: "Connection",
      reveal: { kind: "streak", atLeast: 7 },
    },
    {
      key: "body-beacon",
      chapter: 3,
      title: "Body beacon",
      description: "Two health stars shine bright. Plan a week of the habits that lit them, and do the first one today.",
      durationMinutes: 30,
      essenceReward: 25,
      attributeType: "Health",
      reveal: { kind: "bright_stars", domain: "health", atLeast: 2 },
    },
    {
      key: "break-orbit",
      chapter: 3,
      title: "Break orbit",
      description: "Aligned effort now outweighs the pull of old patterns. Choose the hardest small step toward your north star and take it.",
      durationMinutes: 45,
      essenceReward: 50,
      attributeType: "Growth",
      reveal: { kind: "escape_index", atLeast: 1 },
    },
    {
      key: "listeners-gift",
      chapter: 3,
      title: "The listener's gift",
      description: "Your listening has grown strong. Offer an hour of it to someone who needs to be heard.",
      durationMinutes: 60,
      essenceReward: 40,
      attributeType: "Connection",
      reveal: { kind: "skill_mean", skill: "Active Listening", atLeast: 6 },
    },
  ]),
});

/** The templates of one chapter, in book order. */
export function chapterQuests(book: QuestBook, chapter: number): QuestTemplate[] {
  return book.quests.filter((quest) => quest.chapter === chapter);
}

export function questTemplate(book: QuestBook, key: string): QuestTemplate | undefined {
  return book.quests.find((quest) => quest.key === key);
}

export function chapterInfo(book: QuestBook, chapter: number): ChapterInfo | undefined {
  return book.chapters.find((info) => info.chapter === chapter);
}

/** The last chapter of the book (chapters are numbered 1..n without gaps). */
export function lastChapter(book: QuestBook): number {
  return book.chapters.reduce((max, info) => Math.max(max, info.chapter), 0);
}
