// MECHANICS §10 quests: every reveal condition true and false at its threshold, due quests
// of the user's chapter only, chapter completion and the starter book's soundness.
import { describe, expect, test } from "vitest";
import {
  EMPTY_SNAPSHOT,
  chapterComplete,
  conditionHolds,
  dueQuests,
  hiddenQuests,
  nextChapter,
  questBookProblems,
  snapshotNeeds,
  type QuestSnapshot,
} from "../../src/quests/conditions";
import { QUEST_BOOK, chapterQuests, questTemplate, type QuestBook } from "../../src/quests/templates";

const snap = (overrides: Partial<QuestSnapshot>): QuestSnapshot => ({ ...EMPTY_SNAPSHOT, ...overrides });

describe("conditionHolds: thresholds are inclusive", () => {
  test("streak ≥ k", () => {
    const streak = { kind: "streak", atLeast: 3 } as const;
    expect(conditionHolds(streak, snap({ streakDays: 2 }))).toBe(false);
    expect(conditionHolds(streak, snap({ streakDays: 3 }))).toBe(true);
  });

  test("escape index ≥ x in the latest snapshot; none is false", () => {
    const escape = { kind: "escape_index", atLeast: 1 } as const;
    expect(conditionHolds(escape, snap({ escapeIndex: 0.999 }))).toBe(false);
    expect(conditionHolds(escape, snap({ escapeIndex: 1 }))).toBe(true);
    expect(conditionHolds(escape, snap({ escapeIndex: null }))).toBe(false);
    expect(conditionHolds(escape, snap({ escapeIndex: Number.NaN }))).toBe(false);
  });

  test("a skill belief's mean ≥ x, by the skill's normalized name; no belief is false", () => {
    const skill = { kind: "skill_mean", skill: "Active  Listening", atLeast: 6 } as const;
    expect(conditionHolds(skill, snap({ skillMeans: { "active listening": 5.99 } }))).toBe(false);
    expect(conditionHolds(skill, snap({ skillMeans: { "active listening": 6 } }))).toBe(true);
    expect(conditionHolds(skill, snap({ skillMeans: {} }))).toBe(false);
  });

  test("at least k bright stars in a domain (other domains do not count)", () => {
    const bright = { kind: "bright_stars", domain: "health", atLeast: 2 } as const;
    expect(conditionHolds(bright, snap({ brightStars: { health: 1, soul: 5 } }))).toBe(false);
    expect(conditionHolds(bright, snap({ brightStars: { health: 2 } }))).toBe(true);
    expect(conditionHolds(bright, snap({ brightStars: {} }))).toBe(false);
  });

  test("the mirror completed", () => {
    expect(conditionHolds({ kind: "mirror_completed" }, snap({ mirrorCompleted: false }))).toBe(false);
    expect(conditionHolds({ kind: "mirror_completed" }, snap({ mirrorCompleted: true }))).toBe(true);
  });
});

