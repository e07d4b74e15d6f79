// MECHANICS §1 star physics: hand-computed cases (arithmetic in the comments) plus
// property tests. Any change to a constant or to a formula's shape breaks a case here.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { ConnectionType, Domain, StarType } from "../../src/domain";
import { CONNECTION_TYPES, DOMAINS } from "../../src/domain";
import { clamp } from "../../src/math";
import { DAY } from "../../src/time";
import type { StarPhysics } from "../../src/mechanics/stars";
import {
  STAR_CONSTANTS,
  applyDelta,
  ceilingFor,
  clampSignal,
  classify,
  createStar,
  decay,
  decayFactor,
  decayWriteNeeded,
  drainDays,
  drainStar,
  growthEdgeMultiplier,
  labelHash,
  layout,
  nextStabilizedAt,
  radiusFor,
  reinforce,
  rementionSignal,
  reinforcementDelta,
  shadowDrain,
  spill,
  spilloverDelta,
  stabilizationReached,
} from "../../src/mechanics/stars";

const T0 = Date.UTC(2026, 0, 1, 9, 30);
const FREE = { ceiling: 1, growthEdgeMultiplier: 1 };
const SECTOR = (2 * Math.PI) / 5; // 0.4π

/** An established (10-day-old, non-nascent) light star last touched at T0. */
function star(overrides: Partial<StarPhysics> = {}): StarPhysics {
  const base: StarPhysics = {
    domain: "health",
    normalizedLabel: "morning run",
    polarity: "light",
    type: "flickering",
    brightness: 0.3,
    variance: 0.05,
    theta: 0,
    radius: radiusFor(overrides.brightness ?? 0.3),
    createdAt: T0 - 10 * DAY,
    lastUpdatedAt: T0,
    lastReinforcedAt: T0,
    stabilizedAt: undefined,
  };
  return { ...base, ...overrides };
}

describe("constants", () => {
  it("match MECHANICS §1", () => {
    expect(STAR_CONSTANTS).toMatchObject({
      MIN_BRIGHTNESS: 0.05,
      MAX_BRIGHTNESS: 1.0,
      BRIGHT_THRESHOLD: 0.7,
      DIM_THRESHOLD: 0.3,
      STABILIZATION_DAYS: 7,
      LEARNING_RATE: 0.25,
      VARIANCE_ALPHA: 0.3,
      INITIAL_VARIANCE: 0.05,
      STABLE_VARIANCE: 0.005,
      FLICKER_VARIANCE: 0.02,
      HALF_LIFE_DAYS: 14,
      STABILIZED_HALF_LIFE_DAYS: 30,
      DORMANT_AFTER_DAYS: 30,
      DORMANT_EPSILON: 0.01,
      DEFAULT_INTENSITY: 0.3,
      BLOCKED_CEILING: 0.5,
      GROWTH_EDGE_BOOST: 0.2,
      RESONANCE_SPILL: 0.15,
      TENSION_SPILL: 0.08,
      SHADOW_DRAIN_RATE: 0.01,
    });
  });

  it("clamp and clampSignal", () => {
    expect([clamp(-1, 0, 1), clamp(0.4, 0, 1), clamp(2, 0, 1)]).toEqual([0, 0.4, 1]);
    expect([clampSignal(-3), clampSignal(0.5), clampSignal(7), clampSignal(NaN)]).toEqual([-1, 0.5, 1, 0]);
  });
});

describe("labelHash", () => {
  // FNV-1a 32-bit over UTF-8 bytes / 2^32. The first three are the published FNV-1a test
  // vectors; "café" hashes bytes 63 61 66 c3 a9 (UTF-8), not the UTF-16 unit 0xe9.
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
    ["café", 0xa82b5049],
    ["fear of failure", 0xbd8b775a],
  ])("%j → 0x%s / 2^32", (label, fnv) => {
    expect(labelHash(label)).toBe(fnv / 2 ** 32);
  });

  it("is 0.5043428998906165 for the empty label (0x811c9dc5 = 2166136261)", () => {
    expect(labelHash("")).toBe(0.5043428998906165);
  });

  it("is deterministic and in [0, 1)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (label) => {
        const u = labelHash(label);
        expect(u).toBe(labelHash(label));
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
      }),
    );
  });
});

