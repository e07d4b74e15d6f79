// Retrieval (docs/pipeline.md "Memory"): the user's memories most relevant to a text, by
// vector search (actions only: ctx.vectorSearch) and full-text search, fused by reciprocal
// rank with a similarity cutoff. Bounded: at most MEMORY_LIMITS.searchK results of each
// search, one small memory row per hit, and the vector of a text-only hit (to score it).
import { v, type Infer } from "convex/values";
import { RECALLED_MEMORY_KINDS, STAR_MEMORY_KINDS, type MemoryKind } from "../../src/domain";
import type { PromptMemory } from "../../src/llm/prompts";
import {
  MEMORY_LIMITS,
  RECALL_MIN_SIMILARITY,
  boundMemories,
  cosineSimilarity,
  fuseRankings,
  searchTerms,
  type RankedHit,
} from "../../src/memory";
import { localDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { ActionCtx, QueryCtx } from "../_generated/server";
import { vMemoryKind } from "../validators";
import { userKind } from "./memories";

/** Convex returns at most 256 results per vector search. */
export const VECTOR_SEARCH_MAX = 256;

export const vVectorHit = v.object({ vectorId: v.id("memoryVectors"), similarity: v.number() });
export type VectorHit = Infer<typeof vVectorHit>;

export const vRecalled = v.object({
  memoryId: v.id("memories"),
  kind: vMemoryKind,
  sourceId: v.string(),
  text: v.string(),
  createdAt: v.number(),
  /** Cosine similarity with the query (null when the query could not be embedded). */
  similarity: v.union(v.number(), v.null()),
  /** The fused reciprocal-rank score. */
  score: v.number(),
});
export type Recalled = Infer<typeof vRecalled>;

/** The user's vectors nearest `vector` among `kinds` (one `or` of the userKind filter field). */
export async function nearestVectors(
  ctx: Pick<ActionCtx, "vectorSearch">,
  userId: Id<"users">,
  vector: number[],
  kinds: readonly MemoryKind[],
  limit: number,
): Promise<VectorHit[]> {
  const results = await ctx.vectorSearch("memoryVectors", "by_embedding", {
    vector,
    limit: Math.min(VECTOR_SEARCH_MAX, Math.max(1, limit)),
    filter: (q) => q.or(...kinds.map((kind) => q.eq("userKind", userKind(userId, kind)))),
  });
  return results.map((hit) => ({ vectorId: hit._id, similarity: hit._score }));
}

/** What a turn and memory.search recall (never dismissed stars). */
export const recallVectors = (ctx: Pick<ActionCtx, "vectorSearch">, userId: Id<"users">, vector: number[], limit: number) =>
  nearestVectors(ctx, userId, vector, RECALLED_MEMORY_KINDS, limit);

/** Stars (live and dismissed) nearest a new star's embedding: dedupe by meaning. */
export const nearestStarVectors = (ctx: Pick<ActionCtx, "vectorSearch">, userId: Id<"users">, vector: number[]) =>
  nearestVectors(ctx, userId, vector, STAR_MEMORY_KINDS, 1);

export type RecallArgs = {
  userId: Id<"users">;
  /** The query embedding, or null (no model, or the embeddings call failed). */
  vector: number[] | null;
  vectorHits: readonly VectorHit[];
  text: string;
  /** Sources the caller already shows (the turn's recent messages): never recalled. */
  skipSourceIds: readonly string[];
  limit: number;
  maxChars: number;
};

async function memoryOfVector(ctx: QueryCtx, vectorId: Id<"memoryVectors">): Promise<Doc<"memories"> | null> {
  return await ctx.db
    .query("memories")
    .withIndex("by_vector", (q) => q.eq("vectorId", vectorId))
    .first();
}

/**
 * The fused recall for one query (inside a query, after the action's vector search). Vector
 * hits come with their similarity; a text hit without one is scored by its stored vector,
 * so both lists pass the same cutoff (RECALL_MIN_SIMILARITY). Without a query vector the
 * text ranking alone answers (memory.search without a model), with no cutoff.
 */
export async function recallMemories(ctx: QueryCtx, args: RecallArgs): Promise<Recalled[]> {
  const skip = new Set(args.skipSourceIds);
  const byId = new Map<Id<"memories">, Doc<"memories">>();
  const vectorRanking: RankedHit<Id<"memories">>[] = [];
  for (const hit of args.vectorHits.slice(0, MEMORY_LIMITS.searchK)) {
    const memory = await memoryOfVector(ctx, hit.vectorId);
    if (memory === null || memory.userId !== args.userId || memory.kind === "dismissed_star") continue;
    byId.set(memory._id, memory);
    vectorRanking.push({ id: memory._id, similarity: hit.similarity });
  }

  const terms = searchTerms(args.text);
  const textHits =
    terms.length === 0
      ? []
      : await ctx.db
          .query("memories")
          .withSearchIndex("search_text", (q) => q.search("text", terms.join(" ")).eq("userId", args.userId))
          .take(MEMORY_LIMITS.searchK);
  const textRanking: RankedHit<Id<"memories">>[] = [];
  for (const memory of textHits) {
    if (memory.kind === "dismissed_star") continue;
    byId.set(memory._id, memory);
    const known = vectorRanking.find((hit) => hit.id === memory._id);
    let similarity = known?.similarity ?? -1;
    if (known === undefined && args.vector !== null && memory.vectorId !== undefined) {
      const stored = await ctx.db.get("memoryVectors", memory.vectorId);
      if (stored !== null) similarity = cosineSimilarity(args.vector, stored.embedding);
    }
    textRanking.push({ id: memory._id, similarity });
  }

  const fused = fuseRankings(vectorRanking, textRanking, args.vector === null ? -Infinity : RECALL_MIN_SIMILARITY);
  const recalled = fused
    .map((hit) => ({ hit, memory: byId.get(hit.id) }))
    .filter((entry): entry is { hit: (typeof fused)[number]; memory: Doc<"memories"> } => entry.memory !== undefined)
    .filter(({ memory }) => !skip.has(memory.sourceId))
    .map(({ hit, memory }) => ({
      memoryId: memory._id,
      kind: memory.kind,
      sourceId: memory.sourceId,
      text: memory.text,
      createdAt: memory.createdAt,
      similarity: args.vector === null ? null : hit.similarity,
      score: hit.score,
    }));
  return boundMemories(recalled, args.limit, args.maxChars);
}

/** How a recalled memory reaches the prompt: a dated quote, marked by whose words it is. */
export function promptMemoryOf(memory: Recalled, timezone: string): PromptMemory {
  const kind = memory.kind === "message" || memory.kind === "reflection" ? "user_words" : memory.kind === "star" ? "insight" : "summary";
  return { date: localDate(memory.createdAt, timezone), text: memory.text, kind };
}

/**
 * The turn's memories: the recalled ones first (most relevant first), then the companion's
 * earlier conversations (model/relationships.ts), without repeating a text, at most
 * `allowance` (the relationship tier's, src/mechanics/companions.ts TIER_ALLOWANCES).
 */
export function mergeTurnMemories(
  recalled: readonly PromptMemory[],
  companion: readonly PromptMemory[],
  allowance: number,
): PromptMemory[] {
  const seen = new Set<string>();
  const merged: PromptMemory[] = [];
  for (const memory of [...recalled, ...companion]) {
    if (merged.length >= allowance) break;
    if (seen.has(memory.text)) continue;
    seen.add(memory.text);
    merged.push(memory);
  }
  return merged;
}
