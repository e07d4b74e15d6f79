// MECHANICS §5: mission transitions, daily progress and streaks. Dates are local
// `YYYY-MM-DD` labels; expectations are hand-computed literals.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MISSION_STATUSES } from "../../src/domain";
import { addDays, type LocalDate } from "../../src/time";
import {
  DEFAULT_DAILY_CAPACITY_MINUTES,
  applyMissionCompletion,
  canTransitionMission,
  currentStreak,
  dciScore,
  streakOnFirstCompletion,
  type DayProgress,
} from "../../src/mechanics/progress";

describe("mission transitions", () => {
  const allowed = new Set(["pending→active", "active→completed", "active→failed", "pending→completed"]);

  for (const from of MISSION_STATUSES) {
    for (const to of MISSION_STATUSES) {
      const key = `${from}→${to}`;
      it(`${key} is ${allowed.has(key) ? "allowed" : "refused"}`, () => {
        expect(canTransitionMission(from, to)).toBe(allowed.has(key));
      });
    }
  }

  it("covers all 16 pairs, 4 allowed", () => {
    const pairs = MISSION_STATUSES.flatMap((from) => MISSION_STATUSES.map((to) => canTransitionMission(from, to)));
    expect(pairs).toHaveLength(16);
    expect(pairs.filter(Boolean)).toHaveLength(4);
  });
});

describe("DCI", () => {
  it("min(1, minutes / capacity), capacity 60 by default", () => {
    expect(DEFAULT_DAILY_CAPACITY_MINUTES).toBe(60);
    expect(dciScore(0)).toBe(0);
    expect(dciScore(30)).toBe(0.5); // 30/60
    expect(dciScore(60)).toBe(1);
    expect(dciScore(90)).toBe(1); // capped
    expect(dciScore(45, 90)).toBe(0.5); // 45/90
    expect(dciScore(30, 120)).toBe(0.25);
  });

  it("falls back to 60 for a capacity that is not positive, and never goes below 0", () => {
    expect(dciScore(30, 0)).toBe(0.5);
    expect(dciScore(30, -10)).toBe(0.5);
    expect(dciScore(30, Number.NaN)).toBe(0.5);
    expect(dciScore(-15)).toBe(0);
  });

  it("stays in [0, 1] (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e3, max: 1e4, noNaN: true }), (m, c) => {
        const dci = dciScore(m, c);
        expect(dci).toBeGreaterThanOrEqual(0);
        expect(dci).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe("streaks", () => {
  it("the first completion of a day continues yesterday's streak or starts at 1", () => {
    expect(streakOnFirstCompletion(null)).toBe(1);
    expect(streakOnFirstCompletion({ streakDays: 1 })).toBe(2);
    expect(streakOnFirstCompletion({ streakDays: 4 })).toBe(5);
    expect(streakOnFirstCompletion({ streakDays: 4, missionsCompleted: 0 })).toBe(1); // no completion that day
  });

  it("a read is 0 when the last active date is 2 days ago", () => {
    expect(currentStreak({ lastActiveDate: "2026-03-08", streakDays: 6 }, "2026-03-10")).toBe(0);
  });

  it.each([
    ["2026-03-10", "2026-03-10", 6], // active today
    ["2026-03-09", "2026-03-10", 6], // active yesterday: still alive until tonight
    ["2026-02-28", "2026-03-01", 6], // month boundary (2026 is not a leap year)
    ["2024-02-28", "2024-03-01", 0], // 2024-02-29 in between
    ["2025-12-31", "2026-01-01", 6], // year boundary
    ["2026-01-01", "2026-03-10", 0],
    ["2026-03-11", "2026-03-10", 6], // last active "tomorrow" (user moved west): kept
  ] as const)("last active %s, today %s → %i", (lastActiveDate, today, expected) => {
    expect(currentStreak({ lastActiveDate, streakDays: 6 }, today)).toBe(expected);
  });

  it("is 0 with no history", () => {
    expect(currentStreak(null, "2026-03-10")).toBe(0);
  });

  /** Replays completions through applyMissionCompletion, one row per local date. */
  function replay(completionDates: LocalDate[]): Map<LocalDate, DayProgress> {
    const rows = new Map<LocalDate, DayProgress>();
    for (const date of completionDates) {
      const previous = rows.get(addDays(date, -1)) ?? null;
      rows.set(date, applyMissionCompletion(rows.get(date) ?? null, { minutes: 20, essence: 5 }, 60, previous));
    }
    return rows;
  }

  it("follows a sequence: 3 days on, one missed, 2 days on; repeats within a day keep it", () => {
    const rows = replay([
      "2026-03-01",
      "2026-03-02",
      "2026-03-02",
      "2026-03-03",
      // 2026-03-04 missed
      "2026-03-05",
      "2026-03-06",
      "2026-03-06",
      "2026-03-06",
    ]);
    expect([...rows.entries()].map(([d, r]) => [d, r.streakDays, r.missionsCompleted])).toEqual([
      ["2026-03-01", 1, 1],
      ["2026-03-02", 2, 2],
      ["2026-03-03", 3, 1],
      ["2026-03-05", 1, 1],
      ["2026-03-06", 2, 3],
    ]);
    expect(currentStreak({ lastActiveDate: "2026-03-06", streakDays: 2 }, "2026-03-07")).toBe(2);
    expect(currentStreak({ lastActiveDate: "2026-03-06", streakDays: 2 }, "2026-03-08")).toBe(0);
  });

  it("equals the length of the run of consecutive active days ending that day (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), (activeFlags) => {
        const start = "2026-01-28";
        const dates = activeFlags.flatMap((on, i) => (on ? [addDays(start, i)] : []));
        const rows = replay(dates);
        let run = 0;
        activeFlags.forEach((on, i) => {
          run = on ? run + 1 : 0;
          if (on) expect(rows.get(addDays(start, i))?.streakDays).toBe(run);
        });
      }),
    );
  });
});

describe("applyMissionCompletion", () => {
  it("first completion of the day: counters, DCI and streak", () => {
    // 1 mission, 30 min, 10 essence, DCI 30/60 = 0.5, streak 2 + 1 = 3
    expect(applyMissionCompletion(null, { minutes: 30, essence: 10 }, 60, { streakDays: 2 })).toEqual({
      missionsCompleted: 1,
      minutesCompleted: 30,
      essenceEarned: 10,
      dciScore: 0.5,
      streakDays: 3,
    });
  });

  it("later completions add up and leave the streak alone", () => {
    const first = applyMissionCompletion(null, { minutes: 30, essence: 10 }, 60, null);
    // 30 + 45 = 75 min → DCI min(1, 75/60) = 1; essence 10 + 5 = 15; streak stays 1
    expect(applyMissionCompletion(first, { minutes: 45, essence: 5 }, 60, { streakDays: 9 })).toEqual({
      missionsCompleted: 2,
      minutesCompleted: 75,
      essenceEarned: 15,
      dciScore: 1,
      streakDays: 1,
    });
  });

  it("uses the user's capacity for DCI", () => {
    // 45/90 = 0.5
    expect(applyMissionCompletion(null, { minutes: 45, essence: 0 }, 90, null).dciScore).toBe(0.5);
  });
});