describe("layout", () => {
  // label "" → u = 0.5043428998906165; 0.1 + 0.8u = 0.5034743199124933;
  // theta = (k + 0.5034743199124933)·0.4π for domain index k.
  it.each(DOMAINS.map((domain, k) => [domain, k] as const))("%s sits in sector %i", (domain, k) => {
    expect(layout(domain, "", 0.3).theta).toBeCloseTo((k + 0.5034743199124933) * SECTOR, 12);
  });

  it("theta for soul / 'fear of failure': 1.6π + (0.1 + 0.8·0.7404093355871737)·0.4π", () => {
    // 0.1 + 0.8·0.7404093355871737 = 0.6923274684697389
    expect(layout("soul", "fear of failure", 0.3).theta).toBeCloseTo(
      1.6 * Math.PI + 0.6923274684697389 * 0.4 * Math.PI,
      12,
    );
  });

  it.each([
    [1, 0.1], // 1 − 0.9·1
    [0.7, 0.37], // 1 − 0.63
    [0.3, 0.73], // 1 − 0.27
    [0.05, 0.955], // 1 − 0.045
  ])("radius at brightness %f is %f", (brightness, radius) => {
    expect(layout("wealth", "x", brightness).radius).toBeCloseTo(radius, 12);
  });

  it("theta stays inside the middle 80% of its domain's sector", () => {
    fc.assert(
      fc.property(fc.constantFrom(...DOMAINS), fc.string(), (domain, label) => {
        const k = DOMAINS.indexOf(domain);
        const { theta } = layout(domain, label, 0.5);
        expect(theta).toBeGreaterThanOrEqual((k + 0.1) * SECTOR - 1e-12);
        expect(theta).toBeLessThan((k + 0.9) * SECTOR);
      }),
    );
  });
});

describe("createStar", () => {
  it("defaults: intensity 0.3, variance 0.05, nascent, radius 0.73", () => {
    const created = createStar({ label: "  Fear of FAILURE! ", domain: "soul", mirrorDay: 3, now: T0 });
    expect(created).toEqual({
      label: "  Fear of FAILURE! ",
      normalizedLabel: "fearoffailure",
      domain: "soul",
      polarity: "light",
      type: "nascent",
      brightness: 0.3,
      variance: 0.05,
      theta: layout("soul", "fearoffailure", 0.3).theta,
      radius: 1 - 0.9 * 0.3,
      extractedDay: 3,
      createdAt: T0,
      lastUpdatedAt: T0,
      lastReinforcedAt: T0,
      stabilizedAt: undefined,
    });
  });

  it.each([
    [0, 0.05], // clamped up to MIN
    [0.8, 0.8],
    [1.5, 1], // clamped down to MAX
    [NaN, 0.3], // malformed extraction → default
  ])("intensity %f → brightness %f", (intensity, brightness) => {
    const created = createStar({ label: "x", domain: "health", intensity, mirrorDay: 0, now: T0 });
    expect(created.brightness).toBe(brightness);
    expect(created.type).toBe("nascent");
  });

  it("a shadow star is dark from birth", () => {
    const created = createStar({ label: "x", domain: "health", polarity: "shadow", mirrorDay: 1, now: T0 });
    expect(created.type).toBe("dark");
  });
});

describe("reinforcementDelta", () => {
  it.each([
    [0.3, 1, 0.175], // 0.25·1·(1 − 0.3)
    [0.5, 0.4, 0.05], // 0.25·0.4·0.5
    [1, 1, 0], // already at MAX
    [0.3, -1, -0.0625], // 0.25·(−1)·(0.3 − 0.05)
    [0.65, -0.5, -0.075], // 0.25·(−0.5)·0.6
    [0.05, -1, 0], // already at MIN
    [0.6, 0, 0],
  ])("b=%f s=%f → Δ=%f", (b, s, delta) => {
    expect(reinforcementDelta(b, s)).toBeCloseTo(delta, 12);
  });
});

describe("reinforce", () => {
  it("b=0.3, s=1: Δ=0.175 → 0.475; variance 0.7·(0.05 + 0.3·0.175²) = 0.04143125", () => {
    const { next, appliedDelta } = reinforce(star(), 1, FREE, T0 + DAY);
    expect(appliedDelta).toBeCloseTo(0.175, 12);
    expect(next.brightness).toBeCloseTo(0.475, 12);
    expect(next.variance).toBeCloseTo(0.04143125, 12);
    expect(next.radius).toBeCloseTo(0.5725, 12); // 1 − 0.9·0.475
    expect(next.lastUpdatedAt).toBe(T0 + DAY);
    expect(next.lastReinforcedAt).toBe(T0 + DAY);
    expect(next.type).toBe("flickering");
  });

  it("b=0.3, s=−1: Δ=−0.0625 → 0.2375 (dim); variance 0.7·(0.05 + 0.3·0.0625²) = 0.0358203125", () => {
    const { next, appliedDelta } = reinforce(star(), -1, FREE, T0);
    expect(appliedDelta).toBeCloseTo(-0.0625, 12);
    expect(next.brightness).toBeCloseTo(0.2375, 12);
    expect(next.variance).toBeCloseTo(0.0358203125, 12);
    expect(next.type).toBe("dim");
  });

  it("a signal outside [−1, 1] is clamped: s=3 acts as s=1", () => {
    expect(reinforce(star(), 3, FREE, T0).next.brightness).toBeCloseTo(0.475, 12);
  });

  it("wakes a dormant star: b=0.05 → 0.05 + 0.25·0.95 = 0.2875, dim", () => {
    const dormant = star({ brightness: 0.05, type: "dormant", lastReinforcedAt: T0 - 40 * DAY, createdAt: T0 - 60 * DAY });
    const { next } = reinforce(dormant, 1, FREE, T0);
    expect(next.brightness).toBeCloseTo(0.2875, 12);
    expect(next.lastReinforcedAt).toBe(T0);
    expect(next.type).toBe("dim");
  });

  it("even a contradicting signal wakes a dormant star (lastReinforcedAt = now)", () => {
    const dormant = star({ brightness: 0.05, type: "dormant", lastReinforcedAt: T0 - 40 * DAY, createdAt: T0 - 60 * DAY });
    const { next, appliedDelta } = reinforce(dormant, -1, FREE, T0);
    expect(appliedDelta).toBe(0);
    expect(next.type).toBe("dim");
  });
});

