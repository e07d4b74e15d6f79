// MECHANICS §9 as pure functions, against hand-computed values: check-in bounds,
// consistency (a sparse week, a young account), which reports a date closes, and every
// report statistic from plain rows (each case fails if its definition changes).
import { describe, expect, it } from "vitest";
import {
  CHECKIN_LIMITS,
  STAR_GROWTH_CAP,
  consistency,
  consistencyWindow,
  dayNumber,
  dueReportTypes,
  emotionProblem,
  emptyAccumulator,
  energyProblem,
  escapeSummary,
  experimentCounts,
  finalizeReport,
  foldCheckins,
  foldGrowth,
  foldMessages,
  rankStars,
  reportWindow,
  round1,
  streakAtEnd,
  type CheckinRow,
  type DayRow,
  type GrowthRow,
} from "../../src/mechanics/reflection";
import { addDays } from "../../src/time";

describe("check-in bounds", () => {
  it("accepts the edges of every field", () => {
    expect(emotionProblem({ valence: "negative", label: "a", intensity: 0 })).toBeNull();
    expect(emotionProblem({ valence: "positive", label: "x".repeat(40), intensity: 1 })).toBeNull();
    // Spaces collapse before counting; an emoji is one character.
    expect(emotionProblem({ valence: "neutral", label: `  ${"😊".repeat(40)}  `, intensity: 0.5 })).toBeNull();
    expect(energyProblem({ level: 1 })).toBeNull();
    expect(energyProblem({ level: 10, note: "n".repeat(500) })).toBeNull();
  });

  it("names the field that is out of bounds", () => {
    expect(emotionProblem({ valence: "negative", label: "   ", intensity: 0.5 })).toMatch(/^label/);
    expect(emotionProblem({ valence: "negative", label: "x".repeat(41), intensity: 0.5 })).toMatch(/^label/);
    expect(emotionProblem({ valence: "negative", label: "sad", intensity: 1.01 })).toMatch(/^intensity/);
    expect(emotionProblem({ valence: "negative", label: "sad", intensity: -0.01 })).toMatch(/^intensity/);
    expect(emotionProblem({ valence: "negative", label: "sad", intensity: Number.NaN })).toMatch(/^intensity/);
    expect(emotionProblem({ valence: "bad" as "negative", label: "sad", intensity: 0.5 })).toMatch(/^valence/);
    expect(energyProblem({ level: 0 })).toMatch(/^level/);
    expect(energyProblem({ level: 11 })).toMatch(/^level/);
    expect(energyProblem({ level: 5.5 })).toMatch(/^level/);
    expect(energyProblem({ level: 5, note: "n".repeat(CHECKIN_LIMITS.noteChars + 1) })).toMatch(/^note/);
  });
});

describe("consistency", () => {
  const first = "2026-03-01";

  it("a sparse week: 3 kept dates of 7 → 42.9", () => {
    // D = 03-10: the window is 03-04 … 03-10; 03-02 is outside it.
    const kept = new Set(["2026-03-02", "2026-03-04", "2026-03-06", "2026-03-10"]);
    expect(consistencyWindow("2026-03-10", first)).toEqual([
      "2026-03-04",
      "2026-03-05",
      "2026-03-06",
      "2026-03-07",
      "2026-03-08",
      "2026-03-09",
      "2026-03-10",
    ]);
    expect(consistency("2026-03-10", first, kept)).toEqual({ value: 42.9, kept: 3, dates: 7 });
    expect(consistency("2026-03-11", first, kept)).toEqual({ value: 28.6, kept: 2, dates: 7 });
    expect(consistency("2026-03-17", first, kept)).toEqual({ value: 0, kept: 0, dates: 7 });
  });

  it("an account younger than 7 days: only the dates it existed", () => {
    const kept = new Set(["2026-03-01", "2026-03-03"]);
    expect(consistency("2026-03-01", first, kept)).toEqual({ value: 100, kept: 1, dates: 1 });
    expect(consistency("2026-03-02", first, kept)).toEqual({ value: 50, kept: 1, dates: 2 });
    expect(consistency("2026-03-03", first, kept)).toEqual({ value: 66.7, kept: 2, dates: 3 });
    expect(consistency("2026-03-06", first, kept)).toEqual({ value: 33.3, kept: 2, dates: 6 });
    expect(consistency("2026-03-07", first, kept)).toEqual({ value: 28.6, kept: 2, dates: 7 });
    // A date before the account's first (a zone moved east): at least D itself.
    expect(consistencyWindow("2026-02-28", first)).toEqual(["2026-02-28"]);
  });

  it("round1 keeps one decimal", () => {
    expect(round1((100 * 1) / 7)).toBe(14.3);
    expect(round1((100 * 5) / 6)).toBe(83.3);
    expect(round1((100 * 6) / 7)).toBe(85.7);
  });
});

