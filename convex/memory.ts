// Semantic memory (docs/pipeline.md "Memory"): memory.search for the signed-in user, the
// steps the turn's action runs (model/turnMemory.ts), and embedding what is still pending:
// a retry with backoff after a failure, and the hourly sweep. Scheduled arguments carry
// memory ids only, never memory text.
import { v, type Infer } from "convex/values";
import { nextDelayMs, shouldRetry, MAX_ATTEMPTS } from "../src/llm/failures";
import { MAX_EMBEDDING_INPUTS } from "../src/llm/embeddings";
import { MEMORY_LIMITS } from "../src/memory";
import { MINUTE } from "../src/time";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { internalAction, internalMutation, internalQuery, type ActionCtx } from "./_generated/server";
import { invalidArgument } from "./errors";
import { userAction } from "./functions";
import { pageAndFanOut, vCursor } from "./model/batching";
import { memoriesOf, recordEmbedFailure, storeVectors } from "./model/memories";
import { backoffRandom, configuredEmbeddings } from "./model/modelSettings";
import { recallMemories, recallVectors, vRecalled, vVectorHit, type Recalled } from "./model/recall";
import { starByLabel } from "./model/stars";
import { vMemoryKind } from "./validators";
import type { EmbeddingSettings } from "../src/llm/settings";
import { embedWithBudget } from "./model/usage";

const vVectorInput = v.object({ memoryId: v.id("memories"), text: v.string(), embedding: v.array(v.float64()) });
const vStarVectorInput = v.object({ normalizedLabel: v.string(), text: v.string(), embedding: v.array(v.float64()) });

// ---------------------------------------------------------------------------------------
// memory.search

const vSearchResult = v.object({
  kind: vMemoryKind,
  text: v.string(),
  createdAt: v.number(),
  /** Cosine similarity with the query; null when no model is configured (text search alone). */
  similarity: v.union(v.number(), v.null()),
});

/**
 * "What did I say about ...": the signed-in user's memories most relevant to `query` (1 to
 * 1,000 characters), at most 10, best first. Only the caller's memories are ever searched
 * (both searches filter on their user id). Without a model, full-text search alone answers.
 */
export const search = userAction({
  args: { query: v.string() },
  returns: v.array(vSearchResult),
  handler: async (ctx, { query }): Promise<Infer<typeof vSearchResult>[]> => {
    const text = query.trim();
    if (text.length === 0 || Array.from(text).length > MEMORY_LIMITS.queryChars) {
      throw invalidArgument(`query must be 1 to ${MEMORY_LIMITS.queryChars} characters`);
    }
    const userId = ctx.user._id;
    const settings = configuredEmbeddings();
    const embedded = settings === null ? null : await embedWithBudget(ctx, userId, settings, [text]);
    const vector = embedded?.ok ? embedded.vectors[0] : null;
    const vectorHits = vector === null ? [] : await recallVectors(ctx, userId, vector, MEMORY_LIMITS.searchK);
    const recalled: Recalled[] = await ctx.runQuery(internal.memory.recall, {
      userId,
      vector,
      vectorHits,
      text,
      skipSourceIds: [],
      limit: MEMORY_LIMITS.searchResults,
      maxChars: MEMORY_LIMITS.searchResults * MEMORY_LIMITS.chunkChars,
    });
    return recalled.map(({ kind, text, createdAt, similarity }) => ({ kind, text, createdAt, similarity }));
  },
});

// ---------------------------------------------------------------------------------------
// The turn's steps (model/turnMemory.ts calls these)

/** The fused recall after the action's vector search (model/recall.ts recallMemories). */
export const recall = internalQuery({
  args: {
    userId: v.id("users"),
    vector: v.union(v.array(v.float64()), v.null()),
    vectorHits: v.array(vVectorHit),
    text: v.string(),
    skipSourceIds: v.array(v.string()),
    limit: v.number(),
    maxChars: v.number(),
  },
  returns: v.array(vRecalled),
  handler: async (ctx, args) => await recallMemories(ctx, args),
});

/** A user message's memory chunks (text and whether each is embedded yet). */
export const messageChunks = internalQuery({
  args: { userId: v.id("users"), messageId: v.id("messages") },
  returns: v.array(v.object({ memoryId: v.id("memories"), text: v.string(), embedded: v.boolean() })),
  handler: async (ctx, { userId, messageId }) =>
    (await memoriesOf(ctx, userId, messageId)).map((memory) => ({
      memoryId: memory._id,
      text: memory.text,
      embedded: memory.vectorStatus === "embedded",
    })),
});

/** The stars (live or dismissed) whose memory vectors these are, in order; null when gone. */
export const starsOfVectors = internalQuery({
  args: { userId: v.id("users"), vectorIds: v.array(v.id("memoryVectors")) },
  returns: v.array(v.union(v.null(), v.id("stars"))),
  handler: async (ctx, { userId, vectorIds }) =>
    await Promise.all(
      vectorIds.map(async (vectorId) => {
        const vector = await ctx.db.get("memoryVectors", vectorId);
        if (vector === null || vector.userId !== userId) return null;
        const memory = await ctx.db.get("memories", vector.memoryId);
        if (memory === null || (memory.kind !== "star" && memory.kind !== "dismissed_star")) return null;
        return ctx.db.normalizeId("stars", memory.sourceId);
      }),
    ),
});