describe("growth_edge boost", () => {
  const edges = [
    { sourceBrightness: 0.8, strength: 0.5 },
    { sourceBrightness: 0.9, strength: 0.25 },
    { sourceBrightness: 0.6, strength: 1.0 }, // source below BRIGHT_THRESHOLD: ignored
  ];

  it.each([
    [edges, 1, 1.1], // 1 + 0.2·0.5 (largest qualifying strength)
    [[{ sourceBrightness: 0.7, strength: 1 }], 0.5, 1.2], // exactly at the threshold qualifies
    [[{ sourceBrightness: 0.69, strength: 1 }], 1, 1],
    [edges, 0, 1], // s = 0: no boost
    [edges, -1, 1], // contradiction: no boost
    [[], 1, 1],
  ])("edges %j, s=%f → ×%f", (incoming, signal, multiplier) => {
    expect(growthEdgeMultiplier(incoming, signal)).toBeCloseTo(multiplier, 12);
  });

  it("b=0.3, s=1, ×1.1: Δ = 0.175·1.1 = 0.1925 → 0.4925; variance 0.7·(0.05 + 0.3·0.1925²) = 0.0427818125", () => {
    const { next, appliedDelta } = reinforce(star(), 1, { ceiling: 1, growthEdgeMultiplier: 1.1 }, T0);
    expect(appliedDelta).toBeCloseTo(0.1925, 12);
    expect(next.brightness).toBeCloseTo(0.4925, 12);
    expect(next.variance).toBeCloseTo(0.0427818125, 12);
  });

  it("b=0.3, s=0.5, ×1.2: Δ = 0.25·0.5·0.7·1.2 = 0.105 → 0.405", () => {
    expect(reinforce(star(), 0.5, { ceiling: 1, growthEdgeMultiplier: 1.2 }, T0).next.brightness).toBeCloseTo(0.405, 12);
  });

  it("a multiplier is ignored for s < 0: b=0.3, s=−1 still gives −0.0625", () => {
    expect(reinforce(star(), -1, { ceiling: 1, growthEdgeMultiplier: 1.2 }, T0).appliedDelta).toBeCloseTo(-0.0625, 12);
  });
});

describe("blocks ceiling", () => {
  it.each<[string, { brightness: number; type: StarType }[], number]>([
    ["no blockers", [], 1],
    ["a blocker exactly at DIM_THRESHOLD", [{ brightness: 0.3, type: "flickering" }], 0.5],
    ["a blocker below DIM_THRESHOLD", [{ brightness: 0.29, type: "dim" }], 1],
    ["a dormant blocker (ignored whatever its brightness)", [{ brightness: 0.9, type: "dormant" }], 1],
    ["one active blocker among faint ones", [{ brightness: 0.1, type: "dim" }, { brightness: 0.8, type: "bright" }], 0.5],
  ])("%s → ceiling %f", (_name, blockers, ceiling) => {
    expect(ceilingFor(blockers)).toBe(ceiling);
  });

  it("a blocked goal cannot pass 0.5: b=0.45, s=1, Δ=0.1375 → 0.5875 capped to 0.5, Δ*=0.05", () => {
    // variance 0.7·(0.05 + 0.3·0.05²) = 0.7·0.05075 = 0.035525 (uses Δ*, not Δ)
    const { next, appliedDelta } = reinforce(star({ brightness: 0.45 }), 1, { ceiling: 0.5, growthEdgeMultiplier: 1 }, T0);
    expect(next.brightness).toBe(0.5);
    expect(appliedDelta).toBeCloseTo(0.05, 12);
    expect(next.variance).toBeCloseTo(0.035525, 12);
  });

  it("a blocked goal at the ceiling stays there: Δ*=0, variance 0.7·0.05 = 0.035", () => {
    const { next, appliedDelta } = reinforce(star({ brightness: 0.5 }), 1, { ceiling: 0.5, growthEdgeMultiplier: 1 }, T0);
    expect(next.brightness).toBe(0.5);
    expect(appliedDelta).toBe(0);
    expect(next.variance).toBeCloseTo(0.035, 12);
  });

  it("a star above a new ceiling is pulled down on its next update: b=0.8, s=0.5 → 0.5, Δ*=−0.3", () => {
    // Δ = 0.25·0.5·0.2 = 0.025 → 0.825 → clamp to 0.5; variance 0.7·(0.05 + 0.3·0.09) = 0.0539
    const { next, appliedDelta } = reinforce(star({ brightness: 0.8 }), 0.5, { ceiling: 0.5, growthEdgeMultiplier: 1 }, T0);
    expect(next.brightness).toBe(0.5);
    expect(appliedDelta).toBeCloseTo(-0.3, 12);
    expect(next.variance).toBeCloseTo(0.0539, 12);
  });
});