describe("which reports a date closes", () => {
  const first = "2026-03-01";
  it("n(D) counts the first date as 1; 2, 7 and 21 divide it", () => {
    expect(dayNumber(first, first)).toBe(1);
    expect(dueReportTypes(first, first)).toEqual([]);
    expect(dueReportTypes(first, "2026-03-02")).toEqual(["two_day"]);
    expect(dueReportTypes(first, "2026-03-07")).toEqual(["seven_day"]);
    expect(dueReportTypes(first, "2026-03-14")).toEqual(["two_day", "seven_day"]);
    expect(dueReportTypes(first, "2026-03-21")).toEqual(["seven_day", "twenty_one_day"]);
    expect(dueReportTypes(first, addDays(first, 41))).toEqual(["two_day", "seven_day", "twenty_one_day"]);
    expect(dueReportTypes(first, "2026-02-27")).toEqual([]);
  });

  it("over 21 days: ten 2-day, three 7-day and one 21-day report", () => {
    const dates = Array.from({ length: 21 }, (_, i) => addDays(first, i));
    const due = dates.flatMap((d) => dueReportTypes(first, d).map((type) => `${type}@${d.slice(8)}`));
    expect(due).toEqual([
      "two_day@02", "two_day@04", "two_day@06", "seven_day@07", "two_day@08", "two_day@10", "two_day@12",
      "two_day@14", "seven_day@14", "two_day@16", "two_day@18", "two_day@20", "seven_day@21", "twenty_one_day@21",
    ]);
  });

  it("a window is its last 2, 7 or 21 local dates", () => {
    expect(reportWindow("two_day", "2026-03-02")).toEqual({ firstDate: "2026-03-01", lastDate: "2026-03-02" });
    expect(reportWindow("seven_day", "2026-03-31")).toEqual({ firstDate: "2026-03-25", lastDate: "2026-03-31" });
    expect(reportWindow("twenty_one_day", "2026-03-21")).toEqual({ firstDate: "2026-03-01", lastDate: "2026-03-21" });
  });
});

