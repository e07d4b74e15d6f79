// The scheduled function of every live attempt of an action (docs/pipeline.md "Nothing
// stuck"): Convex runs an action at most once, so an action that dies (a crash, a deploy,
// a runtime limit) leaves the state it was meant to finish behind. Each attempt's job id is
// recorded with a deadline when it is scheduled, one row per subject (a user message's turn,
// an experiment offer); the row goes when the work ends, and the stuck-work sweeper
// (model/sweeper.ts) finds rows past their deadline whose job is no longer pending or
// running, and recovers them.
import { MINUTE } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { configuredModel } from "./modelSettings";
import { DEFAULT_TIMEOUT_MS } from "../../src/llm/settings";

/**
 * Added to an attempt's due time and its call's deadline (OPENAI_TIMEOUT_MS): the stream's
 * writes, the apply mutation and the scheduler's own lag all fit in it, so a healthy attempt
 * is never past its deadline while it works (and the sweeper also checks its job's state).
 */
export const ATTEMPT_GRACE_MS = 2 * MINUTE;

/** When a live attempt due at `dueAt` must have ended: due + one call's deadline + grace. */
export function attemptDeadline(dueAt: number): number {
  return dueAt + (configuredModel()?.timeoutMs ?? DEFAULT_TIMEOUT_MS) + ATTEMPT_GRACE_MS;
}

export type AttemptSubject =
  | { kind: "turn"; userId: Id<"users">; messageId: Id<"messages"> }
  | {
      kind: "experiment";
      userId: Id<"users">;
      journeyId: Id<"journeys">;
      offeredDate: string;
      offeredAt: number;
    };

/** The one row of a subject (a message's turn, or a journey's offer on a date). */
export async function attemptOf(
  ctx: QueryCtx,
  subject: Pick<AttemptSubject, "kind"> & ({ messageId: Id<"messages"> } | { journeyId: Id<"journeys">; offeredDate: string }),
): Promise<Doc<"attemptJobs"> | null> {
  if ("messageId" in subject) {
    return await ctx.db
      .query("attemptJobs")
      .withIndex("by_message", (q) => q.eq("messageId", subject.messageId))
      .first();
  }
  return await ctx.db
    .query("attemptJobs")
    .withIndex("by_journey_date", (q) => q.eq("journeyId", subject.journeyId).eq("offeredDate", subject.offeredDate))
    .first();
}

/** Records the job of attempt `attempt` (scheduled in this transaction, due at `dueAt`). */
export async function recordAttempt(
  ctx: MutationCtx,
  subject: AttemptSubject,
  attempt: number,
  jobId: Id<"_scheduled_functions">,
  dueAt: number,
): Promise<void> {
  const fields = { attempt, jobId, deadlineAt: attemptDeadline(dueAt) };
  const existing = await attemptOf(ctx, subject);
  if (existing !== null) await ctx.db.patch("attemptJobs", existing._id, fields);
  else await ctx.db.insert("attemptJobs", { ...subject, ...fields });
}

/** The subject's work ended (done, failed, skipped; stored or released): nothing to watch. */
export async function clearAttempt(
  ctx: MutationCtx,
  subject: Pick<AttemptSubject, "kind"> & ({ messageId: Id<"messages"> } | { journeyId: Id<"journeys">; offeredDate: string }),
): Promise<void> {
  const existing = await attemptOf(ctx, subject);
  if (existing !== null) await ctx.db.delete("attemptJobs", existing._id);
}

/** Rows whose deadline passed at `now`, oldest deadline first (the sweeper's range). */
export function attemptsPastDeadline(ctx: QueryCtx, now: number) {
  return ctx.db.query("attemptJobs").withIndex("by_deadline", (q) => q.lte("deadlineAt", now));
}

/**
 * Whether the attempt's job may still do its work: pending (due, or waiting for its
 * backoff) or in progress. Failed, canceled, finished (without finishing the work) or gone
 * (the scheduler forgets old jobs) all mean the attempt is lost.
 */
export async function attemptAlive(ctx: QueryCtx, row: Doc<"attemptJobs">): Promise<boolean> {
  const job = await ctx.db.system.get("_scheduled_functions", row.jobId);
  return job !== null && (job.state.kind === "pending" || job.state.kind === "inProgress");
}
