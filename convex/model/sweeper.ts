// The stuck-work sweeper (docs/pipeline.md "Nothing stuck"): Convex runs an action at most
// once, so a turn or an experiment generation whose action died would stay pending (or
// generating) forever. Every attempt's job is recorded with a deadline (model/attempts.ts);
// past it, an attempt whose job is no longer pending or running is treated as a failed
// attempt with the reason "attempt lost": the next attempt is scheduled, or, after the last,
// the message is marked failed (the experiment's date is given back); the retry waits the pipeline's backoff. Idempotent: a row is
// re-read and re-judged in the worker's transaction, and the failure is recorded once per
// attempt number (finishAttempt), so two sweeps recover once.
import { MAX_ATTEMPTS, nextDelayMs, shouldRetry, type Failure } from "../../src/llm/failures";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { attemptAlive } from "./attempts";
import { offerOn, releaseOffer, scheduleGeneration } from "./experiments";
import { finishAttempt, isCurrentAttempt } from "./extraction";
import { backoffRandom } from "./modelSettings";

/** The failure reason of an attempt whose action died (content-free, like the model's). */
export const ATTEMPT_LOST = "attempt lost";

export type SweepOutcome = "alive" | "retried" | "failed" | "cleared";

/**
 * Judges one attempt row at `now`: before its deadline, or its job pending or running,
 * it is left alone ("alive"); otherwise the attempt is recovered.
 */
export async function sweepAttempt(ctx: MutationCtx, row: Doc<"attemptJobs">, now: number): Promise<SweepOutcome> {
  if (row.deadlineAt > now || (await attemptAlive(ctx, row))) return "alive";
  const outcome = row.kind === "turn" ? await recoverTurn(ctx, row, now) : await recoverGeneration(ctx, row);
  // Nothing moved the row to a new job (the work had ended, or was no longer at this
  // attempt): it watches nothing any more.
  const after = await ctx.db.get("attemptJobs", row._id);
  if (after !== null && after.jobId === row.jobId) await ctx.db.delete("attemptJobs", row._id);
  return outcome;
}

/** A lost turn attempt is a retryable failure of that attempt: the pipeline's own rules apply. */
async function recoverTurn(ctx: MutationCtx, row: Doc<"attemptJobs">, now: number): Promise<SweepOutcome> {
  if (row.messageId === undefined) return "cleared";
  if (!isCurrentAttempt(await ctx.db.get("messages", row.messageId), row.attempt)) return "cleared";
  await finishAttempt(ctx, row.messageId, row.attempt, { kind: "failure", failureKind: "retryable", reason: ATTEMPT_LOST }, now);
  return row.attempt < MAX_ATTEMPTS ? "retried" : "failed";
}

/**
 * A lost generation attempt: the next one, or after the last the reserved date goes back
 * (the offer's "generating" ends, the user may ask again today). Nothing when the offer
 * was stored or the reservation moved on meanwhile.
 */
async function recoverGeneration(ctx: MutationCtx, row: Doc<"attemptJobs">): Promise<SweepOutcome> {
  const { journeyId, offeredDate, offeredAt } = row;
  if (journeyId === undefined || offeredDate === undefined || offeredAt === undefined) return "cleared";
  const journey = await ctx.db.get("journeys", journeyId);
  if (journey === null || journey.lastOfferDate !== offeredDate || (await offerOn(ctx, journeyId, offeredDate)) !== null) {
    return "cleared";
  }
  const failure: Failure = { kind: "retryable", reason: ATTEMPT_LOST };
  if (shouldRetry(failure, row.attempt)) {
    const delayMs = nextDelayMs(failure, row.attempt, backoffRandom());
    await scheduleGeneration(ctx, { journeyId, offeredDate, offeredAt }, row.attempt + 1, delayMs);
    return "retried";
  }
  await releaseOffer(ctx, journeyId, offeredDate);
  console.warn(`experiment generation failed after ${row.attempt} attempt(s): ${ATTEMPT_LOST}`);
  return "failed";
}