describe("report statistics from plain rows", () => {
  const star = (entityId: string, delta: number, dimKey: GrowthRow["dimKey"] = "self_know"): GrowthRow => ({
    entityType: "star",
    entityId,
    dimKey,
    delta,
  });

  it("growth: Σ delta per dimension over every event; per star only for star entities", () => {
    const events: GrowthRow[] = [
      star("s1", 0.1),
      star("s1", 0.05, "self_act"),
      { entityType: "mission", entityId: "m1", dimKey: "self_act", delta: 0.3 },
      { entityType: "user", entityId: "u", dimKey: "world_know", delta: -0.2 },
      star("s2", -0.04),
    ];
    const acc = foldGrowth(emptyAccumulator(), events);
    expect(acc.growthByDimension.self_know).toBeCloseTo(0.06, 12);
    expect(acc.growthByDimension.self_act).toBeCloseTo(0.35, 12);
    expect(acc.growthByDimension.world_know).toBeCloseTo(-0.2, 12);
    expect(acc.growthByDimension.world_show).toBe(0);
    expect(acc.starGrowth.map((s) => [s.starId, Math.round(s.delta * 1000) / 1000])).toEqual([
      ["s1", 0.15],
      ["s2", -0.04],
    ]);
  });

  it("top and bottom stars: five each, positive above, negative below, ties by id", () => {
    const sums = [
      { starId: "a", delta: 0.3 },
      { starId: "b", delta: 0.5 },
      { starId: "c", delta: 0.3 },
      { starId: "d", delta: 0.1 },
      { starId: "e", delta: 0.2 },
      { starId: "f", delta: 0.05 },
      { starId: "g", delta: 0 },
      { starId: "h", delta: -0.1 },
      { starId: "i", delta: -0.3 },
      { starId: "j", delta: -0.1 },
    ];
    const { top, bottom } = rankStars(sums);
    expect(top.map((s) => s.starId)).toEqual(["b", "a", "c", "e", "d"]);
    expect(bottom.map((s) => s.starId)).toEqual(["i", "h", "j"]);
  });

  it("tracks at most STAR_GROWTH_CAP stars and says so", () => {
    const events = Array.from({ length: STAR_GROWTH_CAP + 1 }, (_, i) => star(`s${i}`, 0.01));
    const acc = foldGrowth(emptyAccumulator(), events);
    expect(acc.starGrowth).toHaveLength(STAR_GROWTH_CAP);
    expect(acc.starGrowthTruncated).toBe(true);
  });

  it("paging the ranges gives what one pass gives", () => {
    const events = Array.from({ length: 37 }, (_, i) => star(`s${i % 7}`, ((i % 5) - 2) / 10, i % 2 ? "self_act" : "world_act"));
    const checkins: CheckinRow[] = Array.from({ length: 23 }, (_, i) =>
      i % 3 === 0
        ? { kind: "energy", createdAt: i, level: (i % 10) + 1 }
        : { kind: "emotion", createdAt: i, valence: i % 2 ? "positive" : "negative", intensity: (i % 4) / 4 },
    );
    const whole = foldCheckins(foldGrowth(emptyAccumulator(), events), checkins);
    let paged = emptyAccumulator();
    for (let i = 0; i < events.length; i += 5) paged = foldGrowth(paged, events.slice(i, i + 5));
    for (let i = 0; i < checkins.length; i += 4) paged = foldCheckins(paged, checkins.slice(i, i + 4));
    expect(paged).toEqual(whole);
  });

  it("messages: only the user's count", () => {
    const acc = foldMessages(emptyAccumulator(), [{ role: "user" }, { role: "assistant" }, { role: "user" }]);
    expect(acc.userMessages).toBe(2);
  });

  it("emotions by valence with their mean intensity; energy mean, first and last", () => {
    const acc = foldCheckins(emptyAccumulator(), [
      { kind: "energy", createdAt: 1, level: 3 },
      { kind: "emotion", createdAt: 2, valence: "negative", intensity: 0.8 },
      { kind: "emotion", createdAt: 3, valence: "negative", intensity: 0.4 },
      { kind: "energy", createdAt: 4, level: 8 },
      { kind: "emotion", createdAt: 5, valence: "positive", intensity: 0.5 },
      { kind: "energy", createdAt: 6, level: 6 },
    ]);
    const { stats, series } = finalizeReport(acc, baseInputs());
    expect(stats.emotions).toEqual({
      positive: { count: 1, meanIntensity: 0.5 },
      neutral: { count: 0, meanIntensity: null },
      negative: { count: 2, meanIntensity: expect.closeTo(0.6, 12) },
    });
    expect(stats.energy).toEqual({ count: 3, mean: expect.closeTo(17 / 3, 12), first: 3, last: 6 });
    expect(series.energy).toEqual([
      { at: 1, level: 3 },
      { at: 4, level: 8 },
      { at: 6, level: 6 },
    ]);
    expect(series.emotions.map((e) => e.valence)).toEqual(["negative", "negative", "positive"]);
  });

  it("missions from the window's day rows; the streak a read shows at the window's end", () => {
    const days: DayRow[] = [
      { localDate: "2026-03-05", missionsCompleted: 2, minutesCompleted: 50, essenceEarned: 20, streakDays: 2 },
      { localDate: "2026-03-06", missionsCompleted: 1, minutesCompleted: 15, essenceEarned: 5, streakDays: 3 },
    ];
    const { stats } = finalizeReport(emptyAccumulator(), { ...baseInputs(), days });
    expect(stats.missions).toEqual({ completed: 3, minutes: 65, essence: 25, streakAtEnd: 3 });
    // Last completion the day before the end: still alive. Two days before: 0.
    expect(streakAtEnd(days, "2026-03-07")).toBe(3);
    expect(streakAtEnd(days.slice(0, 1), "2026-03-07")).toBe(0);
    expect(streakAtEnd([...days, { ...days[1], localDate: "2026-03-07", streakDays: 4 }], "2026-03-07")).toBe(4);
  });

  it("experiments offered in the window, by what they became; still open at the end = expired", () => {
    const endsAt = 1_000;
    expect(
      experimentCounts(
        [
          { status: "completed", offeredAt: 1, expiresAt: 100, completedAt: 50 },
          { status: "skipped", offeredAt: 2, expiresAt: 100 },
          { status: "expired", offeredAt: 3, expiresAt: 100 },
          { status: "pending", offeredAt: 4, expiresAt: 1_000 },
          { status: "accepted", offeredAt: 5, expiresAt: 900 },
          { status: "pending", offeredAt: 6, expiresAt: 1_001 },
        ],
        endsAt,
      ),
    ).toEqual({ offered: 6, completed: 1, skipped: 1, expired: 3 });
  });

  it("η of the window's daily snapshots: first and last by time, min and max", () => {
    expect(
      escapeSummary([
        { timestamp: 30, localDate: "2026-03-03", escapeIndex: 0.4 },
        { timestamp: 10, localDate: "2026-03-01", escapeIndex: 0.9 },
        { timestamp: 20, localDate: "2026-03-02", escapeIndex: 0.2 },
      ]),
    ).toEqual({ first: 0.9, last: 0.4, min: 0.2, max: 0.9 });
    expect(escapeSummary([])).toBeNull();
  });
});

function baseInputs() {
  return {
    firstDate: "2026-03-01",
    lastDate: "2026-03-07",
    startsAt: 0,
    endsAt: 7 * 86_400_000,
    days: [],
    experiments: [],
    experimentCompletionDates: [],
    snapshots: [],
    velocity: null,
    momentum: null,
    consistency: 0,
    starLabels: new Map<string, string | null>(),
  };
}
