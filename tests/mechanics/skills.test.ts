// MECHANICS §3: Bayesian skill levels. Expectations are computed by hand (shown in the
// comments), never from the module's constants, so changing a constant fails a test.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DOMAINS, SKILL_CATEGORIES, type SkillSource } from "../../src/domain";
import { DAY } from "../../src/time";
import {
  INFLATION_PER_DAY,
  LEVEL_MAX,
  LEVEL_MIN,
  OBS_BASE_VARIANCE,
  OBS_SPREAD,
  PRIOR_MEAN,
  PRIOR_VARIANCE,
  SKILL_EDGE_SEED,
  SKILL_SEED,
  SOURCE_CONFIDENCE_RANGES,
  TRANSFER_CONFIDENCE_FACTOR,
  UTILIZATION_FULL_AT,
  UTILIZATION_WINDOW_DAYS,
  bayesianUpdate,
  beliefConfidence,
  clampConfidence,
  evidenceInWindow,
  inflateVariance,
  normalizeSkillName,
  observationVariance,
  priorBelief,
  transferObservation,
  updateBelief,
  utilization,
} from "../../src/mechanics/skills";

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

describe("constants", () => {
  it("match the spec", () => {
    expect(PRIOR_MEAN).toBe(5);
    expect(PRIOR_VARIANCE).toBe(9);
    expect(OBS_BASE_VARIANCE).toBe(0.25);
    expect(OBS_SPREAD).toBe(9);
    expect(INFLATION_PER_DAY).toBe(0.02);
    expect(UTILIZATION_WINDOW_DAYS).toBe(30);
    expect(UTILIZATION_FULL_AT).toBe(4);
    expect(TRANSFER_CONFIDENCE_FACTOR).toBe(0.5);
    expect([LEVEL_MIN, LEVEL_MAX]).toEqual([0, 10]);
    expect(SOURCE_CONFIDENCE_RANGES).toEqual({
      interview: [0.5, 0.7],
      artifact: [0.7, 0.9],
      echelon: [0.8, 1.0],
      external: [0.4, 0.6],
    });
  });
});

describe("the first artifact on the default prior", () => {
  // σobs² = 0.25 + 9·(1 − 0.8)² = 0.25 + 9·0.04 = 0.61
  // σ'²   = 1/(1/9 + 1/0.61) = 1/(0.111111 + 1.639344) = 1/1.750455 = 0.5712799…
  // μ'    = 0.5712799·(5/9 + 7.5/0.61) = 0.5712799·(0.555556 + 12.295082) = 7.3413111…
  // conf  = 1 − 0.5712799/9 = 0.9365245…
  it("moves 5 → ≈7.34 with variance ≈0.571", () => {
    const belief = updateBelief(null, { source: "artifact", level: 7.5, confidence: 0.8 }, T0);
    expect(belief.mean).toBeCloseTo(7.341311, 6);
    expect(belief.variance).toBeCloseTo(0.57128, 6);
    expect(belief.confidence).toBeCloseTo(0.936524, 6);
    expect(belief.lastEvidenceAt).toBe(T0);
  });

  it("matches the raw posterior formula", () => {
    const posterior = bayesianUpdate({ mean: 5, variance: 9 }, { level: 7.5, confidence: 0.8 });
    expect(posterior.mean).toBeCloseTo(7.341311, 6);
    expect(posterior.variance).toBeCloseTo(0.57128, 6);
  });

  it("is not inflated even when `now` is long after anything (the prior is already σ0²)", () => {
    const late = updateBelief(null, { source: "artifact", level: 7.5, confidence: 0.8 }, T0 + 400 * DAY);
    expect(late.variance).toBeCloseTo(0.57128, 6);
  });
});

describe("a second piece of evidence after 10 idle days", () => {
  // Inflate: 0.5712799 + 0.02·10 = 0.7712799.
  // interview 6 @ 0.6 (inside [0.5, 0.7]): σobs² = 0.25 + 9·0.4² = 0.25 + 1.44 = 1.69
  // σ'² = 1/(1/0.7712799 + 1/1.69) = 1/(1.296546 + 0.591716) = 0.5295875…
  // μ'  = 0.5295875·(7.341311/0.7712799 + 6/1.69) = 0.5295875·(9.518347 + 3.550296) = 6.9209907…
  it("inflates by elapsed days, then updates", () => {
    const first = updateBelief(null, { source: "artifact", level: 7.5, confidence: 0.8 }, T0);
    const second = updateBelief(first, { source: "interview", level: 6, confidence: 0.6 }, T0 + 10 * DAY);
    expect(second.variance).toBeCloseTo(0.529587, 6);
    expect(second.mean).toBeCloseTo(6.920991, 6);
    expect(second.confidence).toBeCloseTo(1 - 0.529587492 / 9, 6); // 0.941157
    expect(second.lastEvidenceAt).toBe(T0 + 10 * DAY);
  });

  it("never rewinds lastEvidenceAt for late-arriving evidence, and does not deflate", () => {
    const first = updateBelief(null, { source: "artifact", level: 7.5, confidence: 0.8 }, T0);
    const late = updateBelief(first, { source: "interview", level: 6, confidence: 0.6 }, T0 - DAY);
    expect(late.lastEvidenceAt).toBe(T0);
    // No inflation (negative days count as 0): 1/(1/0.5712799 + 1/1.69) = 0.426954…
    expect(late.variance).toBeCloseTo(0.426954, 6);
  });
});

