// The day-reset rule (src/mechanics/dayReset.ts, docs/mechanics.md "Day resets and time-zone
// changes"): the issue's cases by hand, then property tests that step the hourly rollover
// (at :23 UTC, as crons.ts) through random sequences of zone changes and check the
// invariants: each local date is reset at most once and in order, no date lived through at a
// run is skipped unless the user had already passed it in another zone, the schedule is
// exact (due exactly when the local date is later than the last reset), and velocity steps
// once per closed date.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_DATES_CLOSED_PER_RESET,
  datesClosedByReset,
  dayResetAt,
  nextResetAfterZoneChange,
  nextResetAt,
} from "../../src/mechanics/dayReset";
import { HOUR, MINUTE, addDays, localDate, nextLocalMidnight, startOfLocalDate, type LocalDate } from "../../src/time";

// The zones of the issue (±14 h, half and quarter hours, Lord Howe's half-hour DST, Havana
// and Santiago skipping midnight) and a few everyday ones.
const ZONES = [
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "America/Havana",
  "America/Santiago",
  "Pacific/Chatham",
  "Asia/Tokyo",
  "America/Los_Angeles",
  "Europe/London",
  "UTC",
] as const;

/** One simulated user: their schedule, journey watermark and what the rollover did. */
class Sim {
  lastResetDate: LocalDate | undefined;
  nextDailyAt: number;
  lastVelocityDate: LocalDate;
  readonly resets: { date: LocalDate; at: number }[] = [];
  readonly stepped: LocalDate[] = [];
  readonly violations: string[] = [];

  constructor(
    public zone: string,
    now: number,
  ) {
    // A new account: due at its first local midnight; its journey starts today.
    this.nextDailyAt = nextLocalMidnight(now, zone);
    this.lastVelocityDate = addDays(localDate(now, zone), -1);
  }

  changeZone(zone: string, now: number) {
    this.nextDailyAt = nextResetAfterZoneChange(
      { lastResetDate: this.lastResetDate, nextDailyAt: this.nextDailyAt },
      now,
      zone,
    );
    this.zone = zone;
  }

  /** The hourly rollover at `now` (the job skips a user whose nextDailyAt is ahead). */
  tick(now: number) {
    const today = localDate(now, this.zone);
    const after = this.lastResetDate;
    const due = this.nextDailyAt <= now;
    // Exact schedule, once a first reset happened: due exactly when today is after the last reset.
    if (after !== undefined && due !== today > after) {
      this.violations.push(`due=${due} on ${today} with last reset ${after} (${this.zone})`);
    }
    if (!due) return;
    const decision = dayResetAt(after, now, this.zone);
    if (decision.nextResetAt <= now) this.violations.push(`next reset ${decision.nextResetAt} not after ${now}`);
    this.nextDailyAt = decision.nextResetAt;
    if (decision.kind === "wait") return;
    this.resets.push({ date: decision.date, at: now });
    // Velocity, as model/journeys.ts: every date after the journey's watermark up to the closed one.
    for (let date = addDays(this.lastVelocityDate, 1); date <= decision.closedThrough; date = addDays(date, 1)) {
      this.stepped.push(date);
    }
    if (decision.closedThrough > this.lastVelocityDate) this.lastVelocityDate = decision.closedThrough;
    this.lastResetDate = decision.date;
  }
}

/** The rollover's runs (hh:23 UTC) in (from, to]. */
function ticksBetween(from: number, to: number): number[] {
  const ticks: number[] = [];
  let tick = Math.floor(from / HOUR) * HOUR + 23 * MINUTE;
  if (tick <= from) tick += HOUR;
  for (; tick <= to; tick += HOUR) ticks.push(tick);
  return ticks;
}

type Step = { afterMinutes: number; zone: string };

/** Runs a user from `start` in `zone` through `steps` (a zone change after each gap), then two more days. */
function simulate(start: number, zone: string, steps: readonly Step[]) {
  const sim = new Sim(zone, start);
  const lived: { date: LocalDate; at: number }[] = [];
  let now = start;
  const runUntil = (to: number) => {
    for (const tick of ticksBetween(now, to)) {
      sim.tick(tick);
      lived.push({ date: localDate(tick, sim.zone), at: tick });
    }
    now = to;
  };
  for (const step of steps) {
    runUntil(now + step.afterMinutes * MINUTE);
    sim.changeZone(step.zone, now);
  }
  runUntil(now + 2 * 24 * HOUR);
  return { sim, lived };
}