describe("spillover", () => {
  it.each<[ConnectionType, number, number, number]>([
    ["resonance", 0.8, 0.175, 0.021], // 0.15·0.8·0.175
    ["resonance", 1, -0.0625, -0.009375], // 0.15·1·(−0.0625): resonance carries falls too
    ["tension", 0.5, 0.175, -0.007], // −0.08·0.5·0.175
    ["tension", 1, -0.0625, 0], // tension only pushes back against a rise
    ["tension", 1, 0, 0],
    ["causation", 1, 0.175, 0],
    ["growth_edge", 1, 0.175, 0],
    ["shadow_mirror", 1, 0.175, 0],
    ["blocks", 1, 0.175, 0],
  ])("%s strength %f, Δ*=%f → Δn=%f", (type, strength, applied, expected) => {
    expect(spilloverDelta(type, strength, applied)).toBeCloseTo(expected, 12);
  });

  it("resonance pair: A 0.3→0.475 (Δ*=0.175); B 0.4 gets 0.15·0.8·0.175 = 0.021 → 0.421", () => {
    const a = reinforce(star(), 1, FREE, T0 + DAY);
    const b = star({ normalizedLabel: "sleep", brightness: 0.4, lastReinforcedAt: T0 - 2 * DAY });
    const result = spill(b, "resonance", 0.8, a.appliedDelta, 1, T0 + DAY);
    expect(result).not.toBeNull();
    // variance 0.7·(0.05 + 0.3·0.021²) = 0.7·0.0501323 = 0.03509261
    expect(result?.next.brightness).toBeCloseTo(0.421, 12);
    expect(result?.appliedDelta).toBeCloseTo(0.021, 12);
    expect(result?.next.variance).toBeCloseTo(0.03509261, 12);
    expect(result?.next.radius).toBeCloseTo(1 - 0.9 * 0.421, 12);
    expect(result?.next.lastUpdatedAt).toBe(T0 + DAY);
    expect(result?.next.lastReinforcedAt).toBe(T0 - 2 * DAY); // spill is not reinforcement
  });

  it("tension pair: A rises by 0.175; B 0.6 gets −0.08·0.5·0.175 = −0.007 → 0.593", () => {
    const a = reinforce(star(), 1, FREE, T0);
    const result = spill(star({ brightness: 0.6 }), "tension", 0.5, a.appliedDelta, 1, T0);
    // variance 0.7·(0.05 + 0.3·0.007²) = 0.7·0.0500147 = 0.03501029
    expect(result?.next.brightness).toBeCloseTo(0.593, 12);
    expect(result?.next.variance).toBeCloseTo(0.03501029, 12);
  });

  it("tension does not spill when the star falls, and the neighbour is left untouched", () => {
    const a = reinforce(star(), -1, FREE, T0);
    expect(spill(star({ brightness: 0.6 }), "tension", 1, a.appliedDelta, 1, T0)).toBeNull();
  });

  it.each(["causation", "growth_edge", "shadow_mirror", "blocks"] as const)("%s never spills", (type) => {
    expect(spill(star(), type, 1, 0.2, 1, T0)).toBeNull();
  });

  it("a neighbour applies its own ceiling: 0.49 + 0.15·1·0.175 = 0.51625 → 0.5", () => {
    const result = spill(star({ brightness: 0.49 }), "resonance", 1, 0.175, 0.5, T0);
    expect(result?.next.brightness).toBe(0.5);
    expect(result?.appliedDelta).toBeCloseTo(0.01, 12);
  });

  it("spilled-into dormant neighbour above MIN+ε is reclassified (b 0.05 → 0.05 + 0.15·1·0.2 = 0.08, dim)", () => {
    const dormant = star({ brightness: 0.05, type: "dormant", lastReinforcedAt: T0 - 40 * DAY, createdAt: T0 - 60 * DAY });
    const result = spill(dormant, "resonance", 1, 0.2, 1, T0);
    expect(result?.next.brightness).toBeCloseTo(0.08, 12);
    expect(result?.next.type).toBe("dim");
    expect(result?.next.lastReinforcedAt).toBe(T0 - 40 * DAY);
  });
});

