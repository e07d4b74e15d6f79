// The daily decay and shadow drain of every constellation (MECHANICS §1), run by the cron in
// crons.ts. `run` pages through users and schedules one `user` job each (model/batching.ts
// pageAndFanOut); `user` pages that user's non-dormant stars, then its shadow_mirror
// connections, within the shared transaction budget, rescheduling itself with a cursor.
// Every batch of one run gets the `now` fixed when the run started: decay and drain
// compose, so a second run the same day, a late run or a run split across many
// transactions all reach the brightness one run would.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { internalMutation, type MutationCtx } from "./_generated/server";
import { PAGE_SIZE, pageAndFanOut, readRange, vCursor, withinBudget, type Range, type RangeRead } from "./model/batching";
import { newSyncBudget } from "./model/connections";
import { decayStar, drainShadowMirror } from "./model/stars";

/**
 * A user's job walks these index ranges in order. Non-dormant stars are the two by_user_type
 * ranges either side of "dormant", so history (dormant stars) is never read; mirrors are the
 * live ones only (both ends live: a dormant end is never drained). Decay comes first and the
 * drain last, so the drain sees each star's type as of `now` (a dark star that
 * has just gone dormant drains nothing); drain and decay commute on brightness.
 *
 * A star whose type changes during the run may move further along the walk and be read a
 * second time; decay at the same `now` is then a no-op (no write), so every star is written
 * at most once per run. A star moved behind the cursor by a concurrent reinforcement or
 * spill is not visited, and owes nothing: those set lastUpdatedAt to a time after `now`.
 */
const SEGMENTS = ["starsBelowDormant", "starsAboveDormant", "shadowMirrors"] as const;
type SegmentName = (typeof SEGMENTS)[number];

/** Reads and processes one segment; returns how many documents it handled and where to go on. */
async function runSegment(
  ctx: MutationCtx,
  userId: Id<"users">,
  segment: SegmentName,
  read: RangeRead,
  now: number,
): Promise<Range<unknown> | "does not fit"> {
  const budget = newSyncBudget();
  if (segment === "shadowMirrors") {
    const mirrors = ctx.db
      .query("connections")
      .withIndex("by_user_states_type", (q) =>
        q.eq("userId", userId).eq("aState", "live").eq("bState", "live").eq("type", "shadow_mirror"),
      );
    const range = await readRange(mirrors, read);
    if (range === "does not fit") return range;
    // In order: two mirrors may drain the same star (each read-modify-write must see the last).
    for (const mirror of range.docs) await drainShadowMirror(ctx, mirror, now, budget);
    return range;
  }
  const stars = ctx.db
    .query("stars")
    .withIndex("by_user_type", (q) =>
      segment === "starsBelowDormant"
        ? q.eq("userId", userId).lt("type", "dormant")
        : q.eq("userId", userId).gt("type", "dormant"),
    );
  const range = await readRange(stars, read);
  if (range === "does not fit") return range;
  // In order: the stars share one budget for the connection ends of those that go dormant.
  for (const star of range.docs) await decayStar(ctx, star, now, budget);
  return range;
}

/** Cron target: schedules one `user` job per user, one page of users per transaction. */
export const run = internalMutation({
  args: {
    /** Fixed for the whole run; the cron passes none and the first page reads the clock. */
    now: v.optional(v.number()),
    cursor: vCursor,
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => ctx.db.query("users").paginate(options),
      // Accounts pending erasure are skipped; if the deletion is cancelled, the next run
      // decays them over the whole interval (decay composes).
      select: (user) => user.deletionRequestedAt === undefined,
      batchSize: 1,
      batch: ([userId]) => ctx.scheduler.runAfter(0, internal.decay.user, { userId, now }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.decay.run, { now, cursor }),
    });
    return null;
  },
});

/**
 * One user's decay and drain: the segments in order, PAGE_SIZE documents a read, until the
 * transaction budget is spent (model/batching.ts withinBudget). The transaction's first
 * read pages; a later segment is finished in the same transaction only when it fits whole.
 */
export const user = internalMutation({
  args: {
    userId: v.id("users"),
    now: v.number(),
    /** Where a previous transaction of this job stopped (index into SEGMENTS, page cursor). */
    segment: v.optional(v.number()),
    cursor: vCursor,
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { userId, now } = args;
    let resumeAt = args.cursor ?? null;
    const start = args.segment ?? 0;
    const segments = SEGMENTS.slice(start).map((name, offset) => ({ name, index: start + offset }));
    await withinBudget(
      ctx,
      segments,
      async ({ name }, first) => {
        const read: RangeRead = first ? { kind: "page", cursor: resumeAt, numItems: PAGE_SIZE } : { kind: "whole", limit: PAGE_SIZE };
        const range = await runSegment(ctx, userId, name, read, now);
        // Too big to finish in this transaction: the next one pages it from the start.
        resumeAt = range === "does not fit" ? null : range.continueCursor;
        return range === "does not fit" || resumeAt !== null ? "pause" : "done";
      },
      ([{ index }]) => ctx.scheduler.runAfter(0, internal.decay.user, { userId, now, segment: index, cursor: resumeAt }),
    );
    return null;
  },
});