describe("the starter book (version 1.0.0)", () => {
  test("is sound: chapters 1..3, unique keys, every chapter has quests", () => {
    expect(questBookProblems(QUEST_BOOK)).toEqual([]);
    expect(QUEST_BOOK.version).toBe("1.0.0");
    expect(QUEST_BOOK.chapters.map((c) => c.chapter)).toEqual([1, 2, 3]);
    expect(QUEST_BOOK.quests.map((q) => [q.key, q.chapter])).toEqual([
      ["three-dawns", 1],
      ["chart-the-sky", 2],
      ["seven-day-orbit", 2],
      ["body-beacon", 3],
      ["break-orbit", 3],
      ["listeners-gift", 3],
    ]);
  });

  test("the thresholds of the shipped quests (a change here is a new book version)", () => {
    expect(QUEST_BOOK.quests.map((q) => q.reveal)).toEqual([
      { kind: "streak", atLeast: 3 },
      { kind: "mirror_completed" },
      { kind: "streak", atLeast: 7 },
      { kind: "bright_stars", domain: "health", atLeast: 2 },
      { kind: "escape_index", atLeast: 1 },
      { kind: "skill_mean", skill: "Active Listening", atLeast: 6 },
    ]);
    expect(questTemplate(QUEST_BOOK, "three-dawns")).toMatchObject({ durationMinutes: 20, essenceReward: 15, attributeType: "Health" });
  });

  test("questBookProblems catches a broken book", () => {
    const broken: QuestBook = {
      version: "0",
      chapters: [
        { chapter: 1, title: "a", opening: "" },
        { chapter: 3, title: "b", opening: "" },
      ],
      quests: [
        { ...QUEST_BOOK.quests[0], chapter: 1 },
        { ...QUEST_BOOK.quests[0], chapter: 4 },
        { ...QUEST_BOOK.quests[1], key: "Bad Key", chapter: 1, reveal: { kind: "streak", atLeast: 0 } },
      ],
    };
    expect(questBookProblems(broken)).toEqual([
      "chapters must be numbered 1..n in order; found 3 at 1",
      "duplicate key three-dawns",
      "three-dawns: chapter 4 is not in the book",
      "Bad Key: key must be lowercase, digits and dashes",
      "Bad Key: threshold must be a positive number",
      "chapter 3 has no quests",
    ]);
  });
});

describe("due quests and chapters", () => {
  const everything = snap({
    streakDays: 30,
    escapeIndex: 2,
    skillMeans: { "active listening": 9 },
    brightStars: { health: 9 },
    mirrorCompleted: true,
  });

  test("only hidden quests of the user's chapter are due, in book order", () => {
    expect(dueQuests(QUEST_BOOK, 1, new Set(), everything).map((q) => q.key)).toEqual(["three-dawns"]);
    expect(dueQuests(QUEST_BOOK, 1, new Set(["three-dawns"]), everything)).toEqual([]);
    expect(dueQuests(QUEST_BOOK, 2, new Set(), everything).map((q) => q.key)).toEqual(["chart-the-sky", "seven-day-orbit"]);
    expect(dueQuests(QUEST_BOOK, 2, new Set(), snap({ streakDays: 7 })).map((q) => q.key)).toEqual(["seven-day-orbit"]);
    expect(dueQuests(QUEST_BOOK, 1, new Set(), EMPTY_SNAPSHOT)).toEqual([]);
    expect(hiddenQuests(QUEST_BOOK, 3, new Set(["break-orbit"])).map((q) => q.key)).toEqual(["body-beacon", "listeners-gift"]);
  });

  test("snapshotNeeds names only what the hidden quests read", () => {
    expect(snapshotNeeds(chapterQuests(QUEST_BOOK, 1))).toEqual({
      streak: true,
      escapeIndex: false,
      skills: [],
      brightStars: false,
      mirror: false,
    });
    expect(snapshotNeeds(chapterQuests(QUEST_BOOK, 3))).toEqual({
      streak: false,
      escapeIndex: true,
      skills: ["Active Listening"],
      brightStars: true,
      mirror: false,
    });
  });

  test("a chapter is complete when every one of its quests' missions is completed", () => {
    expect(chapterComplete(QUEST_BOOK, 1, new Set())).toBe(false);
    expect(chapterComplete(QUEST_BOOK, 1, new Set(["three-dawns"]))).toBe(true);
    expect(chapterComplete(QUEST_BOOK, 2, new Set(["chart-the-sky", "three-dawns"]))).toBe(false);
    expect(chapterComplete(QUEST_BOOK, 2, new Set(["chart-the-sky", "seven-day-orbit"]))).toBe(true);
    expect(chapterComplete(QUEST_BOOK, 4, new Set())).toBe(false); // no such chapter
    expect([1, 2, 3].map((chapter) => nextChapter(QUEST_BOOK, chapter))).toEqual([2, 3, null]);
  });
});
