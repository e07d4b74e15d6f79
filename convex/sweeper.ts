// Internal: the stuck-work sweeper (crons.ts, every 2 minutes; docs/pipeline.md "Nothing
// stuck"). A driver pages attemptJobs.by_deadline (deadline ≤ now) and fans each page out in
// batches (model/batching.ts); a batch judges each row again at the job's `now`
// (model/sweeper.ts) and recovers the attempts whose job is no longer pending or running.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { attemptsPastDeadline } from "./model/attempts";
import { pageAndFanOut, vCursor, withinBudget } from "./model/batching";
import { sweepAttempt, type SweepOutcome } from "./model/sweeper";

export const sweepStuck = internalMutation({
  args: { now: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => attemptsPastDeadline(ctx, now).paginate(options),
      batch: (attemptIds) => ctx.scheduler.runAfter(0, internal.sweeper.sweepBatch, { attemptIds, now }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.sweeper.sweepStuck, { now, cursor }),
    });
    return null;
  },
});

const vCounts = v.object({ alive: v.number(), retried: v.number(), failed: v.number(), cleared: v.number() });

/** Judges and recovers each row; returns this transaction's counts (also logged when not all alive). */
export const sweepBatch = internalMutation({
  args: { attemptIds: v.array(v.id("attemptJobs")), now: v.number() },
  returns: vCounts,
  handler: async (ctx, { attemptIds, now }) => {
    const counts: Record<SweepOutcome, number> = { alive: 0, retried: 0, failed: 0, cleared: 0 };
    await withinBudget(
      ctx,
      attemptIds,
      async (attemptId) => {
        const row = await ctx.db.get("attemptJobs", attemptId);
        if (row !== null) counts[await sweepAttempt(ctx, row, now)] += 1;
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.sweeper.sweepBatch, { attemptIds: rest, now }),
    );
    if (counts.retried + counts.failed + counts.cleared > 0) console.log(JSON.stringify({ job: "sweepStuck", ...counts }));
    return counts;
  },
});