/** The "Done when" invariants of issue 19 over one simulated history. */
function checkInvariants({ sim, lived }: ReturnType<typeof simulate>) {
  expect(sim.violations).toEqual([]);
  const dates = sim.resets.map((r) => r.date);
  // At most one reset per local date, in order.
  for (let i = 1; i < dates.length; i++) expect(dates[i] > dates[i - 1], `${dates[i - 1]} then ${dates[i]}`).toBe(true);
  expect(sim.resets.length).toBeGreaterThan(0);
  const firstResetAt = sim.resets[0].at;
  // Every date lived through at a run is reset, unless it is the account's first day or the
  // user had already gone past it in another zone (a later date was reset before).
  for (const { date, at } of lived) {
    if (at < firstResetAt || dates.includes(date)) continue;
    const passed = sim.resets.some((r) => r.at <= at && r.date > date);
    expect(passed, `${date} lived at ${new Date(at).toISOString()} has no reset: ${dates.join(",")}`).toBe(true);
  }
  // Velocity: each closed date stepped exactly once, in order, up to the day before the last reset.
  for (let i = 1; i < sim.stepped.length; i++) expect(sim.stepped[i]).toBe(addDays(sim.stepped[i - 1], 1));
  expect(sim.stepped.at(-1)).toBe(addDays(dates.at(-1) ?? "", -1));
}

describe("nextResetAt and dayResetAt", () => {
  it("the next reset is the first instant of the day after the last one, in the current zone", () => {
    expect(nextResetAt("2026-05-11", "Asia/Tokyo")).toBe(Date.UTC(2026, 4, 11, 15));
    expect(nextResetAt("2026-05-11", "America/Los_Angeles")).toBe(Date.UTC(2026, 4, 12, 7));
    // Havana skips midnight on its DST day (2026-03-08): the date begins at 01:00 CDT = 05:00Z.
    expect(nextResetAt("2026-03-07", "America/Havana")).toBe(startOfLocalDate("2026-03-08", "America/Havana"));
    expect(nextResetAt("2026-03-07", "America/Havana")).toBe(Date.UTC(2026, 2, 8, 5));
  });

  it("resets a date later than the last one, and waits at or before it", () => {
    const tz = "Asia/Kathmandu"; // UTC+05:45
    const at = Date.UTC(2026, 4, 11, 18, 23); // 05-12 00:08 local
    expect(dayResetAt("2026-05-11", at, tz)).toEqual({
      kind: "reset",
      date: "2026-05-12",
      closedThrough: "2026-05-11",
      nextResetAt: Date.UTC(2026, 4, 12, 18, 15),
    });
    expect(dayResetAt(undefined, at, tz)).toMatchObject({ kind: "reset", date: "2026-05-12" });
    expect(dayResetAt("2026-05-12", at, tz)).toEqual({ kind: "wait", nextResetAt: Date.UTC(2026, 4, 12, 18, 15) });
    expect(dayResetAt("2026-05-13", at, tz)).toEqual({ kind: "wait", nextResetAt: Date.UTC(2026, 4, 13, 18, 15) });
  });
});

