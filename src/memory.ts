// Semantic memory (docs/pipeline.md "Memory"): what a memory's text is, how a long message is
// chunked, how vector and text search are fused, and the similarity thresholds. Pure: the
// Convex side (convex/model/memories.ts, convex/model/recall.ts) reads and writes.
import type { MemoryKind } from "./domain";
import { collapseSpaces, textLength } from "./text";

export const MEMORY_LIMITS = {
  /**
   * A message longer than this is remembered in chunks of at most this many code points: the
   * prompt's bound of one memory (PROMPT_LIMITS.memoryChars), so a recalled chunk is whole.
   */
  chunkChars: 300,
  /** A message of 8,000 code points makes at most 27 chunks: one embeddings call carries them all. */
  maxChunks: 28,
  /** Results asked of each search (vector and text) in a turn; Convex allows 256 per vector search. */
  searchK: 16,
  /** Memories a turn may carry at most (the relationship tier allows fewer, src/mechanics/companions.ts). */
  turnMemories: 6,
  /** Characters all of a turn's recalled memories may carry together. */
  turnChars: 1_800,
  /** memory.search: results, and the longest query. */
  searchResults: 10,
  queryChars: 1_000,
  /** Convex full-text search takes at most 16 terms a query. */
  textTerms: 16,
} as const;

/**
 * Cosine similarity a memory must reach with the query to be recalled (vector or text hit
 * alike): below it, a shared common word is not relevance. Tested in tests/memory.test.ts.
 */
export const RECALL_MIN_SIMILARITY = 0.3;

/**
 * Cosine similarity of a new star's embedding (label and description) with an existing star
 * of the user at or above which the two are one concept: the existing star is reinforced (a
 * re-mention) instead, and a dismissed one is not recreated under another wording. At 0.85
 * text-embedding-3-small puts rewordings of one idea ("Morning energy" / "Energy in the
 * mornings") together and keeps neighbours in one domain ("Morning runs" / "Evening runs") apart.
 */
export const STAR_DEDUPE_SIMILARITY = 0.85;

/** Reciprocal rank fusion's constant (Cormack et al. 2009): rank r scores 1 / (60 + r). */
export const RRF_K = 60;

/** How much a memory matters, from 0 to 1, by what it is (a tie-breaker after relevance). */
export const MEMORY_IMPORTANCE: Readonly<Record<MemoryKind, number>> = Object.freeze({
  message: 0.5,
  star: 0.7,
  dismissed_star: 0,
  summary: 0.8,
  reflection: 0.6,
});

/** The text a star is remembered (and deduplicated) by: its label and description. */
export function starMemoryText(label: string, description: string): string {
  const text = collapseSpaces(description).length > 0 ? `${label}: ${description}` : label;
  return collapseSpaces(text);
}

/**
 * A message's text in chunks of at most `MEMORY_LIMITS.chunkChars` code points, cut at a
 * space where one is near, never inside an emoji. A short message is one chunk.
 */
export function chunkText(text: string, size: number = MEMORY_LIMITS.chunkChars): string[] {
  const clean = collapseSpaces(text);
  if (clean.length === 0) return [];
  if (textLength(clean) <= size) return [clean];
  const chars = Array.from(clean);
  const chunks: string[] = [];
  let start = 0;
  while (start < chars.length && chunks.length < MEMORY_LIMITS.maxChunks) {
    let end = Math.min(chars.length, start + size);
    if (end < chars.length) {
      // Back up to the last space in the second half of the window, if any.
      for (let i = end; i > start + size / 2; i -= 1) {
        if (chars[i] === " ") {
          end = i;
          break;
        }
      }
    }
    const chunk = chars.slice(start, end).join("").trim();
    if (chunk.length > 0) chunks.push(chunk);
    start = end;
  }
  return chunks;
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The mean of unit-length copies of `vectors`: one query vector for a message in chunks. */
export function meanVector(vectors: readonly (readonly number[])[]): number[] {
  if (vectors.length === 0) return [];
  if (vectors.length === 1) return [...vectors[0]];
  const mean = new Array<number>(vectors[0].length).fill(0);
  for (const vector of vectors) {
    const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
    for (let i = 0; i < mean.length; i += 1) mean[i] += vector[i] / norm;
  }
  return mean.map((x) => x / vectors.length);
}

const STOP_WORDS = new Set(
  "a an and are as at be but by do for from had has have he her him his how i i'm im in is it its me my of on or our she so that the their them then there they this to was we were what when which who will with you your".split(
    " ",
  ),
);

/**
 * The words of a query for full-text search: letters and digits only, lower case, no stop
 * words, each once, at most 16 (Convex's limit per search). Empty when nothing is left.
 */
export function searchTerms(text: string): string[] {
  const words = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((word) => word.length > 1 && !STOP_WORDS.has(word));
  return [...new Set(words)].slice(0, MEMORY_LIMITS.textTerms);
}

export type RankedHit<Id extends string> = { id: Id; similarity: number };

export type FusedHit<Id extends string> = { id: Id; score: number; similarity: number };

/**
 * Reciprocal rank fusion of the vector ranking and the text ranking (each best first):
 * score = Σ 1 / (RRF_K + rank), rank from 1. A hit needs `similarity ≥ minSimilarity` with
 * the query (its vector is known for both lists), so a shared common word alone is never
 * enough. Best first; ties by similarity, then id.
 */
export function fuseRankings<Id extends string>(
  vectorHits: readonly RankedHit<Id>[],
  textHits: readonly RankedHit<Id>[],
  minSimilarity: number = RECALL_MIN_SIMILARITY,
): FusedHit<Id>[] {
  const fused = new Map<Id, FusedHit<Id>>();
  for (const ranking of [vectorHits, textHits]) {
    ranking.forEach((hit, index) => {
      const previous = fused.get(hit.id);
      const score = (previous?.score ?? 0) + 1 / (RRF_K + index + 1);
      fused.set(hit.id, { id: hit.id, score, similarity: Math.max(previous?.similarity ?? -1, hit.similarity) });
    });
  }
  return [...fused.values()]
    .filter((hit) => hit.similarity >= minSimilarity)
    .sort((a, b) => b.score - a.score || b.similarity - a.similarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Keeps memories in order until `maxCount` or `maxChars` (code points, summed) is reached. */
export function boundMemories<T extends { text: string }>(items: readonly T[], maxCount: number, maxChars: number): T[] {
  const kept: T[] = [];
  let chars = 0;
  for (const item of items) {
    if (kept.length >= maxCount) break;
    const length = textLength(item.text);
    if (chars + length > maxChars) continue;
    kept.push(item);
    chars += length;
  }
  return kept;
}
