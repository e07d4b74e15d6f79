// Daily experiments (MECHANICS §6): a small WHEN / WILL / AT step toward the journey's active
// milestone, offered at most once a day per journey, expiring at the user's local midnight.
// Public: offerToday, accept, complete, skip, today, mine. Internal: the generator (an action:
// one read, the model call, one idempotent write) and the midnight expiry.
// docs/trajectory-api.md is the client contract.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { nextDelayMs, shouldRetry, type Failure } from "../src/llm/failures";
import { buildExperimentMessages } from "../src/llm/prompts";
import { sanitizeExperiment } from "../src/llm/sanitize";
import { EXPERIMENT_SCHEMA, EXPERIMENT_SCHEMA_NAME } from "../src/llm/schemas";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";
import { appError } from "./errors";
import { userMutation, userQuery } from "./functions";
import {
  acceptExperiment,
  completeExperiment,
  expireExperiment,
  generationContext as loadGenerationContext,
  type GenerationContext,
  vGenerationContext,
  latestOffer,
  releaseOffer as release,
  reserveOffer,
  scheduleGeneration,
  skipExperiment,
  storeOffer as store,
  vOfferInput,
} from "./model/experiments";
import { clearAttempt } from "./model/attempts";
import { configuredModel } from "./model/modelSettings";
import { assertWithinBudget, callModelWithBudget } from "./model/usage";
import { loadOwned } from "./model/userTables";
import schema from "./schema";
import { mapperOf } from "./validators";

/** An experiment as a client sees it (the document without its owner, expiry job and token usage). */
export const vExperimentView = doc(schema, "experiments").omit("_creationTime", "userId", "expiryJobId", "tokenUsage");
export type ExperimentView = Infer<typeof vExperimentView>;
export const toExperimentView = mapperOf(vExperimentView);

// ---------------------------------------------------------------------------------------
// Public

/**
 * Asks for today's experiment on a walking journey. The date is reserved in this
 * transaction (a second call the same local date: CONFLICT) and the generator is
 * scheduled; the offer appears in `today` when it is stored. Without a model configured:
 * MODEL_UNAVAILABLE; over the token budget: BUDGET_EXCEEDED (with retryAfterMs); in both
 * cases nothing is reserved or scheduled.
 */
export const offerToday = userMutation({
  args: { journeyId: v.id("journeys") },
  returns: v.object({ offeredDate: v.string() }),
  handler: async (ctx, { journeyId }) => {
    const now = Date.now();
    const journey = await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
    if (configuredModel() === null) {
      throw appError("MODEL_UNAVAILABLE", "no model is configured to design experiments");
    }
    await assertWithinBudget(ctx, ctx.user, now);
    const offeredDate = await reserveOffer(ctx, ctx.user, journey, now);
    await scheduleGeneration(ctx, { journeyId, offeredAt: now, offeredDate }, 1, 0);
    return { offeredDate };
  },
});

/**
 * The journey's newest offer (any status: compare `expiresAt` with the clock, or wait for
 * the midnight job), and whether today's is still being generated.
 */
export const today = userQuery({
  args: { journeyId: v.id("journeys") },
  returns: v.object({ experiment: v.union(vExperimentView, v.null()), generating: v.boolean() }),
  handler: async (ctx, { journeyId }) => {
    const journey = await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
    const experiment = await latestOffer(ctx, journeyId);
    const reserved = journey.lastOfferDate;
    const generating = reserved !== undefined && (experiment === null || experiment.offeredDate < reserved);
    return { experiment: experiment === null ? null : toExperimentView(experiment), generating };
  },
});

/**
 * The caller's experiments, newest offer first (experiments.by_user); with `journeyId`, that
 * journey's only (by_journey_date; NOT_FOUND for a journey that is not the caller's).
 */
export const mine = userQuery({
  args: { journeyId: v.optional(v.id("journeys")), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vExperimentView),
  handler: async (ctx, { journeyId, paginationOpts }) => {
    // A journey's experiments are its owner's (storeOffer copies journey.userId).
    if (journeyId !== undefined) await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
    const query =
      journeyId === undefined
        ? ctx.db.query("experiments").withIndex("by_user", (q) => q.eq("userId", ctx.user._id))
        : ctx.db.query("experiments").withIndex("by_journey_date", (q) => q.eq("journeyId", journeyId));
    const page = await query.order("desc").paginate(paginationOpts);
    return { ...page, page: page.page.map(toExperimentView) };
  },
});

export const accept = userMutation({
  args: { experimentId: v.id("experiments") },
  returns: v.null(),
  handler: async (ctx, { experimentId }) => {
    const experiment = await loadOwned(ctx, "experiments", experimentId, ctx.user._id);
    await acceptExperiment(ctx, experiment, Date.now());
    return null;
  },
});

/** Completes a pending or accepted experiment, with an optional reflection (≤ 4,000 characters). */
export const complete = userMutation({
  args: { experimentId: v.id("experiments"), reflection: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, { experimentId, reflection }) => {
    const experiment = await loadOwned(ctx, "experiments", experimentId, ctx.user._id);
    await completeExperiment(ctx, experiment, reflection, Date.now());
    return null;
  },
});

