// MECHANICS §4: growth rules, event builders and the ledger fold. Expected numbers are
// literals computed by hand, so a changed rule fails here.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  CONCEPT_TYPES,
  GROWTH_DIMENSIONS,
  GROWTH_ENTITY_TYPES,
  GROWTH_SOURCES,
  MISSION_ATTRIBUTES,
  type GrowthDimension,
} from "../../src/domain";
import {
  GROWTH_RULES,
  activeDimensions,
  aggregate,
  applyGrowthEvent,
  applyToProfile,
  evolutionState,
  experimentCompletedDeltas,
  isValidDelta,
  milestoneReachedDeltas,
  missionCompletedDeltas,
  profileView,
  reflectionWrittenDeltas,
  starCreatedDeltas,
  starReinforcedDeltas,
  type GrowthAggregate,
  type GrowthEvent,
} from "../../src/mechanics/growth";

describe("GROWTH_RULES", () => {
  it("is version 1.0.0 with the spec's thresholds", () => {
    expect(GROWTH_RULES.version).toBe("1.0.0");
    expect(GROWTH_RULES.activationThreshold).toBe(0.1);
    expect(GROWTH_RULES.masteryThreshold).toBe(1.0);
    expect(GROWTH_RULES.maxAbsDelta).toBe(1);
    expect(GROWTH_RULES.evolution).toEqual({
      sprout: { minActive: 1, minConnections: 0 },
      bloom: { minActive: 3, minConnections: 0 },
      constellation: { minActive: 5, minConnections: 3 },
      supernova: { minActive: 6, minConnections: 5 },
    });
  });

  it("maps concept types and mission attributes as the spec says", () => {
    expect(GROWTH_RULES.conceptDimensions).toEqual({
      emotion: ["self_know"],
      value: ["self_know"],
      belief: ["self_know"],
      habit: ["self_act"],
      skill: ["self_act"],
      goal: ["self_show", "world_act"],
      relationship: ["world_show"],
      insight: ["world_know"],
    });
    expect(GROWTH_RULES.unknownConceptDimensions).toEqual(["self_know"]);
    expect(GROWTH_RULES.missionDimensions).toEqual({
      Growth: "self_know",
      Health: "self_act",
      Craft: "world_act",
      Connection: "world_show",
    });
  });

  it("is frozen, so no caller can change a rule at runtime", () => {
    expect(Object.isFrozen(GROWTH_RULES)).toBe(true);
    expect(Object.isFrozen(GROWTH_RULES.conceptDimensions.goal)).toBe(true);
    expect(Object.isFrozen(GROWTH_RULES.deltas)).toBe(true);
  });
});

describe("evolution thresholds at each boundary", () => {
  it.each([
    [0, 0, "seed"],
    [0, 99, "seed"], // connections alone never sprout
    [1, 0, "sprout"],
    [2, 99, "sprout"],
    [3, 0, "bloom"],
    [4, 99, "bloom"],
    [5, 2, "bloom"], // 5 active but only 2 connections
    [5, 3, "constellation"],
    [5, 99, "constellation"], // supernova needs all 6
    [6, 2, "bloom"],
    [6, 3, "constellation"],
    [6, 4, "constellation"],
    [6, 5, "supernova"],
    [6, 12, "supernova"],
  ] as const)("%i active, %i connections → %s", (active, connections, state) => {
    expect(evolutionState(active, connections)).toBe(state);
  });
});

describe("active dimensions", () => {
  it("are the ones with score ≥ 0.1, in canonical order", () => {
    expect(
      activeDimensions({ world_show: 0.5, self_know: 0.1, self_act: 0.0999, world_know: -1, world_act: 0.09 }),
    ).toEqual(["self_know", "world_show"]);
    expect(activeDimensions({})).toEqual([]);
  });

  it("tolerate float sums: a 9-min and a 21-min Growth mission reach 0.1", () => {
    // 0.1·9/30 + 0.1·21/30 = 0.03 + 0.07 = 0.1, but in floats 0.09999999999999999.
    const score = missionCompletedDeltas("Growth", 9)[0].delta + missionCompletedDeltas("Growth", 21)[0].delta;
    expect(score).toBeLessThan(0.1);
    expect(activeDimensions({ self_know: score })).toEqual(["self_know"]);
  });
});

