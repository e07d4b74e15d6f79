import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DOMAINS, EMPTY_GROWTH_PROFILE } from "../../src/domain";
import type { Domain } from "../../src/domain";
import {
  LATENT_SIZE,
  activeJourneyWeights,
  alignment,
  computeLifeState,
  effortByDomain,
  escapeIndex,
  gravity,
  gravityInputsFrom,
  latentVector,
  load,
  mass,
  meanLightBrightnessByDomain,
  recencyWeight,
  thrust,
  zeroDomainVector,
} from "../../src/mechanics/lifeState";
import type { DomainVector, GrowthEventInput, LifeStateInputs } from "../../src/mechanics/lifeState";
import { DAY } from "../../src/time";

const NOW = Date.parse("2026-06-15T12:00:00Z");
const vec = (partial: Partial<DomainVector>): DomainVector => ({ ...zeroDomainVector(), ...partial });
const noGravity = { darkStars: [], blocks: [], tensions: [] };

function inputs(partial: Partial<LifeStateInputs>): LifeStateInputs {
  return {
    growthEvents: [],
    journeyWeights: null,
    gravity: noGravity,
    load: 0,
    meanBrightnessByDomain: zeroDomainVector(),
    growthProfile: EMPTY_GROWTH_PROFILE,
    ...partial,
  };
}

describe("recency weight and thrust", () => {
  it("halves every 3.5 days", () => {
    expect(recencyWeight(0)).toBe(1);
    expect(recencyWeight(3.5 * DAY)).toBe(0.5); // 2^(−3.5/3.5) = 2^−1
    expect(recencyWeight(7 * DAY)).toBe(0.25); // 2^(−7/3.5) = 2^−2
    expect(recencyWeight(1.75 * DAY)).toBeCloseTo(Math.SQRT1_2, 15); // 2^(−1/2)
  });

  it("T = 1 − exp(−Σ w·delta) over positive deltas of the last 7 days", () => {
    const events: GrowthEventInput[] = [
      { delta: 0.4, domain: "health", createdAt: NOW }, // w = 1   → 0.4
      { delta: 0.4, createdAt: NOW - 3.5 * DAY }, //       w = 0.5 → 0.2 (no domain: still thrust)
      { delta: -0.5, domain: "health", createdAt: NOW }, // negative: ignored
      { delta: 1, domain: "health", createdAt: NOW - 7 * DAY }, // age = 7 days: outside the window
      { delta: 1, domain: "health", createdAt: NOW + 1 }, // after now: ignored
    ];
    // E = 0.4 + 0.2 = 0.6 ; T = 1 − e^−0.6 = 1 − 0.548811636094026 = 0.451188363905974
    expect(thrust(events, NOW)).toBeCloseTo(0.451188363905974, 12);
    expect(thrust([], NOW)).toBe(0);
  });

  it("effort by domain skips events without a domain", () => {
    const events: GrowthEventInput[] = [
      { delta: 0.4, domain: "health", createdAt: NOW },
      { delta: 0.4, domain: "health", createdAt: NOW - 3.5 * DAY },
      { delta: 0.2, domain: "soul", createdAt: NOW - 7 * DAY + 1 }, // just inside: w ≈ 0.25
      { delta: 0.9, createdAt: NOW },
    ];
    const e = effortByDomain(events, NOW);
    expect(e.health).toBeCloseTo(0.6, 12); // 0.4·1 + 0.4·0.5
    expect(e.soul).toBeCloseTo(0.05, 9); //   0.2·0.25
    expect(e.wealth).toBe(0);
    expect(e.relationships).toBe(0);
    expect(e.purpose).toBe(0);
  });
});

