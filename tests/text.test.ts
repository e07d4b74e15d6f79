// src/text.ts: the one bounds table and the one way to measure and cut text.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { TEXT_BOUNDS, boundText, collapseSpaces, fitsBound, textLength, truncateText } from "../src/text";

describe("textLength", () => {
  test("counts code points: an emoji once, a lone surrogate once", () => {
    expect(textLength("")).toBe(0);
    expect(textLength("abc")).toBe(3);
    expect(textLength("🌟🌟")).toBe(2); // 4 UTF-16 units
    expect(textLength("e\u0301")).toBe(2); // a combining mark is its own code point
    expect(textLength("\ud800x")).toBe(2);
  });
});

describe("truncateText", () => {
  test("keeps a value that fits, even one over the bound in UTF-16 units", () => {
    expect(truncateText("abc", 3)).toBe("abc");
    expect(truncateText("🌟🌟🌟", 3)).toBe("🌟🌟🌟");
  });

  test("cuts to max − 1 code points plus an ellipsis, dropping trailing spaces", () => {
    expect(truncateText("abcdef", 4)).toBe("abc…");
    expect(truncateText("ab  cdef", 5)).toBe("ab…");
    expect(truncateText("🌟🌟🌟🌟", 3)).toBe("🌟🌟…");
  });

  test("never splits a code point and never exceeds the bound (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (value, max) => {
        const cut = truncateText(value, max);
        expect(textLength(cut)).toBeLessThanOrEqual(max);
        if (textLength(value) <= max) expect(cut).toBe(value);
        else expect(cut.endsWith("…")).toBe(true);
        expect(Array.from(cut).join("")).toBe(cut);
      }),
    );
  });

  test("a 2,000,000-character string is cut to the bound", () => {
    const huge = "x".repeat(2_000_000);
    expect(boundText("displayName", huge)).toBe(`${"x".repeat(TEXT_BOUNDS.displayName - 1)}…`);
  });
});

describe("fitsBound and collapseSpaces", () => {
  test("fitsBound measures in code points", () => {
    expect(fitsBound("starLabel", "🌟".repeat(TEXT_BOUNDS.starLabel))).toBe(true);
    expect(fitsBound("starLabel", "a".repeat(TEXT_BOUNDS.starLabel + 1))).toBe(false);
  });

  test("control characters and whitespace runs become one space", () => {
    expect(collapseSpaces("  a\n\t b\u0000c  ")).toBe("a b c");
  });
});
