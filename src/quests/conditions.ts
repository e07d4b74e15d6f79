// Reveal conditions and chapter progress (MECHANICS §10), over a plain snapshot of the
// user's state that convex/model/quests.ts loads. Pure: no ctx, no clock.
import { DOMAINS, type Domain } from "../domain";
import { normalizeSkillName } from "../mechanics/skills";
import { chapterQuests, lastChapter, type QuestBook, type QuestTemplate, type RevealCondition } from "./templates";

/**
 * What the conditions read. Fields a hidden quest does not need may be left at their
 * "nothing yet" value (0, null, {}); the loader reads only what is needed (snapshotNeeds).
 */
export type QuestSnapshot = {
  /** The current streak (a read's streak: 0 once a whole local day passed without a completion). */
  streakDays: number;
  /** η of the latest LifeState snapshot; null when there is none. */
  escapeIndex: number | null;
  /** normalizeSkillName(skill) → the user's belief mean; absent = no belief. */
  skillMeans: Readonly<Record<string, number>>;
  /** Stars of type `bright` per domain; absent = 0. */
  brightStars: Readonly<Partial<Record<Domain, number>>>;
  /** The 7-day mirror is done (mirrorDay reached 7). */
  mirrorCompleted: boolean;
};

export const EMPTY_SNAPSHOT: QuestSnapshot = Object.freeze({
  streakDays: 0,
  escapeIndex: null,
  skillMeans: Object.freeze({}),
  brightStars: Object.freeze({}),
  mirrorCompleted: false,
});

/** Every threshold is inclusive: "streak ≥ k", "η ≥ x", "mean ≥ x", "at least k". */
export function conditionHolds(condition: RevealCondition, snapshot: QuestSnapshot): boolean {
  switch (condition.kind) {
    case "streak":
      return snapshot.streakDays >= condition.atLeast;
    case "escape_index":
      return snapshot.escapeIndex !== null && Number.isFinite(snapshot.escapeIndex) && snapshot.escapeIndex >= condition.atLeast;
    case "skill_mean": {
      const mean = snapshot.skillMeans[normalizeSkillName(condition.skill)];
      return mean !== undefined && mean >= condition.atLeast;
    }
    case "bright_stars":
      return (snapshot.brightStars[condition.domain] ?? 0) >= condition.atLeast;
    case "mirror_completed":
      return snapshot.mirrorCompleted;
  }
}

/** The quests of `chapter` not revealed yet, in book order. */
export function hiddenQuests(book: QuestBook, chapter: number, revealed: ReadonlySet<string>): QuestTemplate[] {
  return chapterQuests(book, chapter).filter((quest) => !revealed.has(quest.key));
}

/** The hidden quests of the user's chapter whose condition holds now, in book order. */
export function dueQuests(
  book: QuestBook,
  chapter: number,
  revealed: ReadonlySet<string>,
  snapshot: QuestSnapshot,
): QuestTemplate[] {
  return hiddenQuests(book, chapter, revealed).filter((quest) => conditionHolds(quest.reveal, snapshot));
}

/** What a snapshot must load to evaluate `quests` (so a finished chapter reads nothing). */
export type SnapshotNeeds = {
  streak: boolean;
  escapeIndex: boolean;
  skills: string[];
  brightStars: boolean;
  mirror: boolean;
};

export function snapshotNeeds(quests: readonly QuestTemplate[]): SnapshotNeeds {
  const kinds = new Set(quests.map((quest) => quest.reveal.kind));
  const skills = new Set<string>();
  for (const quest of quests) if (quest.reveal.kind === "skill_mean") skills.add(quest.reveal.skill);
  return {
    streak: kinds.has("streak"),
    escapeIndex: kinds.has("escape_index"),
    skills: [...skills],
    brightStars: kinds.has("bright_stars"),
    mirror: kinds.has("mirror_completed"),
  };
}

/**
 * Whether `chapter` is done: it has quests, and every one was revealed and its mission
 * completed (`completed`: the keys whose mission is completed).
 */
export function chapterComplete(book: QuestBook, chapter: number, completed: ReadonlySet<string>): boolean {
  const quests = chapterQuests(book, chapter);
  return quests.length > 0 && quests.every((quest) => completed.has(quest.key));
}

/** The chapter after a completed one, or null when it was the last (the story is complete). */
export function nextChapter(book: QuestBook, chapter: number): number | null {
  return chapter < lastChapter(book) ? chapter + 1 : null;
}

/**
 * Every way a book is malformed; empty when it is sound. Checked by the tests for
 * QUEST_BOOK, so a bad template fails CI instead of a user's rollover.
 */
export function questBookProblems(book: QuestBook): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  const chapters = book.chapters.map((info) => info.chapter);
  chapters.forEach((chapter, index) => {
    if (chapter !== index + 1) problems.push(`chapters must be numbered 1..n in order; found ${chapter} at ${index}`);
  });
  for (const quest of book.quests) {
    if (keys.has(quest.key)) problems.push(`duplicate key ${quest.key}`);
    keys.add(quest.key);
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(quest.key)) problems.push(`${quest.key}: key must be lowercase, digits and dashes`);
    if (!chapters.includes(quest.chapter)) problems.push(`${quest.key}: chapter ${quest.chapter} is not in the book`);
    const reveal = quest.reveal;
    if ("atLeast" in reveal && !(Number.isFinite(reveal.atLeast) && reveal.atLeast > 0)) {
      problems.push(`${quest.key}: threshold must be a positive number`);
    }
    if (reveal.kind === "bright_stars" && !DOMAINS.includes(reveal.domain)) problems.push(`${quest.key}: unknown domain`);
  }
  for (const chapter of chapters) {
    if (chapterQuests(book, chapter).length === 0) problems.push(`chapter ${chapter} has no quests`);
  }
  return problems;
}
