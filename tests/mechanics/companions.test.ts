// MECHANICS §10 relationships: the level formula at every tier boundary, the tiers, what
// each tier may draw on, and the once-per-local-date interaction rule.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  MIN_USER_MESSAGES_FOR_INTERACTION,
  TIER_ALLOWANCES,
  countsAsInteraction,
  interactionsForLevel,
  relationshipLevel,
  relationshipTier,
} from "../../src/mechanics/companions";

describe("relationshipLevel = min(10, floor(sqrt(2 · interactions)))", () => {
  // Hand-computed: sqrt(2n) crosses each integer at n = ceil(L²/2).
  test.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [4, 2],
    [5, 3], // sqrt(10) = 3.16
    [7, 3],
    [8, 4], // sqrt(16) = 4 exactly
    [12, 4],
    [13, 5], // sqrt(26) = 5.10
    [17, 5],
    [18, 6], // sqrt(36) = 6 exactly
    [24, 6],
    [25, 7], // sqrt(50) = 7.07
    [31, 7],
    [32, 8], // sqrt(64) = 8 exactly
    [40, 8],
    [41, 9], // sqrt(82) = 9.06
    [49, 9], // sqrt(98) = 9.90
    [50, 10], // sqrt(100) = 10 exactly
    [51, 10],
    [10_000, 10],
  ])("%i interactions → level %i", (interactions, level) => {
    expect(relationshipLevel(interactions)).toBe(level);
  });

  test("a count that is not a whole number ≥ 0 reads as level 0", () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(relationshipLevel(bad)).toBe(0);
  });

  test("property: monotone, within 0..10, and interactionsForLevel is the first count of each level", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), (n) => {
        const level = relationshipLevel(n);
        expect(level).toBeGreaterThanOrEqual(relationshipLevel(Math.max(0, n - 1)));
        expect(level).toBeLessThanOrEqual(10);
        expect(n).toBeGreaterThanOrEqual(interactionsForLevel(level));
        if (level < 10) expect(n).toBeLessThan(interactionsForLevel(level + 1));
      }),
    );
    expect([1, 2, 3, 5, 7, 10].map(interactionsForLevel)).toEqual([1, 2, 5, 13, 25, 50]);
  });
});

describe("tiers", () => {
  test.each([
    [0, "acquaintance"],
    [2, "acquaintance"],
    [3, "companion"],
    [6, "companion"],
    [7, "confidant"],
    [10, "confidant"],
  ] as const)("level %i is %s", (level, tier) => {
    expect(relationshipTier(level)).toBe(tier);
  });

  test("in interactions: companion from 5, confidant from 25", () => {
    expect(relationshipTier(relationshipLevel(4))).toBe("acquaintance");
    expect(relationshipTier(relationshipLevel(5))).toBe("companion");
    expect(relationshipTier(relationshipLevel(24))).toBe("companion");
    expect(relationshipTier(relationshipLevel(25))).toBe("confidant");
  });

  test("what each tier may draw on: 0, 3 and 6 memories", () => {
    expect(TIER_ALLOWANCES).toEqual({ acquaintance: { memories: 0 }, companion: { memories: 3 }, confidant: { memories: 6 } });
  });
});

describe("countsAsInteraction", () => {
  test("needs at least 3 user messages", () => {
    expect(MIN_USER_MESSAGES_FOR_INTERACTION).toBe(3);
    expect(countsAsInteraction(2, "2025-03-01", undefined)).toBe(false);
    expect(countsAsInteraction(3, "2025-03-01", undefined)).toBe(true);
  });

  test("at most once per local date; a date that went backwards does not count again", () => {
    expect(countsAsInteraction(5, "2025-03-01", "2025-03-01")).toBe(false);
    expect(countsAsInteraction(5, "2025-03-02", "2025-03-01")).toBe(true);
    expect(countsAsInteraction(5, "2025-02-28", "2025-03-01")).toBe(false);
  });
});
