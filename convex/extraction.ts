// The extraction pipeline (docs/pipeline.md): for one user message, TARS's reply and what
// the message reveals (stars, reinforcements, connections, skill evidence, growth signals),
// from ONE structured model call. Shape: one internal query loads the bounded context, the
// action calls the model (streaming: the reply so far is written, throttled, as it arrives)
// and sanitizes the untrusted answer, one internal mutation applies it idempotently (or
// records the failure and schedules the next attempt).
import { v } from "convex/values";
import { normalizeLabel } from "../src/domain";
import { buildTurnMessages } from "../src/llm/prompts";
import { normalizeSkillName, sanitizeTurn, type SanitizeContext } from "../src/llm/sanitize";
import type { ModelSettings } from "../src/llm/settings";
import { TURN_SCHEMA, TURN_SCHEMA_NAME, type RawTurnOutput } from "../src/llm/schemas";
import { throttledWriter } from "../src/llm/throttle";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { internalAction, internalMutation, internalQuery, type ActionCtx } from "./_generated/server";
import {
  BUDGET_EXCEEDED_REASON,
  NO_MODEL_REASON,
  finishAttempt as finish,
  streamReply as writeStreamedReply,
  vAttemptOutcome,
  vStarTwin,
  type AttemptOutcome,
} from "./model/extraction";
import { configuredModel, streamingEnabled } from "./model/modelSettings";
import { loadTurnContext, vTurnContext, type TurnContext } from "./model/turnContext";
import { recallForTurn, starTwinsForTurn, storeTurnMemories, type TurnRecall } from "./model/turnMemory";
import { callModelWithBudget, type BudgetedCall } from "./model/usage";

const vRunArgs = { messageId: v.id("messages"), attempt: v.number() };

/** The context of one attempt, or null when there is nothing to do (see loadTurnContext). */
export const turnContext = internalQuery({
  args: vRunArgs,
  returns: v.union(v.null(), vTurnContext),
  handler: async (ctx, { messageId, attempt }) => await loadTurnContext(ctx, messageId, attempt),
});

/**
 * One attempt for one user message (scheduled by messages.send, messages.retry and the
 * previous attempt's failure). Never throws for model or network failures: callStructured
 * classifies them and finishAttempt decides between retrying and failing.
 */
export const run = internalAction({
  args: vRunArgs,
  returns: v.null(),
  handler: async (ctx, { messageId, attempt }): Promise<null> => {
    const context: TurnContext | null = await ctx.runQuery(internal.extraction.turnContext, { messageId, attempt });
    if (context === null) return null;
    // Semantic memory (model/turnMemory.ts): recall before the chat call, star twins after it.
    const recall = await recallStep(ctx, messageId, context);
    const outcome = await attemptTurn(ctx, withRecalledMemories(context, recall), { messageId, attempt });
    const twins =
      outcome.kind === "reply" && context.kind === "turn"
        ? await starTwinsForTurn(ctx, context.recall.userId, outcome.turn.newStars)
        : { twins: [], starVectors: [] };
    try {
      await ctx.runMutation(internal.extraction.finishAttempt, { messageId, attempt, outcome, starTwins: twins.twins });
    } catch (error) {
      if (outcome.kind !== "reply") throw error;
      // Applying hit a bug: record a final failure (the tokens were billed) so the user can
      // retry, instead of leaving the message pending forever. Content-free log line.
      console.error(`extraction apply failed for ${messageId}: ${error instanceof Error ? error.name : "error"}`);
      await ctx.runMutation(internal.extraction.finishAttempt, {
        messageId,
        attempt,
        outcome: { kind: "failure", failureKind: "final", reason: "apply failed", usage: outcome.usage },
      });
    }
    if (context.kind === "turn") {
      await storeTurnMemories(ctx, context.recall.userId, recall?.messageVectors ?? [], twins.starVectors);
    }
    return null;
  },
});

/** The turn's recall, only when the turn will call the model (not for a skip). */
async function recallStep(ctx: ActionCtx, messageId: Id<"messages">, context: TurnContext): Promise<TurnRecall | null> {
  if (context.kind !== "turn" || configuredModel() === null) return null;
  return await recallForTurn(ctx, messageId, context);
}

/** The context with the prompt's memories replaced by the recalled ones (which include the companion's). */
function withRecalledMemories(context: TurnContext, recall: TurnRecall | null): TurnContext {
  if (context.kind !== "turn" || recall === null) return context;
  return { ...context, prompt: { ...context.prompt, memories: recall.memories } };
}