describe("alignment", () => {
  it("is the cosine of effort and journey weights, clamped to [0,1]", () => {
    expect(alignment(vec({ health: 2 }), vec({ health: 1 }))).toBe(1);
    // e = (3,4,0,0,0), g = (1,0,0,0,0): 3/(5·1) = 0.6
    expect(alignment(vec({ health: 3, wealth: 4 }), vec({ health: 1 }))).toBeCloseTo(0.6, 15);
    // e = (1,0,...), g = (1,1,0,...): 1/√2
    expect(alignment(vec({ health: 1 }), vec({ health: 1, wealth: 1 }))).toBeCloseTo(0.7071067811865476, 15);
    expect(alignment(vec({ health: 1 }), vec({ wealth: 1 }))).toBe(0); // orthogonal
    expect(alignment(vec({ health: 1 }), vec({ health: -1 }))).toBe(0); // negative cosine clamped
  });

  it("no effort → 0 (even without a journey); no journey or all-zero weights → 0.5", () => {
    expect(alignment(zeroDomainVector(), null)).toBe(0);
    expect(alignment(zeroDomainVector(), vec({ health: 1 }))).toBe(0);
    expect(alignment(vec({ purpose: 0.3 }), null)).toBe(0.5);
    expect(alignment(vec({ purpose: 0.3 }), zeroDomainVector())).toBe(0.5);
  });

  it("measures against the most recently started walking journey", () => {
    const journeys = [
      { status: "walking" as const, startedAt: 100, domainWeights: vec({ health: 1 }) },
      { status: "walking" as const, startedAt: 200, domainWeights: vec({ soul: 1 }) },
      { status: "paused" as const, startedAt: 300, domainWeights: vec({ wealth: 1 }) },
    ];
    expect(activeJourneyWeights(journeys)).toEqual(vec({ soul: 1 }));
    expect(activeJourneyWeights([journeys[2]])).toBeNull();
  });
});

describe("gravity and mass", () => {
  it("G = 1 − exp(−D) with D = Σ b(1+0.5·mirrors) + Σ 0.5·s + Σ 0.25·s·min(bA,bB)", () => {
    // one dark star b = 0.6, no mirrors: D = 0.6, G = 1 − e^−0.6 = 0.451188363905974
    expect(gravity({ darkStars: [{ brightness: 0.6, shadowMirrorCount: 0 }], blocks: [], tensions: [] })).toBeCloseTo(
      0.451188363905974,
      12,
    );
    // D = 0.6·(1 + 0.5·2) + 0.5·0.5 + 0.25·0.8·min(0.4, 0.9) = 1.2 + 0.25 + 0.08 = 1.53
    // G = 1 − e^−1.53 = 0.783464332683993
    const g = gravity({
      darkStars: [{ brightness: 0.6, shadowMirrorCount: 2 }],
      blocks: [{ strength: 0.5 }],
      tensions: [{ strength: 0.8, bA: 0.4, bB: 0.9 }],
    });
    expect(g).toBeCloseTo(0.783464332683993, 12);
    expect(gravity(noGravity)).toBe(0);
  });

  it("builds its inputs from stars and connections, ignoring dormant stars", () => {
    const stars = [
      { id: "d1", type: "dark" as const, polarity: "shadow" as const, brightness: 0.6 },
      { id: "d2", type: "dormant" as const, polarity: "shadow" as const, brightness: 0.05 },
      { id: "l1", type: "bright" as const, polarity: "light" as const, brightness: 0.9 },
      { id: "l2", type: "flickering" as const, polarity: "light" as const, brightness: 0.4 },
      { id: "l3", type: "dormant" as const, polarity: "light" as const, brightness: 0.05 },
    ];
    const connections = [
      { type: "shadow_mirror", fromStarId: "d1", toStarId: "l1", strength: 0.5 }, // counts for d1
      { type: "shadow_mirror", fromStarId: "d1", toStarId: "l3", strength: 0.5 }, // dormant mirror: counts
      { type: "shadow_mirror", fromStarId: "d1", toStarId: "gone", strength: 0.5 }, // unknown star: no
      { type: "shadow_mirror", fromStarId: "d2", toStarId: "l1", strength: 0.5 }, // dormant dark: no
      { type: "blocks", fromStarId: "l2", toStarId: "l1", strength: 0.5 }, // active
      { type: "blocks", fromStarId: "l3", toStarId: "l1", strength: 0.9 }, // dormant blocker: inactive
      { type: "tension", fromStarId: "l1", toStarId: "l2", strength: 0.8 },
      { type: "tension", fromStarId: "l1", toStarId: "l3", strength: 0.8 }, // dormant end: no
      { type: "resonance", fromStarId: "l1", toStarId: "l2", strength: 1 }, // not gravity
      { type: "blocks", fromStarId: "gone", toStarId: "l1", strength: 1 }, // unknown star
    ];
    const built = gravityInputsFrom(stars, connections);
    expect(built).toEqual({
      darkStars: [{ brightness: 0.6, shadowMirrorCount: 2 }],
      blocks: [{ strength: 0.5 }],
      tensions: [{ strength: 0.8, bA: 0.9, bB: 0.4 }],
    });
    // D = 0.6·(1 + 0.5·2) + 0.5·0.5 + 0.25·0.8·min(0.9, 0.4) = 1.2 + 0.25 + 0.08 = 1.53
    // G = 1 − e^−1.53 = 0.783464332683993
    expect(gravity(built)).toBeCloseTo(0.783464332683993, 12);
  });

  it("M = 1 − exp(−L/5)", () => {
    expect(load({ activeMissions: 2, openExperiments: 1, unreachedMilestones: 2 })).toBe(5);
    expect(mass(0)).toBe(0);
    expect(mass(5)).toBeCloseTo(0.6321205588285577, 15); // 1 − e^−1
    expect(mass(2)).toBeCloseTo(0.3296799539643607, 15); // 1 − e^−0.4
  });
});