/**
 * The turn's embeddings, stored after the reply: the message's chunks, and the new stars the
 * turn created (found by label; a star whose text changed meanwhile waits for the sweep).
 */
export const storeTurnVectors = internalMutation({
  args: { userId: v.id("users"), messageVectors: v.array(vVectorInput), starVectors: v.array(vStarVectorInput) },
  returns: v.number(),
  handler: async (ctx, { userId, messageVectors, starVectors }) => {
    const starItems = [];
    for (const item of starVectors) {
      const star = await starByLabel(ctx, userId, item.normalizedLabel);
      if (star === null) continue;
      const [memory] = await memoriesOf(ctx, userId, star._id);
      if (memory !== undefined) starItems.push({ memoryId: memory._id, text: item.text, embedding: item.embedding });
    }
    return await storeVectors(ctx, [...messageVectors, ...starItems]);
  },
});

// ---------------------------------------------------------------------------------------
// Embedding what is pending: retries and the sweep

/** How long a memory may stay pending before the sweep takes it (the turn embeds it first). */
export const SWEEP_AFTER_MS = 10 * MINUTE;

type PendingText = { memoryId: Id<"memories">; userId: Id<"users">; text: string };

/** The texts of the still-pending memories among `memoryIds` (ids in, text out: never scheduled). */
export const pendingTexts = internalQuery({
  args: { memoryIds: v.array(v.id("memories")) },
  returns: v.array(v.object({ memoryId: v.id("memories"), userId: v.id("users"), text: v.string() })),
  handler: async (ctx, { memoryIds }) => {
    const memories = await Promise.all(memoryIds.map((id) => ctx.db.get("memories", id)));
    return memories.flatMap((memory) =>
      memory !== null && memory.vectorStatus === "pending" ? [{ memoryId: memory._id, userId: memory.userId, text: memory.text }] : [],
    );
  },
});

export const storeEmbedded = internalMutation({
  args: { items: v.array(vVectorInput) },
  returns: v.number(),
  handler: async (ctx, { items }) => await storeVectors(ctx, items),
});

export const embedFailed = internalMutation({
  args: { memoryIds: v.array(v.id("memories")) },
  returns: v.null(),
  handler: async (ctx, { memoryIds }) => {
    await recordEmbedFailure(ctx, memoryIds);
    return null;
  },
});

/**
 * Embeds pending memories (one embeddings call for at most 64). A retryable failure tries
 * again with the chat call's backoff up to MAX_ATTEMPTS; after that the hourly sweep takes
 * the memories again. Without a model it does nothing.
 */
export const embedMemories = internalAction({
  args: { memoryIds: v.array(v.id("memories")), attempt: v.number() },
  returns: v.null(),
  handler: async (ctx, { memoryIds, attempt }) => {
    await embedPending(ctx, memoryIds.slice(0, MAX_EMBEDDING_INPUTS), attempt);
    return null;
  },
});

export async function embedPending(ctx: ActionCtx, memoryIds: Id<"memories">[], attempt: number): Promise<void> {
  const settings = configuredEmbeddings();
  if (settings === null || memoryIds.length === 0) return;
  const pending: PendingText[] = await ctx.runQuery(internal.memory.pendingTexts, { memoryIds });
  // One budgeted call per user (each pays for their own memories; the sweep's batch mixes users).
  const byUser = new Map<Id<"users">, PendingText[]>();
  for (const item of pending) byUser.set(item.userId, [...(byUser.get(item.userId) ?? []), item]);
  for (const [userId, items] of byUser) await embedUserPending(ctx, settings, userId, items, attempt);
}

async function embedUserPending(
  ctx: ActionCtx,
  settings: EmbeddingSettings,
  userId: Id<"users">,
  pending: PendingText[],
  attempt: number,
): Promise<void> {
  const result = await embedWithBudget(
    ctx,
    userId,
    settings,
    pending.map((item) => item.text),
  );
  if (result.ok) {
    const items = pending.map(({ memoryId, text }, i) => ({ memoryId, text, embedding: result.vectors[i] }));
    await ctx.runMutation(internal.memory.storeEmbedded, { items });
    return;
  }
  const ids = pending.map((item) => item.memoryId);
  await ctx.runMutation(internal.memory.embedFailed, { memoryIds: ids });
  const failure = { kind: result.kind, reason: result.reason, retryAfterMs: result.retryAfterMs };
  if (shouldRetry(failure, attempt)) {
    await ctx.scheduler.runAfter(nextDelayMs(failure, attempt, backoffRandom()), internal.memory.embedMemories, {
      memoryIds: ids,
      attempt: attempt + 1,
    });
  }
}

/**
 * The hourly sweep (crons.ts): pages memories pending for SWEEP_AFTER_MS and schedules
 * embedMemories per 64 ids, through the jobs' one driver (model/batching.ts).
 */
export const sweep = internalMutation({
  args: { now: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    if (configuredEmbeddings() === null) return null;
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) =>
        ctx.db
          .query("memories")
          .withIndex("by_vector_status", (q) => q.eq("vectorStatus", "pending").lte("createdAt", now - SWEEP_AFTER_MS))
          .paginate(options),
      batchSize: MAX_EMBEDDING_INPUTS,
      // The last attempt: a failure waits for the next sweep instead of retrying at once.
      batch: (memoryIds) => ctx.scheduler.runAfter(0, internal.memory.embedMemories, { memoryIds, attempt: MAX_ATTEMPTS }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.memory.sweep, { now, cursor }),
    });
    return null;
  },
});