export const skip = userMutation({
  args: { experimentId: v.id("experiments") },
  returns: v.null(),
  handler: async (ctx, { experimentId }) => {
    const experiment = await loadOwned(ctx, "experiments", experimentId, ctx.user._id);
    await skipExperiment(ctx, experiment, Date.now());
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Internal: generation (scheduled by offerToday; args are ids and dates, no personal text)

const vGenerationArgs = {
  journeyId: v.id("journeys"),
  offeredAt: v.number(),
  offeredDate: v.string(),
  attempt: v.number(),
};

export const generationContext = internalQuery({
  args: { journeyId: v.id("journeys"), offeredDate: v.string() },
  returns: v.union(v.null(), vGenerationContext),
  handler: async (ctx, { journeyId, offeredDate }) => await loadGenerationContext(ctx, journeyId, offeredDate),
});

/**
 * Asks the model for one experiment (same client, config and failure policy as the
 * conversation pipeline). Retryable failures, and answers the sanitizer rejects (a fresh
 * sample may do better), are retried through the scheduler with backoff, MAX_ATTEMPTS in
 * all; a final failure gives the reserved date back. The answer is untrusted: the sanitizer
 * keeps only star ids from the prompt, and storeOffer checks them again. The call goes
 * through the budget (model/usage.ts): refused there, the same attempt is deferred by the
 * budget's retryAfterMs if it can still run before the offered date ends, else the date is
 * given back.
 */
export const generate = internalAction({
  args: vGenerationArgs,
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const context: GenerationContext | null = await ctx.runQuery(internal.experiments.generationContext, {
      journeyId: args.journeyId,
      offeredDate: args.offeredDate,
    });
    const release = async () => {
      await ctx.runMutation(internal.experiments.releaseOffer, {
        journeyId: args.journeyId,
        offeredDate: args.offeredDate,
      });
      return null;
    };
    // Nothing to generate (see generationContext); a journey paused meanwhile gets its date
    // back (releaseOffer changes nothing when the offer is stored or the date moved on).
    if (context === null) return await release();
    const failure = await (async (): Promise<Failure | "deferred" | null> => {
      const call = await callModelWithBudget(
        ctx,
        { userId: context.userId, purpose: "experiment" },
        { messages: buildExperimentMessages(context.prompt), schema: EXPERIMENT_SCHEMA, name: EXPERIMENT_SCHEMA_NAME },
        configuredModel(),
      );
      if (call.status === "noModel") return { kind: "final", reason: "model unavailable" };
      if (call.status === "noAccount") return { kind: "final", reason: "account deletion pending" };
      if (call.status === "overBudget") {
        if (Date.now() + call.retryAfterMs >= context.offerEndsAt) return { kind: "final", reason: "budget exceeded" };
        await ctx.scheduler.runAfter(call.retryAfterMs, internal.experiments.generate, args);
        return "deferred";
      }
      const result = call.result;
      if (!result.ok) return result;
      const clean = sanitizeExperiment(result.data, new Set(context.prompt.stars.map((star) => star.id)));
      if (!clean.ok) return { kind: "retryable", reason: `malformed: ${clean.reason}` };
      await ctx.runMutation(internal.experiments.storeOffer, {
        journeyId: args.journeyId,
        offeredAt: args.offeredAt,
        offeredDate: args.offeredDate,
        milestoneId: context.milestoneId,
        ...clean.experiment,
        tokenUsage: result.usage,
      });
      return null;
    })();
    if (failure === null || failure === "deferred") return null;
    if (shouldRetry(failure, args.attempt)) {
      // Through a mutation, so the next attempt's job is recorded with it (model/attempts.ts).
      const { attempt, ...offer } = args;
      await ctx.runMutation(internal.experiments.scheduleAttempt, {
        ...offer,
        attempt: attempt + 1,
        delayMs: nextDelayMs(failure, attempt),
      });
      return null;
    }
    // Reasons are short and content-free (failures.ts, sanitize.ts): safe to log.
    console.warn(`experiment generation failed after ${args.attempt} attempt(s): ${failure.reason}`);
    return await release();
  },
});

/** Schedules (and records) the next attempt of a generation: the action's retry. */
export const scheduleAttempt = internalMutation({
  args: { ...vGenerationArgs, delayMs: v.number() },
  returns: v.null(),
  handler: async (ctx, { attempt, delayMs, ...offer }) => {
    await scheduleGeneration(ctx, offer, attempt, delayMs);
    return null;
  },
});

// Storing or releasing ends the generation: its attempts are no longer watched.
export const storeOffer = internalMutation({
  args: vOfferInput.fields,
  returns: v.union(v.id("experiments"), v.null()),
  handler: async (ctx, args) => {
    const experimentId = await store(ctx, args, Date.now());
    await clearAttempt(ctx, { kind: "experiment", journeyId: args.journeyId, offeredDate: args.offeredDate });
    return experimentId;
  },
});

export const releaseOffer = internalMutation({
  args: { journeyId: v.id("journeys"), offeredDate: v.string() },
  returns: v.null(),
  handler: async (ctx, { journeyId, offeredDate }) => {
    await release(ctx, journeyId, offeredDate);
    await clearAttempt(ctx, { kind: "experiment", journeyId, offeredDate });
    return null;
  },
});

/** Runs at the offer's `expiresAt` (scheduler.runAt); the hourly sweep is the safety net. */
export const expire = internalMutation({
  args: { experimentId: v.id("experiments") },
  returns: v.null(),
  handler: async (ctx, { experimentId }) => {
    const experiment = await ctx.db.get("experiments", experimentId);
    if (experiment !== null) await expireExperiment(ctx, experiment, Date.now());
    return null;
  },
});