describe("classify", () => {
  // now = T0; "old" = created 10 days ago (past the 7-day nascent window).
  const old = T0 - 10 * DAY;
  it.each<[string, Partial<StarPhysics>, StarType]>([
    ["dormant exactly at day 30 with b = MIN+ε", { brightness: 0.06, lastReinforcedAt: T0 - 30 * DAY, createdAt: T0 - 40 * DAY }, "dormant"],
    ["not dormant at 29.99 days", { brightness: 0.06, lastReinforcedAt: T0 - 29.99 * DAY, createdAt: T0 - 40 * DAY }, "dim"],
    ["not dormant just above MIN+ε", { brightness: 0.0601, lastReinforcedAt: T0 - 30 * DAY, createdAt: T0 - 40 * DAY }, "dim"],
    ["dormant beats dark", { polarity: "shadow", brightness: 0.05, lastReinforcedAt: T0 - 31 * DAY, createdAt: T0 - 40 * DAY }, "dormant"],
    ["dark beats nascent", { polarity: "shadow", brightness: 0.9, createdAt: T0 - DAY }, "dark"],
    ["dark when old", { polarity: "shadow", brightness: 0.5, createdAt: old }, "dark"],
    ["nascent: 6.99 days old", { brightness: 0.9, variance: 0, createdAt: T0 - 6.99 * DAY }, "nascent"],
    ["nascent ends at exactly 7 days", { brightness: 0.9, variance: 0.01, createdAt: T0 - 7 * DAY }, "bright"],
    ["dim below 0.3", { brightness: 0.29, variance: 0, createdAt: old }, "dim"],
    ["0.3 is not dim", { brightness: 0.3, variance: 0, createdAt: old }, "flickering"],
    ["bright at 0.7 with variance exactly 0.02", { brightness: 0.7, variance: 0.02, createdAt: old }, "bright"],
    ["flickering when bright but unsteady", { brightness: 0.8, variance: 0.0201, createdAt: old }, "flickering"],
    ["flickering just under 0.7", { brightness: 0.69, variance: 0, createdAt: old }, "flickering"],
  ])("%s", (_name, overrides, expected) => {
    expect(classify(star(overrides), T0)).toBe(expected);
  });
});

describe("stabilizedAt", () => {
  it.each<[string, Partial<StarPhysics>, number | undefined]>([
    // Each row applies Δ=0 at T0, so variance' = 0.7·variance.
    ["set the first time an old star reaches ≤ 0.005 (0.7·0.007 = 0.0049)", { variance: 0.007 }, T0],
    ["not set above 0.005 (0.7·0.0072 = 0.00504)", { variance: 0.0072 }, undefined],
    ["not set while nascent (3 days old)", { variance: 0.007, createdAt: T0 - 3 * DAY }, undefined],
    ["not set for a young dark star either (age-based)", { variance: 0.007, polarity: "shadow", createdAt: T0 - 3 * DAY }, undefined],
    ["kept between STABLE and FLICKER (0.7·0.019 = 0.0133)", { variance: 0.019, stabilizedAt: T0 - 5 * DAY }, T0 - 5 * DAY],
  ])("%s", (_name, overrides, expected) => {
    expect(applyDelta(star(overrides), 0, 1, T0, { reinforced: false }).next.stabilizedAt).toBe(expected);
  });

  it("cleared when variance rises above 0.02: 0.7·(0.01 + 0.3·0.3²) = 0.0259", () => {
    const stable = star({ brightness: 0.4, variance: 0.01, stabilizedAt: T0 - 5 * DAY });
    const { next } = applyDelta(stable, 0.3, 1, T0, { reinforced: true });
    expect(next.variance).toBeCloseTo(0.0259, 12);
    expect(next.stabilizedAt).toBeUndefined();
    expect(next.type).toBe("flickering"); // b 0.7 but variance > 0.02
  });

  it.each<[number, number | undefined, number | undefined]>([
    [0.005, undefined, T0], // ≤ STABLE → now
    [0.0051, undefined, undefined],
    [0.02, T0 - DAY, T0 - DAY], // exactly FLICKER keeps it
    [0.0201, T0 - DAY, undefined], // above FLICKER clears it
  ])("nextStabilizedAt(variance %f, was %s) → %s", (variance, was, expected) => {
    expect(nextStabilizedAt(star({ variance, stabilizedAt: was }), T0)).toBe(expected);
  });

  it("a quiet stabilization happens at createdAt + 7 days", () => {
    const quiet = star({ variance: 0.004, createdAt: T0, lastUpdatedAt: T0 + DAY });
    expect(stabilizationReached(quiet, T0 + 6 * DAY)).toBeUndefined();
    expect(stabilizationReached(quiet, T0 + 7 * DAY)).toBe(T0 + 7 * DAY);
    expect(stabilizationReached(quiet, T0 + 20 * DAY)).toBe(T0 + 7 * DAY);
    expect(stabilizationReached({ ...quiet, variance: 0.006 }, T0 + 20 * DAY)).toBeUndefined();
  });
});

