// The daily decay and shadow drain of every constellation (MECHANICS §1), run by the cron in
// crons.ts. `run` pages through users and schedules one `user` job each; `user` pages that
// user's non-dormant stars, then its shadow_mirror connections, a bounded batch per
// transaction, rescheduling itself with a cursor. Every batch of one run gets the `now`
// fixed when the run started: decay and drain compose, so a second run the same day, a late
// run or a run split across many transactions all reach the brightness one run would.
import type { PaginationResult, Query } from "convex/server";
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { DataModel, Doc, Id } from "./_generated/dataModel";
import { internalMutation, type MutationCtx } from "./_generated/server";
import { newSyncBudget } from "./model/connections";
import { decayStar, drainShadowMirror } from "./model/stars";

/** Users read per `run` transaction, each becoming one scheduled `user` job. */
export const USERS_PER_PAGE = 100;

/**
 * Work per `user` transaction, in units: a star costs 1 (one read, at most one write), a
 * shadow_mirror 4 (itself and two ends read; up to three writes). 200 units stay far below
 * Convex's per-transaction limits (32,000 reads, 16,000 writes, 16 MiB, 1 s). Stars that go
 * dormant also move their connection ends, at most END_SYNC_BUDGET per segment (the rest is
 * scheduled, model/connections.ts).
 */
export const UNITS_PER_TRANSACTION = 200;

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
const SEGMENTS = [
  { name: "starsBelowDormant", cost: 1 },
  { name: "starsAboveDormant", cost: 1 },
  { name: "shadowMirrors", cost: 4 },
] as const;
type SegmentName = (typeof SEGMENTS)[number]["name"];

/** How a segment is read: the transaction's first segment pages; later ones must fit whole. */
type Read = { kind: "page"; cursor: string | null; numItems: number } | { kind: "whole"; limit: number };

/** The documents read, and where to continue (null: the range is finished). */
type Range<T> = { docs: T[]; continueCursor: string | null };

/** One paginate per transaction (a Convex rule), so later ranges use take and must fit. */
async function readRange<T extends "stars" | "connections">(
  query: Query<DataModel[T]>,
  read: Read,
): Promise<Range<Doc<T>> | "does not fit"> {
  if (read.kind === "page") {
    const page: PaginationResult<Doc<T>> = await query.paginate({ cursor: read.cursor, numItems: read.numItems });
    return { docs: page.page, continueCursor: page.isDone ? null : page.continueCursor };
  }
  const docs: Doc<T>[] = await query.take(read.limit + 1);
  return docs.length > read.limit ? "does not fit" : { docs, continueCursor: null };
}

/** Reads and processes one segment; returns how many documents it handled and where to go on. */
async function runSegment(
  ctx: MutationCtx,
  userId: Id<"users">,
  segment: SegmentName,
  read: Read,
  now: number,
): Promise<Range<unknown> | "does not fit"> {
  const budget = newSyncBudget();
  if (segment === "shadowMirrors") {
    const mirrors = ctx.db
      .query("connections")
      .withIndex("by_user_states_type", (q) =>
        q.eq("userId", userId).eq("aState", "live").eq("bState", "live").eq("type", "shadow_mirror"),
      );
    const range = await readRange<"connections">(mirrors, read);
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
  const range = await readRange<"stars">(stars, read);
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
    cursor: v.optional(v.union(v.string(), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const users = await ctx.db.query("users").paginate({ cursor: args.cursor ?? null, numItems: USERS_PER_PAGE });
    // Accounts pending erasure are skipped; if the deletion is cancelled, the next run
    // decays them over the whole interval (decay composes).
    const live = users.page.filter((user) => user.deletionRequestedAt === undefined);
    await Promise.all(live.map((user) => ctx.scheduler.runAfter(0, internal.decay.user, { userId: user._id, now })));
    if (!users.isDone) {
      await ctx.scheduler.runAfter(0, internal.decay.run, { now, cursor: users.continueCursor });
    }
    return null;
  },
});

/** One user's decay and drain, UNITS_PER_TRANSACTION at a time. */
export const user = internalMutation({
  args: {
    userId: v.id("users"),
    now: v.number(),
    /** Where a previous transaction of this job stopped (index into SEGMENTS, page cursor). */
    segment: v.optional(v.number()),
    cursor: v.optional(v.union(v.string(), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { userId, now } = args;
    const resume = async (segment: number, cursor: string | null) => {
      await ctx.scheduler.runAfter(0, internal.decay.user, { userId, now, segment, cursor });
      return null;
    };
    const start = args.segment ?? 0;
    let units = UNITS_PER_TRANSACTION;
    for (let segment = start; segment < SEGMENTS.length; segment++) {
      const { name, cost } = SEGMENTS[segment];
      const room = Math.floor(units / cost);
      if (room === 0) return await resume(segment, null);
      const read: Read =
        segment === start ? { kind: "page", cursor: args.cursor ?? null, numItems: room } : { kind: "whole", limit: room };
      const range = await runSegment(ctx, userId, name, read, now);
      // Too big to finish in this transaction: the next one pages it from the start.
      if (range === "does not fit") return await resume(segment, null);
      if (range.continueCursor !== null) return await resume(segment, range.continueCursor);
      units -= range.docs.length * cost;
    }
    return null;
  },
});
