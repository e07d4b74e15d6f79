// Fair concurrency (docs/pipeline.md "Turns in flight"): at most MAX_TURNS_IN_FLIGHT of a
// user's turns are pending (scheduled, running or between attempts) at once; a message sent
// beyond that is stored `queued` and waits, in the order sent, for a slot. The finish of a
// turn (done, failed or skipped: model/extraction.ts setStatus) starts the next one.
//
// The count is not a counter: it is the user's pending messages on the
// messages.by_user_extraction_status index, so it cannot drift when an action dies, and a
// send that takes the last slot conflicts (OCC) with a concurrent one reading the same
// range, which then retries and queues. Nothing of this lives on the users row.
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { Extraction } from "../validators";
import { recordAttempt } from "./attempts";
import { configuredModel } from "./modelSettings";

export const NO_MODEL_REASON = "no model configured";

/**
 * Turns of one user the model works on at once. Two, not one: a user writing in two
 * conversations is not held up by the other, while one account can never hold more than
 * two workers and two budget reservations (model/usage.ts) at a time.
 */
export const MAX_TURNS_IN_FLIGHT = 2;
/** Queued messages started by one finish (more slots than one may be free after a retry). */
const START_MAX = MAX_TURNS_IN_FLIGHT;

/** The user's messages in a pipeline status, oldest first. */
function byStatus(ctx: Pick<QueryCtx, "db">, userId: Id<"users">, status: "pending" | "queued") {
  return ctx.db
    .query("messages")
    .withIndex("by_user_extraction_status", (q) => q.eq("userId", userId).eq("extraction.status", status));
}

/** How many of the user's turns are in flight (pending), counted up to the limit. */
export async function turnsInFlight(ctx: Pick<QueryCtx, "db">, userId: Id<"users">): Promise<number> {
  return (await byStatus(ctx, userId, "pending").take(MAX_TURNS_IN_FLIGHT)).length;
}

/**
 * The status a turn starts in: skipped without a model (nothing will call it), pending when
 * a slot is free, else queued.
 */
export async function admissionStatus(
  ctx: Pick<QueryCtx, "db">,
  userId: Id<"users">,
  now: number,
): Promise<Extraction> {
  if (configuredModel() === null) return { status: "skipped", reason: NO_MODEL_REASON, attempts: 0, updatedAt: now };
  const inFlight = await turnsInFlight(ctx, userId);
  return { status: inFlight < MAX_TURNS_IN_FLIGHT ? "pending" : "queued", attempts: 0, updatedAt: now };
}

/**
 * Schedules attempt `attempt` of a message's extraction (the args are ids, never text) and
 * records its job for the stuck-work sweeper (model/attempts.ts), in the same transaction.
 */
export async function scheduleExtraction(
  ctx: MutationCtx,
  message: Pick<Doc<"messages">, "_id" | "userId">,
  attempt: number,
  delayMs: number,
): Promise<void> {
  const messageId = message._id;
  const jobId = await ctx.scheduler.runAfter(delayMs, internal.extraction.run, { messageId, attempt });
  await recordAttempt(ctx, { kind: "turn", userId: message.userId, messageId }, attempt, jobId, Date.now() + delayMs);
}

/**
 * Starts the user's oldest queued turns while slots are free (called when a turn finishes).
 * Without a model configured a queued message ends `skipped`, as a new one would.
 */
export async function startQueuedTurns(ctx: MutationCtx, userId: Id<"users">, now: number): Promise<void> {
  let free = MAX_TURNS_IN_FLIGHT - (await turnsInFlight(ctx, userId));
  if (free <= 0) return;
  const queued: Doc<"messages">[] = await byStatus(ctx, userId, "queued").take(START_MAX);
  for (const message of queued) {
    if (free <= 0) return;
    if (configuredModel() === null) {
      await ctx.db.patch("messages", message._id, {
        extraction: { status: "skipped", reason: NO_MODEL_REASON, attempts: 0, updatedAt: now },
      });
      continue;
    }
    await ctx.db.patch("messages", message._id, { extraction: { status: "pending", attempts: 0, updatedAt: now } });
    await scheduleExtraction(ctx, message, 1, 0);
    free -= 1;
  }
}