describe("decay", () => {
  it.each<[string, number | undefined, number, number]>([
    // b' = 0.05 + (0.65 − 0.05)·2^(−days/H)
    ["14 days, H=14: half the excess, 0.05 + 0.3", undefined, 14, 0.35],
    ["28 days, H=14: a quarter, 0.05 + 0.15", undefined, 28, 0.2],
    ["30 days stabilized, H=30: half, 0.05 + 0.3", T0 - DAY, 30, 0.35],
    ["60 days stabilized, H=30: a quarter", T0 - DAY, 60, 0.2],
    ["14 days stabilized: 0.05 + 0.6·2^(−14/30)", T0 - DAY, 14, 0.48418077123211334],
    ["0 days: unchanged", undefined, 0, 0.65],
  ])("%s", (_name, stabilizedAt, days, expected) => {
    const decayed = decay(star({ brightness: 0.65, variance: 0.01, stabilizedAt }), T0 + days * DAY);
    expect(decayed.brightness).toBeCloseTo(expected, 12);
    expect(decayed.radius).toBeCloseTo(1 - 0.9 * expected, 12);
    expect(decayed.lastUpdatedAt).toBe(T0 + days * DAY);
    expect(decayed.variance).toBe(0.01); // decay is not evidence
  });

  it("switches half-life at a quiet stabilization: 7 days at H=14, then 30 at H=30", () => {
    // 0.05 + 0.6·2^(−7/14)·2^(−30/30) = 0.05 + 0.6·0.70710678·0.5 = 0.26213203435596427
    const young = star({ brightness: 0.65, variance: 0.004, createdAt: T0, lastUpdatedAt: T0, lastReinforcedAt: T0 });
    const decayed = decay(young, T0 + 37 * DAY);
    expect(decayed.brightness).toBeCloseTo(0.26213203435596427, 12);
    expect(decayed.stabilizedAt).toBe(T0 + 7 * DAY);
    expect(decayFactor(T0, T0 + 37 * DAY, T0 + 7 * DAY)).toBeCloseTo(Math.SQRT1_2 / 2, 12);
  });

  it("reclassifies: bright 0.75 → 14 days → 0.4, flickering", () => {
    const decayed = decay(star({ brightness: 0.75, variance: 0.01, type: "bright" }), T0 + 14 * DAY);
    expect(decayed.brightness).toBeCloseTo(0.4, 12); // 0.05 + 0.7/2
    expect(decayed.type).toBe("flickering");
  });

  it("shadow stars decay too", () => {
    const decayed = decay(star({ polarity: "shadow", type: "dark", brightness: 0.65 }), T0 + 14 * DAY);
    expect(decayed.brightness).toBeCloseTo(0.35, 12);
    expect(decayed.type).toBe("dark");
  });

  it("skips dormant stars: a stored dormant star comes back unchanged", () => {
    const dormant = star({ brightness: 0.055, type: "dormant", lastReinforcedAt: T0 - 40 * DAY, createdAt: T0 - 60 * DAY });
    expect(decay(dormant, T0 + DAY)).toBe(dormant);
  });

  it("a star that has become dormant only gets its type updated", () => {
    const fading = star({ brightness: 0.055, type: "dim", lastReinforcedAt: T0 - 40 * DAY, createdAt: T0 - 60 * DAY });
    expect(decay(fading, T0 + DAY)).toEqual({ ...fading, type: "dormant" });
  });

  it("never brightens when now is before lastUpdatedAt", () => {
    const s = star({ brightness: 0.65 });
    expect(decay(s, T0 - DAY).brightness).toBe(0.65);
  });
});

describe("decayWriteNeeded", () => {
  const before = star({ brightness: 0.5 });
  it.each<[string, Partial<StarPhysics>, boolean]>([
    ["brightness moved 5e-7: skip", { brightness: 0.5 + 5e-7, lastUpdatedAt: T0 + DAY }, false],
    ["brightness moved 2e-6: write", { brightness: 0.5 + 2e-6 }, true],
    ["type changed: write", { type: "dormant" }, true],
    ["stabilizedAt changed: write", { stabilizedAt: T0 }, true],
  ])("%s", (_name, changes, expected) => {
    expect(decayWriteNeeded(before, { ...before, ...changes })).toBe(expected);
  });
});

