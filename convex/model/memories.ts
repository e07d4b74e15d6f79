// Semantic memory's writes (docs/pipeline.md "Memory"): the only writer of `memories` and
// `memoryVectors`. A memory row is written with its source (a message, a star, a summary, a
// reflection) and starts `pending`; its vector arrives later, from the turn's action, a
// retry or the sweep (convex/memory.ts), always through storeVectors. Scheduled arguments
// carry memory ids only, never text.
import { MEMORY_IMPORTANCE, chunkText, starMemoryText } from "../../src/memory";
import type { MemoryKind } from "../../src/domain";
import { EMBEDDING_DIMENSIONS } from "../../src/llm/settings";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { configuredEmbeddings } from "./modelSettings";

/** Chunks of one source: a message has at most MEMORY_LIMITS.maxChunks (16). */
const SOURCE_ROWS = 32;

/** `${userId}:${kind}`, the vector index's one filter field (convex/schema.ts memoryVectors). */
export function userKind(userId: Id<"users">, kind: MemoryKind): string {
  return `${userId}:${kind}`;
}

/** The memory rows of one source (every chunk), in chunk order. */
export async function memoriesOf(ctx: QueryCtx, userId: Id<"users">, sourceId: string): Promise<Doc<"memories">[]> {
  return await ctx.db
    .query("memories")
    .withIndex("by_user_source", (q) => q.eq("userId", userId).eq("sourceId", sourceId))
    .take(SOURCE_ROWS);
}

async function insertMemory(
  ctx: MutationCtx,
  userId: Id<"users">,
  kind: MemoryKind,
  sourceId: string,
  chunk: number,
  text: string,
  createdAt: number,
  conversationId?: Id<"conversations">,
): Promise<Id<"memories">> {
  return await ctx.db.insert("memories", {
    userId,
    conversationId,
    kind,
    sourceId,
    chunk,
    text,
    createdAt,
    importance: MEMORY_IMPORTANCE[kind],
    vectorStatus: "pending",
    embedAttempts: 0,
  });
}

async function deleteMemory(ctx: MutationCtx, memory: Doc<"memories">): Promise<void> {
  if (memory.vectorId !== undefined) await ctx.db.delete("memoryVectors", memory.vectorId);
  await ctx.db.delete("memories", memory._id);
}

/**
 * Remembers one text of a source, replacing what was remembered of it before (an edited
 * star, a summary written again): unchanged text keeps its vector; new text starts pending.
 */
async function rememberOne(
  ctx: MutationCtx,
  userId: Id<"users">,
  kind: MemoryKind,
  sourceId: string,
  text: string,
  createdAt: number,
): Promise<Id<"memories"> | null> {
  const existing = await memoriesOf(ctx, userId, sourceId);
  const [first, ...rest] = existing;
  await Promise.all(rest.map((memory) => deleteMemory(ctx, memory)));
  if (text.length === 0) {
    if (first !== undefined) await deleteMemory(ctx, first);
    return null;
  }
  if (first === undefined) return await insertMemory(ctx, userId, kind, sourceId, 0, text, createdAt);
  if (first.text === text) {
    // Same words, new kind (a star dismissed): the vector stays; its kind follows (rememberStar).
    if (first.kind !== kind) await ctx.db.patch("memories", first._id, { kind, importance: MEMORY_IMPORTANCE[kind] });
    return first._id;
  }
  if (first.vectorId !== undefined) await ctx.db.delete("memoryVectors", first.vectorId);
  await ctx.db.patch("memories", first._id, {
    kind,
    text,
    importance: MEMORY_IMPORTANCE[kind],
    vectorStatus: "pending",
    embedAttempts: 0,
    vectorId: undefined,
  });
  return first._id;
}

/** A user message, in chunks (a short one is one chunk). Returns the chunks' ids in order. */
export async function rememberMessage(
  ctx: MutationCtx,
  message: Pick<Doc<"messages">, "_id" | "userId" | "conversationId" | "content" | "createdAt">,
): Promise<Id<"memories">[]> {
  const chunks = chunkText(message.content);
  const ids: Id<"memories">[] = [];
  for (const [index, text] of chunks.entries()) {
    ids.push(
      await insertMemory(ctx, message.userId, "message", message._id, index, text, message.createdAt, message.conversationId),
    );
  }
  return ids;
}

/**
 * A star by its label and description (created, edited); a dismissed star's memory becomes
 * `dismissed_star`: kept for dedupe by meaning, never recalled.
 */