describe("delta validity", () => {
  it("accepts finite |delta| ≤ 1 only", () => {
    expect(isValidDelta(0)).toBe(true);
    expect(isValidDelta(1)).toBe(true);
    expect(isValidDelta(-1)).toBe(true);
    expect(isValidDelta(0.3)).toBe(true);
    expect(isValidDelta(1.000001)).toBe(false);
    expect(isValidDelta(-1.5)).toBe(false);
    expect(isValidDelta(Number.NaN)).toBe(false);
    expect(isValidDelta(Number.POSITIVE_INFINITY)).toBe(false);
  });
});

describe("event builders", () => {
  it("star created: +0.1 on each concept dimension, self_know when unknown", () => {
    expect(starCreatedDeltas("goal")).toEqual([
      { dimKey: "self_show", delta: 0.1, source: "star_created" },
      { dimKey: "world_act", delta: 0.1, source: "star_created" },
    ]);
    expect(starCreatedDeltas("insight")).toEqual([{ dimKey: "world_know", delta: 0.1, source: "star_created" }]);
    expect(starCreatedDeltas()).toEqual([{ dimKey: "self_know", delta: 0.1, source: "star_created" }]);
    expect(starCreatedDeltas(null)).toEqual([{ dimKey: "self_know", delta: 0.1, source: "star_created" }]);
  });

  it.each([
    ["emotion", ["self_know"]],
    ["value", ["self_know"]],
    ["belief", ["self_know"]],
    ["habit", ["self_act"]],
    ["skill", ["self_act"]],
    ["goal", ["self_show", "world_act"]],
    ["relationship", ["world_show"]],
    ["insight", ["world_know"]],
  ] as const)("star created %s → %j", (concept, dims) => {
    expect(starCreatedDeltas(concept).map((d) => d.dimKey)).toEqual(dims);
  });

  it("star reinforced: +0.05·s, s clamped to [−1, 1], nothing for s = 0", () => {
    // 0.05·0.6 = 0.03
    const [one] = starReinforcedDeltas("emotion", 0.6);
    expect(one.dimKey).toBe("self_know");
    expect(one.source).toBe("star_reinforced");
    expect(one.delta).toBeCloseTo(0.03, 12);
    // 0.05·(−1) = −0.05 on both goal dimensions
    expect(starReinforcedDeltas("goal", -1)).toEqual([
      { dimKey: "self_show", delta: -0.05, source: "star_reinforced" },
      { dimKey: "world_act", delta: -0.05, source: "star_reinforced" },
    ]);
    expect(starReinforcedDeltas("habit", 3)).toEqual([{ dimKey: "self_act", delta: 0.05, source: "star_reinforced" }]);
    expect(starReinforcedDeltas(undefined, 1)).toEqual([
      { dimKey: "self_know", delta: 0.05, source: "star_reinforced" },
    ]);
    expect(starReinforcedDeltas("habit", 0)).toEqual([]);
    expect(() => starReinforcedDeltas("habit", Number.NaN)).toThrow(RangeError);
  });

  it.each([
    ["Health", 30, "self_act", 0.1], // 0.1·min(3, 1)
    ["Craft", 45, "world_act", 0.15], // 0.1·1.5
    ["Connection", 90, "world_show", 0.3], // 0.1·3
    ["Growth", 240, "self_know", 0.3], // 0.1·min(3, 8) = capped
    ["Growth", 10, "self_know", 0.1 / 3], // 0.1·(1/3)
  ] as const)("mission %s %i min → %s +%f", (attribute, minutes, dim, delta) => {
    const deltas = missionCompletedDeltas(attribute, minutes);
    expect(deltas).toHaveLength(1);
    expect(deltas[0].dimKey).toBe(dim);
    expect(deltas[0].source).toBe("mission_completed");
    expect(deltas[0].delta).toBeCloseTo(delta, 12);
  });

  it("a zero-minute mission writes nothing", () => {
    expect(missionCompletedDeltas("Craft", 0)).toEqual([]);
  });

  it("experiment, reflection and milestone", () => {
    expect(experimentCompletedDeltas()).toEqual([
      { dimKey: "self_act", delta: 0.1, source: "experiment_completed" },
      { dimKey: "world_act", delta: 0.1, source: "experiment_completed" },
    ]);
    expect(reflectionWrittenDeltas()).toEqual([{ dimKey: "self_know", delta: 0.05, source: "reflection_written" }]);
    expect(milestoneReachedDeltas()).toEqual([{ dimKey: "world_show", delta: 0.2, source: "milestone_reached" }]);
  });

  it("every builder emits valid deltas and known sources (property)", () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(...CONCEPT_TYPES), { nil: undefined }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.constantFrom(...MISSION_ATTRIBUTES),
        fc.double({ min: -100, max: 10_000, noNaN: true }),
        (concept, signal, attribute, minutes) => {
          const all = [
            ...starCreatedDeltas(concept),
            ...starReinforcedDeltas(concept, signal),
            ...missionCompletedDeltas(attribute, minutes),
            ...experimentCompletedDeltas(),
            ...reflectionWrittenDeltas(),
            ...milestoneReachedDeltas(),
          ];
          for (const d of all) {
            expect(isValidDelta(d.delta)).toBe(true);
            expect(GROWTH_SOURCES).toContain(d.source);
            expect(GROWTH_DIMENSIONS).toContain(d.dimKey);
          }
        },
      ),
    );
  });
});