type Attempt = { messageId: Id<"messages">; attempt: number };

/**
 * The model call (through the budget: model/usage.ts) and the sanitizer: the answer is
 * untrusted input until sanitizeTurn. A turn refused by the budget (calls in flight used
 * it up since messages.send checked) fails for good with "budget exceeded": the user may
 * retry once the budget allows (messages.retry answers BUDGET_EXCEEDED until then).
 */
async function attemptTurn(ctx: ActionCtx, context: TurnContext, attempt: Attempt): Promise<AttemptOutcome> {
  // Checked again here: the key may have been removed since the message was sent.
  const config = configuredModel();
  if (config === null) return { kind: "skipped", reason: NO_MODEL_REASON };
  if (context.kind === "skip") return { kind: "failure", failureKind: "final", reason: context.reason };
  const call = await callTurnModel(ctx, config, context, attempt);
  if (call.status === "noModel") return { kind: "skipped", reason: NO_MODEL_REASON };
  if (call.status === "noAccount") return { kind: "failure", failureKind: "final", reason: "account deletion pending" };
  if (call.status === "overBudget") return { kind: "failure", failureKind: "final", reason: BUDGET_EXCEEDED_REASON };
  const result = call.result;
  if (!result.ok) {
    return {
      kind: "failure",
      failureKind: result.kind,
      reason: result.reason,
      retryAfterMs: result.retryAfterMs,
      usage: result.usage,
    };
  }
  return { kind: "reply", turn: sanitizeTurn(result.data, sanitizeContext(context)), usage: result.usage };
}

/**
 * The turn's one model call. Streaming (OPENAI_STREAM, default on): the reply's text so far
 * goes to the throttled writer (at most one write per STREAM_WRITE_INTERVAL_MS, src/llm/
 * throttle.ts) and lands in the live messages.list; the final text comes with the apply
 * step. Without streaming: one whole response, as before.
 */
async function callTurnModel(
  ctx: ActionCtx,
  config: ModelSettings,
  context: Extract<TurnContext, { kind: "turn" }>,
  { messageId, attempt }: Attempt,
): Promise<BudgetedCall<RawTurnOutput>> {
  const caller = { userId: context.userId, purpose: "chat" as const };
  const request = { messages: buildTurnMessages(context.prompt), schema: TURN_SCHEMA, name: TURN_SCHEMA_NAME };
  if (!streamingEnabled()) return await callModelWithBudget(ctx, caller, request, config);
  const writer = throttledWriter(async (text) => {
    await ctx.runMutation(internal.extraction.streamReply, { messageId, attempt, text });
  });
  const call = await callModelWithBudget(ctx, caller, request, config, { onReplyText: writer.push });
  try {
    await writer.close();
  } catch (error) {
    // The text so far is for display only: the apply step writes the final reply whatever
    // happened to a partial write. Content-free log line.
    console.error(`streamed reply write failed for ${messageId}: ${error instanceof Error ? error.name : "error"}`);
  }
  return call;
}

/** The reply's text so far, while attempt `attempt` streams (model/extraction.ts streamReply). */
export const streamReply = internalMutation({
  args: { ...vRunArgs, text: v.string() },
  returns: v.null(),
  handler: async (ctx, { messageId, attempt, text }) => {
    await writeStreamedReply(ctx, messageId, attempt, text, Date.now());
    return null;
  },
});

/**
 * Only what the model was shown is valid: star ids from the prompt, skills from the prompt.
 * Dismissed labels and labels outside the prompt's 50 stars are checked against the whole
 * constellation when applying (model/extraction.ts applyNewStars: one by_user_label lookup
 * per new star, dismissed ones included).
 */
function sanitizeContext(context: Extract<TurnContext, { kind: "turn" }>): SanitizeContext {
  const stars = context.prompt.stars;
  return {
    knownStarIds: new Set(stars.map((star) => star.id)),
    existingLabels: new Map(stars.map((star) => [normalizeLabel(star.label), star.id])),
    knownSkillNames: new Map(context.skills.map((skill) => [normalizeSkillName(skill.name), skill.skillId])),
  };
}

/** Applies a reply or records a failure / skip for one attempt (idempotent). */
export const finishAttempt = internalMutation({
  args: { ...vRunArgs, outcome: vAttemptOutcome, starTwins: v.optional(v.array(vStarTwin)) },
  returns: v.null(),
  handler: async (ctx, { messageId, attempt, outcome, starTwins }) => {
    await finish(ctx, messageId, attempt, outcome, Date.now(), starTwins);
    return null;
  },
});
