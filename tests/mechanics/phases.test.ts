import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { USER_PHASES } from "../../src/domain";
import { canTransitionPhase, mirrorAdvance, phaseAfterJourneyPlotted } from "../../src/mechanics/phases";
import type { MirrorState } from "../../src/mechanics/phases";
import { addDays } from "../../src/time";

describe("user phases", () => {
  it("move only forward, one step: onboarding → mirror → birth_chart → walk", () => {
    const allowed = new Set(["onboarding>mirror", "mirror>birth_chart", "birth_chart>walk"]);
    for (const from of USER_PHASES) {
      for (const to of USER_PHASES) {
        expect(canTransitionPhase(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it("plotting a journey moves birth_chart to walk only", () => {
    expect(phaseAfterJourneyPlotted("birth_chart")).toBe("walk");
    expect(phaseAfterJourneyPlotted("mirror")).toBeNull();
    expect(phaseAfterJourneyPlotted("walk")).toBeNull();
  });
});

describe("mirror advance", () => {
  const start: MirrorState = { mirrorDay: 0, currentPhase: "mirror" };

  it("needs at least 3 user messages", () => {
    expect(mirrorAdvance(start, 2, "2026-06-01")).toBeNull();
    expect(mirrorAdvance(start, 0, "2026-06-01")).toBeNull();
    expect(mirrorAdvance(start, 3, "2026-06-01")).toEqual({ mirrorDay: 1, lastMirrorAdvanceDate: "2026-06-01", currentPhase: "mirror" });
  });

  it("rises at most once per local date", () => {
    const day1 = mirrorAdvance(start, 5, "2026-06-01");
    expect(day1).toEqual({ mirrorDay: 1, lastMirrorAdvanceDate: "2026-06-01", currentPhase: "mirror" });
    // A second conversation the same local date: nothing changes.
    expect(mirrorAdvance(day1!, 9, "2026-06-01")).toBeNull();
    // A date that went backwards (timezone change) does not count again.
    expect(mirrorAdvance(day1!, 9, "2026-05-31")).toBeNull();
    // The next local date counts, even after a gap.
    expect(mirrorAdvance(day1!, 3, "2026-06-04")).toEqual({ mirrorDay: 2, lastMirrorAdvanceDate: "2026-06-04", currentPhase: "mirror" });
  });

  it("reaches day 7 after 7 qualifying dates, then moves to birth_chart and stops", () => {
    let state: MirrorState = start;
    for (let d = 0; d < 7; d++) {
      const next = mirrorAdvance(state, 3, addDays("2026-06-01", d));
      expect(next?.mirrorDay).toBe(d + 1);
      expect(next?.currentPhase).toBe(d + 1 < 7 ? "mirror" : "birth_chart");
      state = next!;
    }
    expect(state).toEqual({ mirrorDay: 7, lastMirrorAdvanceDate: "2026-06-07", currentPhase: "birth_chart" });
    // Past the mirror phase nothing advances: the day stays at 7.
    expect(mirrorAdvance(state, 10, "2026-06-08")).toBeNull();
  });

  it("caps at 7 and does nothing outside the mirror phase", () => {
    expect(mirrorAdvance({ mirrorDay: 6, lastMirrorAdvanceDate: "2026-06-06", currentPhase: "mirror" }, 3, "2026-06-07")).toEqual({
      mirrorDay: 7,
      lastMirrorAdvanceDate: "2026-06-07",
      currentPhase: "birth_chart",
    });
    // An inconsistent row (day 7 still in mirror) is repaired without exceeding 7.
    expect(mirrorAdvance({ mirrorDay: 7, currentPhase: "mirror" }, 3, "2026-06-08")).toEqual({
      mirrorDay: 7,
      lastMirrorAdvanceDate: "2026-06-08",
      currentPhase: "birth_chart",
    });
    expect(mirrorAdvance({ mirrorDay: 0, currentPhase: "onboarding" }, 5, "2026-06-01")).toBeNull();
    expect(mirrorAdvance({ mirrorDay: 7, currentPhase: "walk" }, 5, "2026-06-01")).toBeNull();
  });

  it("property: any sequence of completions keeps mirrorDay in 0..7, one rise per date", () => {
    const completion = fc.record({ dayOffset: fc.integer({ min: -2, max: 3 }), messages: fc.integer({ min: 0, max: 6 }) });
    fc.assert(
      fc.property(fc.array(completion, { maxLength: 40 }), (completions) => {
        let state: MirrorState = { mirrorDay: 0, currentPhase: "mirror" };
        let date = "2026-06-01";
        const risenOn = new Set<string>();
        for (const c of completions) {
          date = addDays(date, c.dayOffset);
          const next = mirrorAdvance(state, c.messages, date);
          if (next === null) continue;
          expect(next.mirrorDay).toBe(state.mirrorDay + 1);
          expect(next.mirrorDay).toBeLessThanOrEqual(7);
          expect(c.messages).toBeGreaterThanOrEqual(3);
          expect(risenOn.has(date)).toBe(false);
          risenOn.add(date);
          expect(next.currentPhase).toBe(next.mirrorDay === 7 ? "birth_chart" : "mirror");
          state = next;
        }
      }),
    );
  });
});