describe("the issue's cases", () => {
  it("re-sending the same zone at 00:10, before the hourly run, keeps the date's reset due", () => {
    const tz = "Asia/Tokyo";
    const sim = new Sim(tz, Date.UTC(2026, 4, 9, 3)); // signed up 05-09 12:00 Tokyo
    for (const tick of ticksBetween(Date.UTC(2026, 4, 9, 3), Date.UTC(2026, 4, 11, 14))) sim.tick(tick);
    expect(sim.resets.map((r) => r.date)).toEqual(["2026-05-10", "2026-05-11"]);
    sim.changeZone(tz, Date.UTC(2026, 4, 11, 15, 10)); // 05-12 00:10 Tokyo
    expect(sim.nextDailyAt).toBe(Date.UTC(2026, 4, 11, 15)); // still due
    for (const tick of ticksBetween(Date.UTC(2026, 4, 11, 15, 10), Date.UTC(2026, 4, 13, 16))) sim.tick(tick);
    expect(sim.resets.map((r) => r.date)).toEqual(["2026-05-10", "2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14"]);
  });

  it("a re-send of the same zone at every hour of a day changes nothing", () => {
    for (const zone of ZONES) {
      const base = new Sim(zone, Date.UTC(2026, 4, 9, 3));
      for (const tick of ticksBetween(Date.UTC(2026, 4, 9, 3), Date.UTC(2026, 4, 11))) base.tick(tick);
      for (let minute = 0; minute < 24 * 60; minute += 60) {
        const at = Date.UTC(2026, 4, 11) + minute + 10 * MINUTE;
        const resent = nextResetAfterZoneChange({ lastResetDate: base.lastResetDate, nextDailyAt: base.nextDailyAt }, at, zone);
        // Before the hourly run of the hour the schedule may be due; it is the same instant either way.
        expect(resent, `${zone} at ${new Date(at).toISOString()}`).toBe(base.nextDailyAt);
      }
    }
  });

  it("Los Angeles to Tokyo at 12:00 PDT: the Tokyo date is reset at the next run, velocity closes 05-11", () => {
    const sim = new Sim("America/Los_Angeles", Date.UTC(2026, 4, 9, 19));
    for (const tick of ticksBetween(Date.UTC(2026, 4, 9, 19), Date.UTC(2026, 4, 11, 19))) sim.tick(tick);
    expect(sim.lastResetDate).toBe("2026-05-11");
    sim.changeZone("Asia/Tokyo", Date.UTC(2026, 4, 11, 19)); // 05-11 12:00 PDT = 05-12 04:00 JST
    expect(sim.nextDailyAt).toBe(Date.UTC(2026, 4, 11, 15)); // 05-12 00:00 JST: due at once
    sim.tick(Date.UTC(2026, 4, 11, 19, 23));
    expect(sim.resets.at(-1)).toEqual({ date: "2026-05-12", at: Date.UTC(2026, 4, 11, 19, 23) });
    expect(sim.lastVelocityDate).toBe("2026-05-11");
  });

  it("Kiritimati to Pago Pago just after midnight: no date is reset twice", () => {
    const start = Date.UTC(2026, 4, 9, 0);
    const sim = new Sim("Pacific/Kiritimati", start);
    // 05-12 00:30 in Kiritimati (UTC+14) = 05-11 10:30Z = 05-10 23:30 in Pago Pago (UTC−11).
    const move = Date.UTC(2026, 4, 11, 10, 30);
    for (const tick of ticksBetween(start, move)) sim.tick(tick);
    expect(sim.resets.map((r) => r.date)).toEqual(["2026-05-10", "2026-05-11", "2026-05-12"]);
    sim.changeZone("Pacific/Pago_Pago", move);
    expect(sim.nextDailyAt).toBe(startOfLocalDate("2026-05-13", "Pacific/Pago_Pago"));
    for (const tick of ticksBetween(move, move + 4 * 24 * HOUR)) sim.tick(tick);
    // Pago Pago lives 05-11 and 05-12 again (reset already); 05-13 begins at 05-13 11:00Z.
    expect(sim.resets.map((r) => r.date)).toEqual(["2026-05-10", "2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14"]);
    expect(sim.resets[3].at).toBe(Date.UTC(2026, 4, 13, 11, 23));
    expect(sim.stepped).toEqual(["2026-05-09", "2026-05-10", "2026-05-11", "2026-05-12", "2026-05-13"]);
  });

  it("the ±25-hour jumps: Pago Pago to Kiritimati skips a date nobody lived, and back waits two days", () => {
    const start = Date.UTC(2026, 4, 9, 0);
    const history = simulate(start, "Pacific/Pago_Pago", [
      { afterMinutes: 3 * 24 * 60, zone: "Pacific/Kiritimati" },
      { afterMinutes: 3 * 24 * 60 + 7 * 60, zone: "Pacific/Pago_Pago" },
    ]);
    checkInvariants(history);
    const dates = history.sim.resets.map((r) => r.date);
    expect(new Set(dates).size).toBe(dates.length);
  });
});

describe("property: any sequence of zone changes", () => {
  const step = fc.record({
    afterMinutes: fc.integer({ min: 1, max: 48 * 60 }),
    zone: fc.constantFrom(...ZONES),
  });
  const start = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 1) });

  it("resets each local date at most once, in order, skips none lived through, and steps velocity once per closed date", () => {
    fc.assert(
      fc.property(start, fc.constantFrom(...ZONES), fc.array(step, { minLength: 1, maxLength: 12 }), (at, zone, steps) => {
        checkInvariants(simulate(at, zone, steps));
      }),
      { numRuns: 150 },
    );
  });

  it("east to west and back, the biggest jumps, many times", () => {
    const jump = fc.record({
      afterMinutes: fc.integer({ min: 1, max: 30 * 60 }),
      zone: fc.constantFrom("Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Chatham", "America/Santiago"),
    });
    fc.assert(
      fc.property(start, fc.array(jump, { minLength: 2, maxLength: 16 }), (at, steps) => {
        checkInvariants(simulate(at, "Pacific/Kiritimati", steps));
      }),
      { numRuns: 100 },
    );
  });
});

describe("datesClosedByReset: the dates a reset hands to the per-closed-date work (reports, consistency)", () => {
  it("a reset of T after a reset of T − 1 closes exactly T − 1", () => {
    expect(datesClosedByReset("2026-05-11", "2026-05-11")).toEqual(["2026-05-11"]);
  });
  it("the first reset closes only T − 1", () => {
    expect(datesClosedByReset(undefined, "2026-05-11")).toEqual(["2026-05-11"]);
  });
  it("a west→east jump that passes a date closes it too, oldest first", () => {
    // Last reset 05-10 (Pago Pago), now 05-12 in Kiritimati: 05-10 and 05-11 close, once each.
    expect(datesClosedByReset("2026-05-10", "2026-05-11")).toEqual(["2026-05-10", "2026-05-11"]);
  });
  it("closes nothing when the last reset is after T − 1, and at most 21 dates after an outage", () => {
    expect(datesClosedByReset("2026-05-12", "2026-05-11")).toEqual([]);
    const closed = datesClosedByReset("2026-01-01", "2026-05-11");
    expect(closed).toHaveLength(MAX_DATES_CLOSED_PER_RESET);
    expect(closed[0]).toBe("2026-04-21");
    expect(closed[closed.length - 1]).toBe("2026-05-11");
  });
});