describe("escape index", () => {
  it("floors gravity at 0.05 and clamps to [0, 10]", () => {
    expect(escapeIndex(0.1, 1, 0, 0)).toBeCloseTo(4, 12); //    (0.1/0.5)·1/0.05 = 0.2/0.05 = 4
    expect(escapeIndex(0.1, 1, 0.04, 0)).toBeCloseTo(4, 12); // 0.04 < 0.05: floored
    expect(escapeIndex(0.1, 1, 0.1, 0)).toBeCloseTo(2, 12); //  0.2/0.1 = 2
    expect(escapeIndex(0.5, 1, 0, 0)).toBe(10); //               (0.5/0.5)/0.05 = 20 → 10
    expect(escapeIndex(0, 1, 0.5, 0)).toBe(0);
  });

  it("one dark star (b = 0.6), no journey, no effort: T = 0, A = 0, η = 0", () => {
    const oneDarkStar = { darkStars: [{ brightness: 0.6, shadowMirrorCount: 0 }], blocks: [], tensions: [] };
    const s = computeLifeState(inputs({ gravity: oneDarkStar }), NOW);
    expect(s.thrust).toBe(0);
    expect(s.alignment).toBe(0); // no effort takes precedence over "no journey"
    expect(s.gravity).toBeCloseTo(0.451188363905974, 12); // 1 − e^−0.6
    expect(s.mass).toBe(0);
    expect(s.escapeIndex).toBe(0);
  });

  it("same star, some effort, no journey: A = 0.5", () => {
    const s = computeLifeState(
      inputs({
        growthEvents: [{ delta: 0.5, domain: "purpose", createdAt: NOW }],
        gravity: { darkStars: [{ brightness: 0.6, shadowMirrorCount: 0 }], blocks: [], tensions: [] },
      }),
      NOW,
    );
    // T = 1 − e^−0.5 = 0.393469340287367 ; A = 0.5 ; M = 0 ; G = 0.451188363905974
    // η = (0.393469340287367/0.5)·0.5/0.451188363905974 = 0.393469340287367/0.451188363905974 = 0.872073332922576
    expect(s.thrust).toBeCloseTo(0.393469340287367, 12);
    expect(s.alignment).toBe(0.5);
    expect(s.escapeIndex).toBeCloseTo(0.872073332922576, 12);
  });

  it("effort without a domain gives thrust but no alignment, so η = 0", () => {
    const s = computeLifeState(
      inputs({
        growthEvents: [{ delta: 0.5, createdAt: NOW }],
        gravity: { darkStars: [{ brightness: 0.6, shadowMirrorCount: 0 }], blocks: [], tensions: [] },
      }),
      NOW,
    );
    expect(s.thrust).toBeCloseTo(0.393469340287367, 12);
    expect(s.alignment).toBe(0);
    expect(s.escapeIndex).toBe(0);
  });

  it("walking an aligned journey (all effort in health, weights only health)", () => {
    const s = computeLifeState(
      inputs({
        growthEvents: [
          { delta: 0.4, domain: "health", createdAt: NOW }, //              w = 1
          { delta: 0.4, domain: "health", createdAt: NOW - 3.5 * DAY }, //  w = 0.5
        ],
        journeyWeights: vec({ health: 1 }),
        gravity: { darkStars: [], blocks: [{ strength: 0.2 }], tensions: [] },
        load: 5,
      }),
      NOW,
    );
    // E = 0.4 + 0.2 = 0.6        T = 1 − e^−0.6 = 0.451188363905974
    // A = cos((0.6,0,0,0,0), (1,0,0,0,0)) = 1
    // D = 0.5·0.2 = 0.1          G = 1 − e^−0.1 = 0.095162581964040
    // L = 5                      M = 1 − e^−1   = 0.632120558828558
    // η = (0.451188363905974/1.132120558828558)·1/0.095162581964040
    //   = 0.398533849056529/0.095162581964040 = 4.187925977114877
    expect(s.thrust).toBeCloseTo(0.451188363905974, 12);
    expect(s.alignment).toBe(1);
    expect(s.gravity).toBeCloseTo(0.09516258196404, 12);
    expect(s.mass).toBeCloseTo(0.632120558828558, 12);
    expect(s.escapeIndex).toBeCloseTo(4.187925977114877, 10);
    expect(s.latent.slice(11)).toEqual([s.thrust, s.alignment, s.gravity, s.mass]);
  });
});