describe("confidence clamping per source", () => {
  it.each([
    ["interview", 0.9, 0.7],
    ["interview", 0.2, 0.5],
    ["interview", 0.6, 0.6],
    ["artifact", 0.5, 0.7],
    ["artifact", 0.95, 0.9],
    ["artifact", 0.8, 0.8],
    ["echelon", 0.5, 0.8],
    ["echelon", 1.2, 1.0],
    ["echelon", 0.9, 0.9],
    ["external", 0.9, 0.6],
    ["external", 0.1, 0.4],
    ["external", 0.5, 0.5],
    // transfer is derived, so no source range: only kept inside [0, 1]
    ["transfer", 0.21, 0.21],
    ["transfer", 1.5, 1],
    ["transfer", -0.1, 0],
  ] as const)("%s %f → %f", (source, stated, expected) => {
    expect(clampConfidence(source, stated)).toBe(expected);
  });

  it("applies inside updateBelief: an interview claiming 1.0 counts as 0.7", () => {
    // σobs² = 0.25 + 9·0.3² = 1.06; σ'² = 1/(1/9 + 1/1.06) = 0.948310…
    // μ' = 0.948310·(5/9 + 8/1.06) = 0.948310·(0.555556 + 7.547170) = 7.683897…
    const claimed = updateBelief(null, { source: "interview", level: 8, confidence: 1 }, T0);
    expect(claimed.variance).toBeCloseTo(0.94831, 6);
    expect(claimed.mean).toBeCloseTo(7.683897, 6);
  });

  it("rejects a non-finite confidence", () => {
    expect(() => clampConfidence("artifact", Number.NaN)).toThrow(RangeError);
  });

  it("keeps levels on the 0..10 scale (12 counts as 10)", () => {
    const over = updateBelief(null, { source: "echelon", level: 12, confidence: 1 }, T0);
    const ten = updateBelief(null, { source: "echelon", level: 10, confidence: 1 }, T0);
    expect(over).toEqual(ten);
  });
});

describe("observation variance", () => {
  it("0.25 + 9·(1 − c)²", () => {
    expect(observationVariance(1)).toBeCloseTo(0.25, 12);
    expect(observationVariance(0.5)).toBeCloseTo(2.5, 12); // 0.25 + 9·0.25
    expect(observationVariance(0)).toBeCloseTo(9.25, 12);
  });
});

describe("inflation with idle time", () => {
  it("adds 0.02 per day up to the prior 9", () => {
    expect(inflateVariance(0.5, 10)).toBeCloseTo(0.7, 12); // 0.5 + 0.02·10
    expect(inflateVariance(0.5712799167533817, 100)).toBeCloseTo(2.57128, 6); // + 2
    expect(inflateVariance(8.9, 10)).toBe(9); // 9.1 capped
    expect(inflateVariance(0.5, 1000)).toBe(9);
    expect(inflateVariance(1, 0)).toBe(1);
    expect(inflateVariance(1, -5)).toBe(1); // negative days count as 0
  });

  it("never shrinks, never passes 9, and is monotone in days (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 9, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        (variance, d1, d2) => {
          const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const a = inflateVariance(variance, lo);
          const b = inflateVariance(variance, hi);
          expect(a).toBeGreaterThanOrEqual(variance);
          expect(b).toBeGreaterThanOrEqual(a);
          expect(b).toBeLessThanOrEqual(9);
        },
      ),
    );
  });

  it("a belief left alone long enough returns to the prior's variance", () => {
    // After the first artifact σ² = 0.5712799; it needs (9 − 0.5712799)/0.02 = 421.4 days.
    const first = updateBelief(null, { source: "artifact", level: 7.5, confidence: 0.8 }, T0);
    expect(inflateVariance(first.variance, 421)).toBeLessThan(9);
    expect(inflateVariance(first.variance, 422)).toBe(9);
  });
});

