// Semantic memory's steps in the turn's action (convex/extraction.ts run), each its own
// function so the turn reads as: context → recall (one embeddings call) → chat → star twins
// (one embeddings call, batched) → apply → store the turn's vectors. Every step degrades to
// "no memory" on its own: no model, an embeddings failure or an empty result never stops a
// reply. docs/pipeline.md "Memory".
import { TIER_ALLOWANCES } from "../../src/mechanics/companions";
import { nextDelayMs, shouldRetry } from "../../src/llm/failures";
import type { PromptMemory } from "../../src/llm/prompts";
import { MEMORY_LIMITS, STAR_DEDUPE_SIMILARITY, meanVector, starMemoryText } from "../../src/memory";
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { ActionCtx } from "../_generated/server";
import type { CleanTurn } from "./extraction";
import type { MemoryVectorInput } from "./memories";
import { backoffRandom, configuredEmbeddings } from "./modelSettings";
import { mergeTurnMemories, nearestStarVectors, promptMemoryOf, recallVectors, type Recalled } from "./recall";
import type { TurnContext } from "./turnContext";
import { embedWithBudget } from "./usage";

type Turn = Extract<TurnContext, { kind: "turn" }>;
type MessageChunk = { memoryId: Id<"memories">; text: string; embedded: boolean };

export type TurnRecall = {
  /** The prompt's memories: recalled first, then the companion's, within the tier's allowance. */
  memories: PromptMemory[];
  /** The message's chunk vectors, stored after the reply (storeTurnMemories). */
  messageVectors: MemoryVectorInput[];
};

/**
 * Before the chat call: embeds the user message (its chunks, one call), searches the user's
 * memories with it (vector and text, fused; model/recall.ts) skipping the messages the prompt
 * already shows, and merges the result with the companion memories, at most the tier's
 * allowance. An embeddings failure leaves the companion memories alone and schedules the
 * message's embedding again (its memory stays pending for the retry or the sweep).
 */
export async function recallForTurn(ctx: ActionCtx, messageId: Id<"messages">, context: Turn): Promise<TurnRecall> {
  const companion = context.prompt.memories;
  const settings = configuredEmbeddings();
  if (settings === null) return { memories: companion, messageVectors: [] };
  const { userId, timezone, shownMessageIds } = context.recall;
  const chunks: MessageChunk[] = await ctx.runQuery(internal.memory.messageChunks, { userId, messageId });
  const inputs = chunks.length > 0 ? chunks.map((chunk) => chunk.text) : [context.prompt.userMessage];
  const embedded = await embedWithBudget(ctx, userId, settings, inputs);
  if (!embedded.ok) {
    const pending = chunks.filter((chunk) => !chunk.embedded).map((chunk) => chunk.memoryId);
    const failure = { kind: embedded.kind, reason: embedded.reason, retryAfterMs: embedded.retryAfterMs };
    if (pending.length > 0) {
      await ctx.runMutation(internal.memory.embedFailed, { memoryIds: pending });
      if (shouldRetry(failure, 1)) {
        await ctx.scheduler.runAfter(nextDelayMs(failure, 1, backoffRandom()), internal.memory.embedMemories, {
          memoryIds: pending,
          attempt: 2,
        });
      }
    }
    return { memories: companion, messageVectors: [] };
  }
  const messageVectors = chunks.flatMap((chunk, i) =>
    chunk.embedded ? [] : [{ memoryId: chunk.memoryId, text: chunk.text, embedding: embedded.vectors[i] }],
  );
  const allowance = TIER_ALLOWANCES[context.prompt.relationship.tier].memories;
  if (allowance === 0) return { memories: companion, messageVectors };
  const vector = meanVector(embedded.vectors);
  const vectorHits = await recallVectors(ctx, userId, vector, MEMORY_LIMITS.searchK);
  const recalled: Recalled[] = await ctx.runQuery(internal.memory.recall, {
    userId,
    vector,
    vectorHits,
    text: context.prompt.userMessage,
    skipSourceIds: shownMessageIds,
    limit: Math.min(allowance, MEMORY_LIMITS.turnMemories),
    maxChars: MEMORY_LIMITS.turnChars,
  });
  const memories = mergeTurnMemories(
    recalled.map((memory) => promptMemoryOf(memory, timezone)),
    companion,
    allowance,
  );
  return { memories, messageVectors };
}

export type StarTwin = { ref: string; starId: Id<"stars">; similarity: number };
export type StarVector = { normalizedLabel: string; text: string; embedding: number[] };

/**
 * After the chat call, before applying: embeds the turn's new stars (label and description,
 * one batched call) and finds, for each, the user's nearest star (live or dismissed). At or
 * above STAR_DEDUPE_SIMILARITY it is the same concept: applyNewStars reinforces it (or drops
 * the item, when dismissed) instead of creating a twin. The vectors are kept for the stars
 * the turn does create.
 */
export async function starTwinsForTurn(
  ctx: ActionCtx,
  userId: Id<"users">,
  newStars: CleanTurn["newStars"],
): Promise<{ twins: StarTwin[]; starVectors: StarVector[] }> {
  const settings = configuredEmbeddings();
  if (settings === null || newStars.length === 0) return { twins: [], starVectors: [] };
  const texts = newStars.map((star) => starMemoryText(star.label, star.description));
  const embedded = await embedWithBudget(ctx, userId, settings, texts);
  // Without vectors, dedupe falls back to the label alone; the sweep embeds the new stars.
  if (!embedded.ok) return { twins: [], starVectors: [] };
  const nearest = await Promise.all(embedded.vectors.map((vector) => nearestStarVectors(ctx, userId, vector)));
  const candidates = nearest.flatMap((hits, index) =>
    hits[0] !== undefined && hits[0].similarity >= STAR_DEDUPE_SIMILARITY ? [{ index, hit: hits[0] }] : [],
  );
  const starIds: (Id<"stars"> | null)[] =
    candidates.length === 0
      ? []
      : await ctx.runQuery(internal.memory.starsOfVectors, { userId, vectorIds: candidates.map((c) => c.hit.vectorId) });
  const twins = candidates.flatMap(({ index, hit }, i) => {
    const starId = starIds[i];
    return starId === null || starId === undefined ? [] : [{ ref: newStars[index].ref, starId, similarity: hit.similarity }];
  });
  const starVectors = newStars.map((star, i) => ({ normalizedLabel: star.normalizedLabel, text: texts[i], embedding: embedded.vectors[i] }));
  return { twins, starVectors };
}

/** After the reply is applied: stores the turn's vectors (one mutation; skipped when there are none). */
export async function storeTurnMemories(
  ctx: ActionCtx,
  userId: Id<"users">,
  messageVectors: MemoryVectorInput[],
  starVectors: StarVector[],
): Promise<void> {
  if (messageVectors.length === 0 && starVectors.length === 0) return;
  await ctx.runMutation(internal.memory.storeTurnVectors, { userId, messageVectors, starVectors });
}