describe("shadow drain", () => {
  it.each([
    [0.65, 1, 3, 0.6321794], // 0.05 + 0.6·0.99³ = 0.05 + 0.6·0.970299
    [0.65, 0.5, 3, 0.641044925], // 0.05 + 0.6·0.995³ = 0.05 + 0.6·0.985074875
    [0.65, 1, 0, 0.65],
    [0.05, 1, 30, 0.05], // nothing above MIN to drain
  ])("b=%f strength=%f over %f days → %f", (b, strength, days, expected) => {
    expect(shadowDrain(b, strength, days)).toBeCloseTo(expected, 12);
  });

  it("drainDays counts fractional days since lastDrainAt, never negative", () => {
    expect(drainDays(T0, T0 + 3 * DAY)).toBe(3);
    expect(drainDays(T0, T0 + DAY / 2)).toBe(0.5);
    expect(drainDays(T0, T0 - DAY)).toBe(0);
  });

  it("drainStar moves brightness and radius, keeps lastUpdatedAt and variance", () => {
    const drained = drainStar(star({ brightness: 0.65, variance: 0.01 }), 1, 3, T0 + 3 * DAY);
    expect(drained.brightness).toBeCloseTo(0.6321794, 12);
    expect(drained.radius).toBeCloseTo(1 - 0.9 * 0.6321794, 12);
    expect(drained.lastUpdatedAt).toBe(T0);
    expect(drained.variance).toBe(0.01);
  });

  it("drain and decay commute", () => {
    const s = star({ brightness: 0.8 });
    const a = decay(drainStar(s, 0.7, 5, T0 + 5 * DAY), T0 + 5 * DAY);
    const b = drainStar(decay(s, T0 + 5 * DAY), 0.7, 5, T0 + 5 * DAY);
    expect(a.brightness).toBeCloseTo(b.brightness, 12);
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const MIN = STAR_CONSTANTS.MIN_BRIGHTNESS;
const MAX = STAR_CONSTANTS.MAX_BRIGHTNESS;

const arbStar = (brightness = fc.double({ min: MIN, max: MAX, noNaN: true })) =>
  fc
    .record({
      domain: fc.constantFrom<Domain>(...DOMAINS),
      polarity: fc.constantFrom("light" as const, "shadow" as const),
      brightness,
      variance: fc.double({ min: 0, max: 0.06, noNaN: true }),
      ageDays: fc.double({ min: 0, max: 40, noNaN: true }),
      sinceUpdateDays: fc.double({ min: 0, max: 5, noNaN: true }),
      stabilized: fc.boolean(),
    })
    .map(({ ageDays, sinceUpdateDays, stabilized, ...rest }) => {
      const lastUpdatedAt = T0 - Math.min(ageDays, sinceUpdateDays) * DAY;
      const s = star({
        ...rest,
        createdAt: T0 - ageDays * DAY,
        lastUpdatedAt,
        lastReinforcedAt: lastUpdatedAt,
        stabilizedAt: stabilized && rest.variance <= 0.02 ? lastUpdatedAt : undefined,
      });
      return { ...s, type: classify(s, T0) };
    });

type Step =
  | { kind: "reinforce"; signal: number; ceiling: number; multiplier: number }
  | { kind: "spill"; type: ConnectionType; strength: number; applied: number; ceiling: number }
  | { kind: "decay"; days: number }
  | { kind: "drain"; strength: number; days: number };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("reinforce" as const),
    signal: fc.double({ min: -1, max: 1, noNaN: true }),
    ceiling: fc.constantFrom(0.5, 1),
    multiplier: fc.double({ min: 1, max: 1.2, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant("spill" as const),
    type: fc.constantFrom(...CONNECTION_TYPES),
    strength: fc.double({ min: 0, max: 1, noNaN: true }),
    applied: fc.double({ min: -0.95, max: 0.95, noNaN: true }),
    ceiling: fc.constantFrom(0.5, 1),
  }),
  fc.record({ kind: fc.constant("decay" as const), days: fc.double({ min: 0, max: 60, noNaN: true }) }),
  fc.record({
    kind: fc.constant("drain" as const),
    strength: fc.double({ min: 0, max: 1, noNaN: true }),
    days: fc.double({ min: 0, max: 30, noNaN: true }),
  }),
);

describe("properties", () => {
  it("brightness stays in [0.05, 1] and radius follows it under any sequence", () => {
    fc.assert(
      fc.property(arbStar(), fc.array(arbStep, { maxLength: 30 }), (start, steps) => {
        let s = start;
        let now = T0;
        for (const step of steps) {
          if (step.kind === "reinforce") {
            s = reinforce(s, step.signal, { ceiling: step.ceiling, growthEdgeMultiplier: step.multiplier }, now).next;
          } else if (step.kind === "spill") {
            s = spill(s, step.type, step.strength, step.applied, step.ceiling, now)?.next ?? s;
          } else if (step.kind === "decay") {
            now += step.days * DAY;
            s = decay(s, now);
          } else {
            s = drainStar(s, step.strength, step.days, now);
          }
          expect(s.brightness).toBeGreaterThanOrEqual(MIN);
          expect(s.brightness).toBeLessThanOrEqual(MAX);
          expect(s.radius).toBeCloseTo(radiusFor(s.brightness), 12);
          expect(Number.isFinite(s.variance) && s.variance >= 0).toBe(true);
          expect(s.type).toBe(classify(s, now));
        }
      }),
    );
  });

  it("non-spilling connection types always give Δn = 0", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ConnectionType>("causation", "growth_edge", "shadow_mirror", "blocks"),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (type, strength, applied) => {
          expect(spilloverDelta(type, strength, applied)).toBe(0);
        },
      ),
    );
  });

  // Brightness above MIN+ε can never be judged dormant before a run, so these hold exactly.
  const arbLiveStar = arbStar(fc.double({ min: 0.0601, max: MAX, noNaN: true }));

  it("decay is monotone non-increasing in elapsed time", () => {
    fc.assert(
      fc.property(
        arbLiveStar,
        fc.double({ min: 0, max: 90, noNaN: true }),
        fc.double({ min: 0, max: 90, noNaN: true }),
        (s, d1, d2) => {
          const [early, late] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const bEarly = decay(s, T0 + early * DAY).brightness;
          const bLate = decay(s, T0 + late * DAY).brightness;
          expect(bEarly).toBeLessThanOrEqual(s.brightness);
          expect(bLate).toBeLessThanOrEqual(bEarly);
        },
      ),
    );
  });

  it("decay composes: decay(decay(s, t1), t2) = decay(s, t2) to 1e-9 while the star stays awake", () => {
    fc.assert(
      fc.property(
        arbLiveStar,
        fc.double({ min: 0, max: 25, noNaN: true }),
        fc.double({ min: 0, max: 25, noNaN: true }),
        (s, d1, d2) => {
          const [t1, t2] = d1 <= d2 ? [T0 + d1 * DAY, T0 + d2 * DAY] : [T0 + d2 * DAY, T0 + d1 * DAY];
          // The premise: t2 − lastReinforcedAt < 30 days, so dormancy cannot freeze either
          // path (the generator may place lastReinforcedAt before T0, so state it).
          fc.pre(t2 - s.lastReinforcedAt < STAR_CONSTANTS.DORMANT_AFTER_DAYS * DAY);
          const split = decay(decay(s, t1), t2);
          const direct = decay(s, t2);
          expect(Math.abs(split.brightness - direct.brightness)).toBeLessThan(1e-9);
          expect(split.stabilizedAt).toBe(direct.stabilizedAt);
          expect(split.type).toBe(direct.type);
        },
      ),
    );
  });

  it("split runs differ by less than DORMANT_EPSILON even when the star goes dormant", () => {
    fc.assert(
      fc.property(
        arbStar(),
        fc.double({ min: 0, max: 120, noNaN: true }),
        fc.double({ min: 0, max: 120, noNaN: true }),
        (s, d1, d2) => {
          const [t1, t2] = d1 <= d2 ? [T0 + d1 * DAY, T0 + d2 * DAY] : [T0 + d2 * DAY, T0 + d1 * DAY];
          const gap = Math.abs(decay(decay(s, t1), t2).brightness - decay(s, t2).brightness);
          expect(gap).toBeLessThanOrEqual(STAR_CONSTANTS.DORMANT_EPSILON + 1e-12);
        },
      ),
    );
  });

  it("reinforcement with s > 0 never lowers a star at or below its ceiling (s < 0 never raises it)", () => {
    fc.assert(
      fc.property(
        arbStar(),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.constantFrom(0.5, 1),
        fc.double({ min: 1, max: 1.2, noNaN: true }),
        (s, signal, ceiling, multiplier) => {
          fc.pre(s.brightness <= ceiling && signal !== 0);
          const { next } = reinforce(s, signal, { ceiling, growthEdgeMultiplier: multiplier }, T0);
          if (signal > 0) expect(next.brightness).toBeGreaterThanOrEqual(s.brightness);
          else expect(next.brightness).toBeLessThanOrEqual(s.brightness);
        },
      ),
    );
  });
});

describe("rementionSignal", () => {
  it.each([
    [0.6, 0.3], // 0.5 · 0.6
    [1, 0.5],
    [0, 0],
    [undefined, 0.15], // 0.5 · DEFAULT_INTENSITY 0.3
  ])("intensity %s → signal %s", (intensity, signal) => {
    expect(rementionSignal(intensity)).toBeCloseTo(signal, 15);
  });
});