describe("the update never widens the belief (property)", () => {
  it("posterior variance < prior variance and ≤ observation variance; mean between μ and x", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0.01, max: 9, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (mean, variance, level, confidence) => {
          const post = bayesianUpdate({ mean, variance }, { level, confidence });
          expect(post.variance).toBeLessThan(variance);
          expect(post.variance).toBeLessThanOrEqual(observationVariance(confidence));
          expect(post.mean).toBeGreaterThanOrEqual(Math.min(mean, level) - 1e-9);
          expect(post.mean).toBeLessThanOrEqual(Math.max(mean, level) + 1e-9);
        },
      ),
    );
  });

  it("a same-instant update through updateBelief never raises variance and keeps 0..10", () => {
    const source = fc.constantFrom<SkillSource>("interview", "artifact", "echelon", "external", "transfer");
    fc.assert(
      fc.property(
        fc.array(fc.record({ source, level: fc.double({ min: -5, max: 15, noNaN: true }), confidence: fc.double({ min: 0, max: 1, noNaN: true }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        (evidence) => {
          let belief = updateBelief(null, evidence[0], T0);
          for (const e of evidence.slice(1)) {
            const next = updateBelief(belief, e, T0);
            expect(next.variance).toBeLessThan(belief.variance);
            expect(next.mean).toBeGreaterThanOrEqual(0);
            expect(next.mean).toBeLessThanOrEqual(10);
            expect(next.confidence).toBeGreaterThan(belief.confidence);
            belief = next;
          }
        },
      ),
    );
  });
});

describe("confidence, utilization, prior", () => {
  it("confidence = 1 − σ²/9", () => {
    expect(beliefConfidence(9)).toBe(0);
    expect(beliefConfidence(4.5)).toBe(0.5);
    expect(beliefConfidence(0.9)).toBeCloseTo(0.9, 12);
  });

  it("utilization = min(1, n/4)", () => {
    expect(utilization(0)).toBe(0);
    expect(utilization(1)).toBe(0.25);
    expect(utilization(3)).toBe(0.75);
    expect(utilization(4)).toBe(1);
    expect(utilization(9)).toBe(1);
  });

  it("counts evidence in the trailing 30 days, the boundary included", () => {
    const now = T0 + 100 * DAY;
    const times = [now, now - 29 * DAY, now - 30 * DAY, now - 30 * DAY - 1, now - 90 * DAY];
    expect(evidenceInWindow(times, now)).toBe(3);
    expect(utilization(evidenceInWindow(times, now))).toBe(0.75);
  });

  it("prior is μ0 = 5, σ0² = 9, confidence 0", () => {
    expect(priorBelief()).toEqual({ mean: 5, variance: 9, confidence: 0 });
  });
});

describe("transfer", () => {
  it("Python 7.5 @ 0.8 over a 0.7 edge becomes JavaScript 5.25 @ 0.28", () => {
    // x·w = 7.5·0.7 = 5.25; c·w·0.5 = 0.8·0.7·0.5 = 0.28
    const obs = transferObservation({ level: 7.5, confidence: 0.8 }, 0.7);
    expect(obs.level).toBeCloseTo(5.25, 12);
    expect(obs.confidence).toBeCloseTo(0.28, 12);
  });

  it("is not clamped into any source range (0.28 is below every range)", () => {
    // σobs² = 0.25 + 9·0.72² = 0.25 + 4.6656 = 4.9156
    // σ'² = 1/(1/9 + 1/4.9156) = 3.179195…; μ' = 3.179195·(5/9 + 5.25/4.9156) = 5.161689…
    const obs = transferObservation({ level: 7.5, confidence: 0.8 }, 0.7);
    const belief = updateBelief(null, { ...obs, source: "transfer" }, T0);
    expect(belief.variance).toBeCloseTo(3.179195, 6);
    expect(belief.mean).toBeCloseTo(5.161689, 6);
  });
});

describe("taxonomy seed", () => {
  it("normalizes names: lowercase, trimmed, collapsed whitespace", () => {
    expect(normalizeSkillName("  System \t  Design ")).toBe("system design");
    expect(normalizeSkillName("PYTHON")).toBe("python");
  });

  it("has at least 40 skills, unique by normalized name, covering every category", () => {
    expect(SKILL_SEED.length).toBeGreaterThanOrEqual(40);
    const names = SKILL_SEED.map((s) => normalizeSkillName(s.name));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(SKILL_SEED.map((s) => s.category))).toEqual(new Set(SKILL_CATEGORIES));
    for (const s of SKILL_SEED) {
      expect(DOMAINS).toContain(s.domain);
      expect(s.description.length).toBeGreaterThan(0);
    }
  });

  it("names only seeded skills in edges, with weights in (0, 1], no loops or duplicates", () => {
    const names = new Set(SKILL_SEED.map((s) => normalizeSkillName(s.name)));
    const pairs = new Set<string>();
    expect(SKILL_EDGE_SEED.length).toBeGreaterThanOrEqual(18);
    for (const e of SKILL_EDGE_SEED) {
      expect(names.has(normalizeSkillName(e.from)), e.from).toBe(true);
      expect(names.has(normalizeSkillName(e.to)), e.to).toBe(true);
      expect(normalizeSkillName(e.from)).not.toBe(normalizeSkillName(e.to));
      expect(e.weight).toBeGreaterThan(0);
      expect(e.weight).toBeLessThanOrEqual(1);
      const key = `${normalizeSkillName(e.from)}→${normalizeSkillName(e.to)}`;
      expect(pairs.has(key), key).toBe(false);
      pairs.add(key);
    }
  });

  it("includes the product's named edges", () => {
    const weight = (from: string, to: string) => SKILL_EDGE_SEED.find((e) => e.from === from && e.to === to)?.weight;
    expect(weight("Python", "JavaScript")).toBe(0.7);
    expect(weight("Choreography", "Animation")).toBe(0.6);
    expect(weight("System Design", "Architecture")).toBe(0.8);
  });
});
