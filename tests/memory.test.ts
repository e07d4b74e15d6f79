// Semantic memory's pure rules (src/memory.ts, src/domain.ts normalizeLabel): the label
// identity, chunking, reciprocal-rank fusion with its cutoff, and the tested thresholds.
import { describe, expect, it } from "vitest";
import { normalizeLabel } from "../src/domain";
import {
  MEMORY_LIMITS,
  RECALL_MIN_SIMILARITY,
  RRF_K,
  STAR_DEDUPE_SIMILARITY,
  boundMemories,
  chunkText,
  cosineSimilarity,
  fuseRankings,
  searchTerms,
} from "../src/memory";

describe("normalizeLabel: case, spacing and punctuation never separate two labels", () => {
  it.each([
    ["Mom's Advice", "moms advice"],
    ["Doom-Scrolling", "doomscrolling"],
    ["doom scrolling", "Doomscrolling"],
    ['"Morning" pages', "morning pages"],
    ["Morning  energy", "morning–energy"],
    ["Ｍｏｒｎｉｎｇ", "morning"], // NFKC: full-width letters
  ])("%s = %s", (a, b) => {
    expect(normalizeLabel(a)).toBe(normalizeLabel(b));
  });
  it("keeps letters, marks and digits apart", () => {
    expect(normalizeLabel("Run 5k")).toBe("run5k");
    expect(normalizeLabel("Café")).not.toBe(normalizeLabel("Cafe"));
    expect(normalizeLabel("!!!")).toBe("");
  });
});

describe("memory rules", () => {
  it("the thresholds are fixed constants", () => {
    expect(STAR_DEDUPE_SIMILARITY).toBe(0.85);
    expect(RECALL_MIN_SIMILARITY).toBe(0.3);
    expect(RRF_K).toBe(60);
  });

  it("chunks a long message at spaces, each at most 300 code points, a short one whole", () => {
    expect(chunkText("  short   one ")).toEqual(["short one"]);
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
    const chunks = chunkText(long);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => Array.from(chunk).length <= MEMORY_LIMITS.chunkChars)).toBe(true);
    expect(chunks.join(" ")).toBe(long);
    expect(chunkText("😀".repeat(700)).map((chunk) => Array.from(chunk).length)).toEqual([300, 300, 100]);
  });

  it("fuses by reciprocal rank: both lists beat one; under the cutoff nothing counts", () => {
    const fused = fuseRankings(
      [
        { id: "a", similarity: 0.9 },
        { id: "b", similarity: 0.8 },
        { id: "low", similarity: 0.1 },
      ],
      [
        { id: "b", similarity: 0.8 },
        { id: "c", similarity: 0.5 },
        { id: "low", similarity: 0.1 },
      ],
    );
    expect(fused.map((hit) => hit.id)).toEqual(["b", "a", "c"]);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
  });

  it("bounds by count and characters; search terms drop stop words, at most 16", () => {
    const items = [{ text: "a".repeat(1_000) }, { text: "b".repeat(900) }, { text: "c".repeat(10) }];
    expect(boundMemories(items, 6, 1_800).map((item) => item.text[0])).toEqual(["a", "c"]);
    expect(searchTerms("What did I say about Mom's advice?")).toEqual(["did", "say", "about", "moms", "advice"]);
    expect(searchTerms(Array.from({ length: 30 }, (_, i) => `term${i}`).join(" "))).toHaveLength(16);
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
  });
});
