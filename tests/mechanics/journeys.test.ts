import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXPERIMENT_STATUSES, JOURNEY_STATUSES } from "../../src/domain";
import type { ExperimentStatus, JourneyStatus } from "../../src/domain";
import {
  MAX_MILESTONES,
  allMilestonesReached,
  canMoveJourney,
  canPlot,
  canTransitionExperiment,
  canTransitionJourney,
  dayRate,
  effectiveExperimentStatus,
  experimentExpiresAt,
  isExperimentOpen,
  unreachedMilestones,
  updateVelocity,
} from "../../src/mechanics/journeys";

const at = (iso: string) => Date.parse(iso);

function milestones(reached: number, unreached: number) {
  return [
    ...Array.from({ length: reached }, (_, i) => ({ id: `r${i}`, reachedAt: 1_000 + i })),
    ...Array.from({ length: unreached }, (_, i) => ({ id: `u${i}` })),
  ];
}
const northStar = { description: "Run a marathon", successCriteria: "finish", timeframe: "1_year" };

describe("journey status graph", () => {
  it("allows exactly the spec's edges (paused → complete included, complete terminal)", () => {
    const allowed = new Set([
      "discovery>plotted",
      "plotted>walking",
      "walking>paused",
      "paused>walking",
      "walking>complete",
      "paused>complete",
    ]);
    for (const from of JOURNEY_STATUSES) {
      for (const to of JOURNEY_STATUSES) {
        expect(canTransitionJourney(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it("plots only with a non-blank north star and 1..20 milestones", () => {
    expect(canPlot({ northStar, milestones: milestones(0, 1) })).toBe(true);
    expect(canPlot({ northStar, milestones: milestones(0, 0) })).toBe(false);
    expect(canPlot({ northStar: { description: "   " }, milestones: milestones(0, 1) })).toBe(false);
    expect(canPlot({ northStar: null, milestones: milestones(0, 1) })).toBe(false);
    expect(canPlot({ milestones: milestones(0, 1) })).toBe(false);
    // MAX_MILESTONES = 20: 20 plot, 21 do not.
    expect(canPlot({ northStar, milestones: milestones(0, 20) })).toBe(true);
    expect(canPlot({ northStar, milestones: milestones(0, 21) })).toBe(false);
    expect(MAX_MILESTONES).toBe(20);
  });

  it("completes only when every milestone is reached", () => {
    expect(unreachedMilestones({ milestones: milestones(2, 1) })).toBe(1);
    expect(allMilestonesReached({ milestones: milestones(2, 1) })).toBe(false);
    expect(allMilestonesReached({ milestones: milestones(3, 0) })).toBe(true);
    expect(allMilestonesReached({ milestones: [] })).toBe(false);
  });

  it("combines edge and guard in canMoveJourney", () => {
    const j = (status: JourneyStatus, reached: number, unreached: number) => ({
      status,
      northStar,
      milestones: milestones(reached, unreached),
    });
    expect(canMoveJourney(j("discovery", 0, 2), "plotted")).toBe(true);
    expect(canMoveJourney({ status: "discovery", northStar: { description: "" }, milestones: milestones(0, 2) }, "plotted")).toBe(false);
    expect(canMoveJourney(j("discovery", 0, 0), "plotted")).toBe(false);
    expect(canMoveJourney(j("discovery", 0, 2), "walking")).toBe(false);
    expect(canMoveJourney(j("plotted", 0, 2), "walking")).toBe(true);
    expect(canMoveJourney(j("walking", 1, 1), "complete")).toBe(false);
    expect(canMoveJourney(j("walking", 2, 0), "complete")).toBe(true);
    expect(canMoveJourney(j("paused", 2, 0), "complete")).toBe(true);
    expect(canMoveJourney(j("paused", 1, 1), "complete")).toBe(false);
    expect(canMoveJourney(j("complete", 2, 0), "walking")).toBe(false);
  });
});

describe("experiment status", () => {
  const expiresAt = at("2026-06-16T00:00:00Z");
  const before = new Set(["pending>accepted", "pending>completed", "pending>skipped", "accepted>completed", "accepted>skipped"]);
  const after = new Set(["pending>expired", "accepted>expired"]);

  it("before expiresAt allows the user moves and refuses expired", () => {
    for (const now of [expiresAt - 1, expiresAt - 86_400_000]) {
      for (const from of EXPERIMENT_STATUSES) {
        for (const to of EXPERIMENT_STATUSES) {
          expect(canTransitionExperiment(from, to, now, expiresAt), `${from} → ${to}`).toBe(before.has(`${from}>${to}`));
        }
      }
    }
  });

  it("from expiresAt on (now ≥ expiresAt) refuses everything but expired, job or not", () => {
    for (const now of [expiresAt, expiresAt + 1, expiresAt + 30 * 86_400_000]) {
      for (const from of EXPERIMENT_STATUSES) {
        for (const to of EXPERIMENT_STATUSES) {
          expect(canTransitionExperiment(from, to, now, expiresAt), `${from} → ${to}`).toBe(after.has(`${from}>${to}`));
        }
      }
    }
  });

  it("property: after expiry the only accepted target is expired, and only from an open status", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXPERIMENT_STATUSES),
        fc.constantFrom(...EXPERIMENT_STATUSES),
        fc.integer({ min: 0, max: 10 ** 13 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (from: ExperimentStatus, to: ExperimentStatus, expiresAt, late) => {
          const ok = canTransitionExperiment(from, to, expiresAt + late, expiresAt);
          expect(ok).toBe(to === "expired" && isExperimentOpen(from));
        },
      ),
    );
  });

  it("reads an open experiment past expiresAt as expired", () => {
    expect(effectiveExperimentStatus("pending", expiresAt, expiresAt)).toBe("expired");
    expect(effectiveExperimentStatus("accepted", expiresAt - 1, expiresAt)).toBe("accepted");
    expect(effectiveExperimentStatus("completed", expiresAt + 1, expiresAt)).toBe("completed");
  });
});

describe("experiment expiry: the local midnight after the offer", () => {
  it("America/Los_Angeles, across the 2026-03-08 spring-forward (a 23-hour day)", () => {
    // 2026-03-07 23:30 PST (UTC−8) = 07:30Z → 2026-03-08 00:00 PST = 08:00Z.
    expect(experimentExpiresAt(at("2026-03-08T07:30:00Z"), "America/Los_Angeles")).toBe(at("2026-03-08T08:00:00Z"));
    // 2026-03-08 01:30 PST = 09:30Z; clocks jump 02:00 → 03:00, so the next midnight is
    // 2026-03-09 00:00 PDT (UTC−7) = 07:00Z, 23 h after the day's start at 08:00Z.
    expect(experimentExpiresAt(at("2026-03-08T09:30:00Z"), "America/Los_Angeles")).toBe(at("2026-03-09T07:00:00Z"));
    // Noon PDT the same day (19:00Z) expires at the same instant.
    expect(experimentExpiresAt(at("2026-03-08T19:00:00Z"), "America/Los_Angeles")).toBe(at("2026-03-09T07:00:00Z"));
  });

  it("Asia/Tokyo (UTC+9, no DST), both sides of local midnight", () => {
    // 23:59:59.999 JST on 06-15 = 14:59:59.999Z → 00:00 JST 06-16 = 15:00Z, 1 ms later.
    expect(experimentExpiresAt(at("2026-06-15T14:59:59.999Z"), "Asia/Tokyo")).toBe(at("2026-06-15T15:00:00Z"));
    // Exactly 00:00 JST on 06-16 is already the 16th: expires at 00:00 JST 06-17.
    expect(experimentExpiresAt(at("2026-06-15T15:00:00Z"), "Asia/Tokyo")).toBe(at("2026-06-16T15:00:00Z"));
  });

  it("Europe/London, across the 2026-10-25 fall-back (a 25-hour day)", () => {
    // 12:00 BST (UTC+1) on 10-24 = 11:00Z → 00:00 BST 10-25 = 10-24T23:00Z.
    expect(experimentExpiresAt(at("2026-10-24T11:00:00Z"), "Europe/London")).toBe(at("2026-10-24T23:00:00Z"));
    // 00:30 BST on 10-25 = 10-24T23:30Z; clocks fall back 02:00 → 01:00, so the next
    // midnight is 00:00 GMT 10-26 = 10-26T00:00Z, 25 h after the day's start.
    expect(experimentExpiresAt(at("2026-10-24T23:30:00Z"), "Europe/London")).toBe(at("2026-10-26T00:00:00Z"));
  });
});

describe("day rate, velocity and momentum", () => {
  it("dayRate is completed/offered, null (skipped) when nothing was offered", () => {
    expect(dayRate(1, 1)).toBe(1);
    expect(dayRate(0, 1)).toBe(0);
    expect(dayRate(1, 2)).toBe(0.5);
    expect(dayRate(0, 0)).toBeNull();
    expect(dayRate(3, 2)).toBe(1); // inconsistent counts are clamped
  });

  it("walks a scripted week: 1, 0, skip, 0.5, 1, 1, 0 from v = m = 0", () => {
    const script: (number | null)[] = [1, 0, null, 0.5, 1, 1, 0];
    // v' = 0.7v + 0.3r ; m' = min(10, 0.9m + v')
    const expected = [
      [0.3, 0.3], //        v = 0.3·1 = 0.3              m = 0 + 0.3 = 0.3
      [0.21, 0.48], //      v = 0.7·0.3 = 0.21           m = 0.27 + 0.21 = 0.48
      [0.21, 0.48], //      skipped day: unchanged
      [0.297, 0.729], //    v = 0.147 + 0.15 = 0.297     m = 0.432 + 0.297 = 0.729
      [0.5079, 1.164], //   v = 0.2079 + 0.3 = 0.5079    m = 0.6561 + 0.5079 = 1.164
      [0.65553, 1.70313], // v = 0.35553 + 0.3          m = 1.0476 + 0.65553 = 1.70313
      [0.458871, 1.991688], // v = 0.7·0.65553          m = 1.532817 + 0.458871 = 1.991688
    ];
    let state = { velocity: 0, momentum: 0 };
    script.forEach((r, day) => {
      state = updateVelocity(state.velocity, state.momentum, r);
      expect(state.velocity, `day ${day + 1} velocity`).toBeCloseTo(expected[day][0], 12);
      expect(state.momentum, `day ${day + 1} momentum`).toBeCloseTo(expected[day][1], 12);
    });
  });

  it("caps momentum at 10", () => {
    // m = min(10, 0.9·12 + (0.7·1 + 0.3·1)) = min(10, 11.8) = 10
    expect(updateVelocity(1, 12, 1)).toEqual({ velocity: 1, momentum: 10 });
    // below the cap: 0.9·9 + 1 = 9.1
    expect(updateVelocity(1, 9, 1).momentum).toBeCloseTo(9.1, 12);
  });

  it("property: velocity stays in [0,1] and momentum in [0,10] for rates in [0,1]", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), { maxLength: 400 }), (rates) => {
        let s = { velocity: 0, momentum: 0 };
        for (const r of rates) {
          s = updateVelocity(s.velocity, s.momentum, r);
          expect(s.velocity).toBeGreaterThanOrEqual(0);
          expect(s.velocity).toBeLessThanOrEqual(1 + 1e-12);
          expect(s.momentum).toBeGreaterThanOrEqual(0);
          expect(s.momentum).toBeLessThanOrEqual(10);
        }
      }),
    );
  });
});