describe("aggregate", () => {
  const t = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  const ledger: GrowthEvent[] = [
    { entityType: "star", entityId: "s1", dimKey: "self_show", delta: 0.1, source: "star_created", createdAt: t },
    { entityType: "star", entityId: "s1", dimKey: "world_act", delta: 0.1, source: "star_created", createdAt: t },
    { entityType: "mission", entityId: "m1", dimKey: "world_act", delta: 0.15, source: "mission_completed", createdAt: t + 10 },
    { entityType: "star", entityId: "s1", dimKey: "self_show", delta: -0.05, source: "star_reinforced", createdAt: t + 20 },
    { entityType: "star", entityId: "s1", dimKey: "self_show", delta: 0.03, source: "star_reinforced", createdAt: t + 30 },
    { entityType: "user", entityId: "u1", dimKey: "self_know", delta: 0.05, source: "reflection_written", createdAt: t + 40 },
  ];

  it("equals a manual sum", () => {
    const { progress, profile } = aggregate(ledger);
    // star s1 self_show: 0.1 − 0.05 + 0.03 = 0.08 over 3 events, last at t+30
    // star s1 world_act: 0.1 (1 event); mission m1 world_act: 0.15; user u1 self_know: 0.05
    expect(progress).toHaveLength(4);
    const find = (type: string, id: string, dim: GrowthDimension) =>
      progress.find((p) => p.entityType === type && p.entityId === id && p.dimKey === dim);
    const s1Show = find("star", "s1", "self_show");
    expect(s1Show?.score).toBeCloseTo(0.08, 12);
    expect(s1Show).toMatchObject({ eventCount: 3, lastEventAt: t + 30, lastSource: "star_reinforced" });
    expect(find("star", "s1", "world_act")).toMatchObject({ score: 0.1, eventCount: 1, lastEventAt: t, lastSource: "star_created" });
    expect(find("mission", "m1", "world_act")).toMatchObject({ score: 0.15, eventCount: 1, lastSource: "mission_completed" });
    expect(find("user", "u1", "self_know")).toMatchObject({ score: 0.05, eventCount: 1, lastEventAt: t + 40 });
    // profile: world_act 0.1 + 0.15 = 0.25, self_show 0.08, self_know 0.05, others 0
    expect(profile.world_act).toBeCloseTo(0.25, 12);
    expect(profile.self_show).toBeCloseTo(0.08, 12);
    expect(profile.self_know).toBeCloseTo(0.05, 12);
    expect(profile.self_act).toBe(0);
    expect(profile.world_know).toBe(0);
    expect(profile.world_show).toBe(0);
  });

  it("of an empty ledger is nothing and a zero profile", () => {
    expect(aggregate([])).toEqual({
      progress: [],
      profile: { self_know: 0, self_act: 0, self_show: 0, world_know: 0, world_act: 0, world_show: 0 },
    });
  });

  it("keeps the newest source; a tie goes to the later event, an older event does not rewind", () => {
    const base = { entityType: "star", entityId: "s", dimKey: "self_know" } as const;
    const { progress } = aggregate([
      { ...base, delta: 0.1, source: "star_created", createdAt: 100 },
      { ...base, delta: 0.05, source: "star_reinforced", createdAt: 100 },
      { ...base, delta: 0.05, source: "extraction_signal", createdAt: 50 },
    ]);
    expect(progress[0]).toMatchObject({ eventCount: 3, lastEventAt: 100, lastSource: "star_reinforced" });
    expect(progress[0].score).toBeCloseTo(0.2, 12);
  });

  const event = fc.record({
    entityType: fc.constantFrom(...GROWTH_ENTITY_TYPES),
    entityId: fc.constantFrom("a", "b", "c"),
    dimKey: fc.constantFrom(...GROWTH_DIMENSIONS),
    delta: fc.double({ min: -1, max: 1, noNaN: true }),
    source: fc.constantFrom(...GROWTH_SOURCES),
    createdAt: fc.integer({ min: 0, max: 1_000 }),
  });

  it("the live path (one step per append) equals the rebuild exactly (property)", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const ledger = [...events].sort((a, b) => a.createdAt - b.createdAt);
        // Live: each append updates its aggregate row and the profile.
        const rows = new Map<string, GrowthAggregate>();
        let profile = { self_know: 0, self_act: 0, self_show: 0, world_know: 0, world_act: 0, world_show: 0 };
        for (const e of ledger) {
          const key = `${e.entityType}|${e.entityId}|${e.dimKey}`;
          rows.set(key, applyGrowthEvent(rows.get(key) ?? null, e));
          profile = applyToProfile(profile, e);
        }
        const rebuilt = aggregate(ledger);
        expect(rebuilt.profile).toEqual(profile);
        expect(rebuilt.progress).toEqual([...rows.values()]);
      }),
    );
  });

  it("scores and counts are sums over the ledger (property)", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const { progress, profile } = aggregate(events);
        expect(progress.reduce((n, p) => n + p.eventCount, 0)).toBe(events.length);
        for (const p of progress) {
          const mine = events.filter(
            (e) => e.entityType === p.entityType && e.entityId === p.entityId && e.dimKey === p.dimKey,
          );
          expect(p.eventCount).toBe(mine.length);
          expect(p.score).toBeCloseTo(
            mine.reduce((s, e) => s + e.delta, 0),
            9,
          );
          expect(p.lastEventAt).toBe(Math.max(...mine.map((e) => e.createdAt)));
        }
        for (const dim of GROWTH_DIMENSIONS) {
          const sum = events.filter((e) => e.dimKey === dim).reduce((s, e) => s + e.delta, 0);
          expect(profile[dim]).toBe(sum); // same order, same float sum
        }
      }),
    );
  });
});

