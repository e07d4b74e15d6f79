// The extraction pipeline (docs/pipeline.md): for one user message, TARS's reply and what
// the message reveals (stars, reinforcements, connections, skill evidence, growth signals),
// from ONE structured model call. Shape: one internal query loads the bounded context, the
// action calls the model and sanitizes the untrusted answer, one internal mutation applies
// it idempotently (or records the failure and schedules the next attempt).
import { v } from "convex/values";
import { normalizeLabel } from "../src/domain";
import { buildTurnMessages } from "../src/llm/prompts";
import { normalizeSkillName, sanitizeTurn, type SanitizeContext } from "../src/llm/sanitize";
import { TURN_SCHEMA, TURN_SCHEMA_NAME } from "../src/llm/schemas";
import { internal } from "./_generated/api";
import { type ActionCtx, internalAction, internalMutation, internalQuery } from "./_generated/server";
import {
  BUDGET_EXCEEDED_REASON,
  NO_MODEL_REASON,
  finishAttempt as finish,
  vAttemptOutcome,
  type AttemptOutcome,
} from "./model/extraction";
import { configuredModel } from "./model/modelSettings";
import { loadTurnContext, vTurnContext, type TurnContext } from "./model/turnContext";
import { callModelWithBudget } from "./model/usage";

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
    const outcome = await attemptTurn(ctx, context);
    try {
      await ctx.runMutation(internal.extraction.finishAttempt, { messageId, attempt, outcome });
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
    return null;
  },
});

/**
 * The model call (through the budget: model/usage.ts) and the sanitizer: the answer is
 * untrusted input until sanitizeTurn. A turn refused by the budget (calls in flight used
 * it up since messages.send checked) fails for good with "budget exceeded": the user may
 * retry once the budget allows (messages.retry answers BUDGET_EXCEEDED until then).
 */
async function attemptTurn(ctx: ActionCtx, context: TurnContext): Promise<AttemptOutcome> {
  // Checked again here: the key may have been removed since the message was sent.
  const config = configuredModel();
  if (config === null) return { kind: "skipped", reason: NO_MODEL_REASON };
  if (context.kind === "skip") return { kind: "failure", failureKind: "final", reason: context.reason };
  const call = await callModelWithBudget(
    ctx,
    { userId: context.userId, purpose: "chat" },
    { messages: buildTurnMessages(context.prompt), schema: TURN_SCHEMA, name: TURN_SCHEMA_NAME },
    config,
  );
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
  args: { ...vRunArgs, outcome: vAttemptOutcome },
  returns: v.null(),
  handler: async (ctx, { messageId, attempt, outcome }) => {
    await finish(ctx, messageId, attempt, outcome, Date.now());
    return null;
  },
});