export async function rememberStar(ctx: MutationCtx, star: Doc<"stars">): Promise<Id<"memories"> | null> {
  const kind: MemoryKind = star.dismissedAt === undefined ? "star" : "dismissed_star";
  const text = starMemoryText(star.label, star.description);
  const id = await rememberOne(ctx, star.userId, kind, star._id, text, star.createdAt);
  if (id === null) return null;
  // The kind is the vector's filter: a dismissal moves the stored vector too (text unchanged).
  const memory = await ctx.db.get("memories", id);
  if (memory?.vectorId !== undefined) {
    await ctx.db.patch("memoryVectors", memory.vectorId, { kind, userKind: userKind(star.userId, kind) });
  }
  return memory?.vectorStatus === "pending" ? id : null;
}

/** A conversation's summary (written again when it changes). */
export async function rememberSummary(ctx: MutationCtx, conversation: Doc<"conversations">, summary: string, at: number) {
  return await rememberOne(ctx, conversation.userId, "summary", conversation._id, summary, at);
}

/** An experiment's reflection, the user's own words. */
export async function rememberReflection(ctx: MutationCtx, experiment: Doc<"experiments">, reflection: string, at: number) {
  return await rememberOne(ctx, experiment.userId, "reflection", experiment._id, reflection, at);
}

/** Forgets everything remembered of a source (an archived message, a deleted star). */
export async function forgetSource(ctx: MutationCtx, userId: Id<"users">, sourceId: string): Promise<number> {
  const memories = await memoriesOf(ctx, userId, sourceId);
  await Promise.all(memories.map((memory) => deleteMemory(ctx, memory)));
  return memories.length;
}

/**
 * Forgets up to `limit` memories of a conversation's messages (archival: the messages go;
 * the summary's memory has no conversationId and stays). Returns how many it deleted.
 */
export async function forgetConversationMessages(
  ctx: MutationCtx,
  conversationId: Id<"conversations">,
  limit: number,
): Promise<number> {
  const memories = await ctx.db
    .query("memories")
    .withIndex("by_conversation", (q) => q.eq("conversationId", conversationId))
    .take(limit);
  await Promise.all(memories.map((memory) => deleteMemory(ctx, memory)));
  return memories.length;
}

export type MemoryVectorInput = { memoryId: Id<"memories">; text: string; embedding: number[] };

/**
 * Stores embeddings for memories that still hold the text that was embedded (a memory edited
 * or deleted meanwhile is skipped: its new text is pending and embedded later). Idempotent.
 * Returns how many it stored.
 */
export async function storeVectors(ctx: MutationCtx, items: readonly MemoryVectorInput[]): Promise<number> {
  let stored = 0;
  for (const item of items) {
    if (item.embedding.length !== EMBEDDING_DIMENSIONS) continue;
    const memory = await ctx.db.get("memories", item.memoryId);
    if (memory === null || memory.text !== item.text || memory.vectorStatus === "embedded") continue;
    const vectorId = await ctx.db.insert("memoryVectors", {
      userId: memory.userId,
      memoryId: memory._id,
      kind: memory.kind,
      userKind: userKind(memory.userId, memory.kind),
      embedding: item.embedding,
    });
    await ctx.db.patch("memories", memory._id, { vectorStatus: "embedded", vectorId });
    stored += 1;
  }
  return stored;
}

/** Counts a failed embedding attempt on each still-pending memory. */
export async function recordEmbedFailure(ctx: MutationCtx, memoryIds: readonly Id<"memories">[]): Promise<void> {
  for (const memoryId of memoryIds) {
    const memory = await ctx.db.get("memories", memoryId);
    if (memory !== null && memory.vectorStatus === "pending") {
      await ctx.db.patch("memories", memoryId, { embedAttempts: memory.embedAttempts + 1 });
    }
  }
}

/**
 * Embeds these memories soon (a star edited, a summary or reflection written): outside a
 * turn nothing else would before the sweep. Nothing without a model. Ids only.
 */
export async function scheduleEmbedding(ctx: MutationCtx, memoryIds: readonly (Id<"memories"> | null)[]): Promise<void> {
  const ids = memoryIds.filter((id): id is Id<"memories"> => id !== null);
  if (ids.length === 0 || configuredEmbeddings() === null) return;
  await ctx.scheduler.runAfter(0, internal.memory.embedMemories, { memoryIds: ids, attempt: 1 });
}