describe("profile view", () => {
  it("shows score, active, mastery = min(1, score/1) and mastered", () => {
    const view = profileView({ self_know: 1, self_act: 0.5, world_act: 0.05, world_show: -0.2, world_know: 2.5 });
    expect(view.self_know).toEqual({ score: 1, active: true, mastery: 1, mastered: true });
    expect(view.self_act).toEqual({ score: 0.5, active: true, mastery: 0.5, mastered: false });
    expect(view.world_act).toEqual({ score: 0.05, active: false, mastery: 0.05, mastered: false });
    expect(view.world_show).toEqual({ score: -0.2, active: false, mastery: -0.2, mastered: false });
    expect(view.world_know).toEqual({ score: 2.5, active: true, mastery: 1, mastered: true });
    expect(view.self_show).toEqual({ score: 0, active: false, mastery: 0, mastered: false });
  });

  it("ten 30-minute Growth missions master self_know", () => {
    // 10 × 0.1 = 1.0 (0.9999999999999999 in floats, within tolerance)
    let score = 0;
    for (let i = 0; i < 10; i++) score += missionCompletedDeltas("Growth", 30)[0].delta;
    expect(score).toBeLessThan(1);
    expect(profileView({ self_know: score }).self_know.mastered).toBe(true);
    expect(profileView({ self_know: 0.9 }).self_know.mastered).toBe(false);
  });
});
