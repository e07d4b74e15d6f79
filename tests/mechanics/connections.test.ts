// MECHANICS §2 connection rules: hand-computed cases plus property tests.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { ConnectionType, StarType } from "../../src/domain";
import { CONNECTION_TYPES } from "../../src/domain";
import {
  CONNECTION_CONSTANTS,
  appendEvidence,
  canonicalPair,
  isSymmetric,
  isUnorderedPair,
  shadowMirrorDrainedEnds,
  strengthen,
  validateConnection,
} from "../../src/mechanics/connections";

describe("constants", () => {
  it("match MECHANICS §2", () => {
    expect(CONNECTION_CONSTANTS).toEqual({ DEFAULT_STRENGTH: 0.5, STRENGTHEN_RATE: 0.2, MAX_EVIDENCE: 10 });
  });
});

describe("isSymmetric", () => {
  it.each<[ConnectionType, boolean]>([
    ["resonance", true],
    ["tension", true],
    ["causation", false],
    ["growth_edge", false],
    ["shadow_mirror", false],
    ["blocks", false],
  ])("%s → %s", (type, symmetric) => {
    expect(isSymmetric(type)).toBe(symmetric);
  });
});

describe("canonicalPair", () => {
  it.each<[ConnectionType, string, string, string, string]>([
    ["resonance", "k2", "k1", "k1", "k2"], // sorted
    ["resonance", "k1", "k2", "k1", "k2"], // already sorted
    ["tension", "jd7b", "jd7a", "jd7a", "jd7b"],
    ["tension", "B", "a", "B", "a"], // code-unit order: "B" (0x42) < "a" (0x61)
    ["causation", "k2", "k1", "k2", "k1"], // directed: A predicts B, order kept
    ["growth_edge", "k2", "k1", "k2", "k1"],
    ["shadow_mirror", "k2", "k1", "k1", "k2"], // unordered: one row per pair, so one drain
    ["blocks", "k2", "k1", "k2", "k1"],
  ])("%s(%s, %s) → (%s, %s)", (type, a, b, starA, starB) => {
    expect(canonicalPair(type, a, b)).toEqual({ starA, starB });
  });

  it("unordered pairs have one row whichever way they are found; directed pairs keep their order", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONNECTION_TYPES), fc.string(), fc.string(), (type, a, b) => {
        if (isUnorderedPair(type)) {
          const pair = canonicalPair(type, a, b);
          expect(canonicalPair(type, b, a)).toEqual(pair);
          expect(pair.starA <= pair.starB).toBe(true);
        } else {
          expect(canonicalPair(type, a, b)).toEqual({ starA: a, starB: b });
        }
      }),
    );
  });
});

describe("strengthen", () => {
  it.each([
    [0.5, 0.6], // 0.5 + 0.2·0.5
    [0.6, 0.68], // 0.6 + 0.2·0.4 (the default, detected a third time)
    [0, 0.2], // 0 + 0.2·1
    [0.9, 0.92], // 0.9 + 0.2·0.1
    [1, 1], // saturated
  ])("%f → %f", (strength, expected) => {
    expect(strengthen(strength)).toBeCloseTo(expected, 12);
  });

  it("closes 20% of the gap to 1 and stays in [strength, 1]", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (s) => {
        const next = strengthen(s);
        expect(1 - next).toBeCloseTo(0.8 * (1 - s), 12);
        expect(next).toBeGreaterThanOrEqual(s);
        expect(next).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe("appendEvidence", () => {
  const quotes = (n: number) => Array.from({ length: n }, (_, i) => ({ quote: `q${i + 1}`, at: i + 1 }));

  it("appends to an empty list", () => {
    expect(appendEvidence([], { quote: "q1", at: 1 })).toEqual([{ quote: "q1", at: 1 }]);
  });

  it("keeps all while under 10", () => {
    expect(appendEvidence(quotes(3), { quote: "q4", at: 4 })).toEqual(quotes(4));
  });

  it("keeps exactly 10 when the 10th arrives", () => {
    expect(appendEvidence(quotes(9), { quote: "q10", at: 10 })).toEqual(quotes(10));
  });

  it("drops the oldest past 10: q1..q10 + q11 → q2..q11", () => {
    const next = appendEvidence(quotes(10), { quote: "q11", at: 11 });
    expect(next).toHaveLength(10);
    expect(next[0]).toEqual({ quote: "q2", at: 2 });
    expect(next[9]).toEqual({ quote: "q11", at: 11 });
  });

  it("does not mutate its input and never exceeds 10", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 25 }), fc.string(), (list, quote) => {
        const copy = [...list];
        const next = appendEvidence(list, quote);
        expect(list).toEqual(copy);
        expect(next).toHaveLength(Math.min(10, list.length + 1));
        expect(next[next.length - 1]).toBe(quote);
      }),
    );
  });
});

describe("validateConnection", () => {
  it.each<[string, { starA: string; starB: string; strength?: number }, string | null]>([
    ["valid with default strength", { starA: "a", starB: "b" }, null],
    ["valid at 0", { starA: "a", starB: "b", strength: 0 }, null],
    ["valid at 1", { starA: "a", starB: "b", strength: 1 }, null],
    ["self connection", { starA: "a", starB: "a", strength: 0.5 }, "SELF_CONNECTION"],
    ["self connection wins over a bad strength", { starA: "a", starB: "a", strength: 2 }, "SELF_CONNECTION"],
    ["strength below 0", { starA: "a", starB: "b", strength: -0.01 }, "INVALID_ARGUMENT"],
    ["strength above 1", { starA: "a", starB: "b", strength: 1.01 }, "INVALID_ARGUMENT"],
    ["NaN strength", { starA: "a", starB: "b", strength: NaN }, "INVALID_ARGUMENT"],
    ["infinite strength", { starA: "a", starB: "b", strength: Infinity }, "INVALID_ARGUMENT"],
  ])("%s", (_name, input, expected) => {
    expect(validateConnection(input)).toBe(expected);
  });
});

describe("shadowMirrorDrainedEnds", () => {
  it.each<[StarType, StarType, ("starA" | "starB")[]]>([
    ["dark", "bright", ["starB"]],
    ["flickering", "dark", ["starA"]],
    ["dark", "dark", ["starA", "starB"]], // each drains the other
    ["dormant", "bright", []], // a dormant shadow star is not "dark": no drain
    ["dim", "bright", []],
  ])("%s ↔ %s drains %j", (typeA, typeB, ends) => {
    expect(shadowMirrorDrainedEnds(typeA, typeB)).toEqual(ends);
  });
});