describe("latent vector", () => {
  it("has 15 numbers: domains, growth dimensions (capped at mastery 1.0), then T, A, G, M", () => {
    const z = latentVector({
      meanBrightnessByDomain: { health: 0.8, wealth: 0, relationships: 0.5, purpose: 0.25, soul: 0.1 },
      growthProfile: { self_know: 0.3, self_act: 1.5, self_show: 0, world_know: 1, world_act: -0.2, world_show: 0.99 },
      T: 0.1,
      A: 0.2,
      G: 0.3,
      M: 0.4,
    });
    expect(LATENT_SIZE).toBe(15);
    expect(z).toEqual([0.8, 0, 0.5, 0.25, 0.1, 0.3, 1, 0, 1, -0.2, 0.99, 0.1, 0.2, 0.3, 0.4]);
  });

  it("averages non-dormant light stars per domain (0 for none)", () => {
    const m = meanLightBrightnessByDomain([
      { domain: "health", polarity: "light", type: "bright", brightness: 0.8 },
      { domain: "health", polarity: "light", type: "dim", brightness: 0.2 },
      { domain: "health", polarity: "shadow", type: "dark", brightness: 0.9 }, // shadow: excluded
      { domain: "wealth", polarity: "light", type: "dormant", brightness: 0.05 }, // dormant: excluded
      { domain: "soul", polarity: "light", type: "nascent", brightness: 0.3 },
    ]);
    expect(m).toEqual({ health: 0.5, wealth: 0, relationships: 0, purpose: 0, soul: 0.3 }); // (0.8+0.2)/2
  });
});

describe("properties", () => {
  const domain = fc.option(fc.constantFrom<Domain>(...DOMAINS), { nil: undefined });
  const event = fc.record({
    delta: fc.double({ min: -1, max: 1, noNaN: true }),
    domain,
    createdAt: fc.integer({ min: NOW - 10 * DAY, max: NOW + DAY }),
  });
  const weight = fc.integer({ min: -1, max: 5 });
  const weights = fc.option(
    fc.record({ health: weight, wealth: weight, relationships: weight, purpose: weight, soul: weight }),
    { nil: null },
  );
  const gravityInputs = fc.record({
    darkStars: fc.array(
      fc.record({ brightness: fc.double({ min: 0.05, max: 1, noNaN: true }), shadowMirrorCount: fc.nat(5) }),
      { maxLength: 5 },
    ),
    blocks: fc.array(fc.record({ strength: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 5 }),
    tensions: fc.array(
      fc.record({
        strength: fc.double({ min: 0, max: 1, noNaN: true }),
        bA: fc.double({ min: 0.05, max: 1, noNaN: true }),
        bB: fc.double({ min: 0.05, max: 1, noNaN: true }),
      }),
      { maxLength: 5 },
    ),
  });

  it("every output is in range and the latent vector has 15 finite numbers", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), weights, gravityInputs, fc.nat(50), (events, w, g, l) => {
        const s = computeLifeState(inputs({ growthEvents: events, journeyWeights: w, gravity: g, load: l }), NOW);
        for (const x of [s.thrust, s.alignment, s.gravity, s.mass]) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
        expect(s.escapeIndex).toBeGreaterThanOrEqual(0);
        expect(s.escapeIndex).toBeLessThanOrEqual(10);
        expect(s.latent).toHaveLength(15);
        expect(s.latent.every(Number.isFinite)).toBe(true);
      }),
    );
  });

  it("a new positive event never lowers thrust", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), event, (events, extra) => {
        const added = { ...extra, delta: Math.abs(extra.delta) };
        expect(thrust([...events, added], NOW)).toBeGreaterThanOrEqual(thrust(events, NOW) - 1e-15);
      }),
    );
  });
});
