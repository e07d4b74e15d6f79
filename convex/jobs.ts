// The trajectory's background jobs (crons.ts routes to the drivers here). Each driver pages
// through users (or due rows) and fans the work out in batches; a batch worker handles its
// items one by one and, once its transaction has used BATCH_BUDGET, hands the rest to a
// fresh transaction. Every step is idempotent per user per local date, so a second run, a
// late run or a retried batch changes nothing that was already done.
// docs/trajectory-api.md ("Jobs") has the table: schedule, work, idempotency key.
import type { TransactionMetrics } from "convex/server";
import { v } from "convex/values";
import { RETENTION_MS } from "../src/mechanics/retention";
import { DAY, addDays, localDate, nextLocalMidnight, startOfLocalDate } from "../src/time";
import { internal } from "./_generated/api";
import { fanOut } from "./model/batching";
import type { Id } from "./_generated/dataModel";
import { internalMutation, type MutationCtx } from "./_generated/server";
import { OPEN_OFFER_WINDOW_MS, expireExperiment, recentOffers } from "./model/experiments";
import { updateJourneyVelocity, velocityWindowStart, walkingJourneys } from "./model/journeys";
import { recordConsistency } from "./model/consistency";
import { snapshotLifeState } from "./model/lifeStates";
import { writeDueReports } from "./model/reports";
import {
  ARCHIVABLE_STATUSES,
  archivable,
  archiveStep,
  dueConversations,
  prunePage,
  pruneUserInline,
  vPruneProgress,
} from "./model/retention";

const MiB = 1 << 20;

/**
 * A batch starts no new item once its transaction has used any of these. Convex allows
 * 32,000 documents and 16 MiB read, 16,000 documents and 16 MiB written, 4,096 index
 * ranges and 1,000 scheduled functions per transaction; the heaviest single item (one
 * user's rollover at every read cap, model/lifeStates.ts: about 7,000 documents and, with
 * maximal evidence on every star and connection, about 10 MiB) still fits after the budget.
 */
export const BATCH_BUDGET = {
  documentsRead: 12_000,
  bytesRead: 4 * MiB,
  documentsWritten: 4_000,
  bytesWritten: 4 * MiB,
  databaseQueries: 2_000,
  functionsScheduled: 200,
} as const;

/** Rows a driver reads per transaction (users are small documents). */
export const USERS_PER_PAGE = 200;
/** Items per scheduled batch; a typical batch finishes in one transaction. */
export const ITEMS_PER_BATCH = 50;
/** Experiments the expiry sweep expires per transaction and status (one write each). */
export const EXPIRY_SWEEP_PAGE = 500;

const vNow = v.optional(v.number());
const vCursor = v.optional(v.union(v.string(), v.null()));

function spent(metrics: TransactionMetrics): boolean {
  return (Object.keys(BATCH_BUDGET) as (keyof typeof BATCH_BUDGET)[]).some(
    (limit) => metrics[limit].used >= BATCH_BUDGET[limit],
  );
}

/**
 * Runs `step` over `items` in order until each answers "done"; an item may take several
 * steps ("more"). After the first step, once the budget is spent, the remaining items
 * (the current one first) go to `continueWith`, which schedules a fresh transaction.
 */
async function withinBudget<T>(
  ctx: MutationCtx,
  items: readonly T[],
  step: (item: T) => Promise<"done" | "more">,
  continueWith: (rest: T[]) => Promise<unknown>,
): Promise<void> {
  let index = 0;
  let worked = false;
  while (index < items.length) {
    if (worked && spent(await ctx.meta.getTransactionMetrics())) {
      await continueWith(items.slice(index));
      return;
    }
    if ((await step(items[index])) === "done") index += 1;
    worked = true;
  }
}

// ---------------------------------------------------------------------------------------
// Daily rollover (hourly): for each user whose local date has turned, the velocity and
// momentum of their walking journeys for the date just closed, then the daily snapshot.

/** Cron target: the users due (users.by_next_daily: nextDailyAt ≤ now), a page at a time. */
export const dailyRollover = internalMutation({
  args: { now: vNow, cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const due = await ctx.db
      .query("users")
      .withIndex("by_next_daily", (q) => q.lte("nextDailyAt", now))
      .paginate({ cursor: args.cursor ?? null, numItems: USERS_PER_PAGE });
    await fanOut(
      due.page.map((user) => user._id),
      ITEMS_PER_BATCH,
      (userIds) => ctx.scheduler.runAfter(0, internal.jobs.dailyRolloverUsers, { userIds, now }),
    );
    if (!due.isDone) await ctx.scheduler.runAfter(0, internal.jobs.dailyRollover, { now, cursor: due.continueCursor });
    return null;
  },
});

export const dailyRolloverUsers = internalMutation({
  args: { userIds: v.array(v.id("users")), now: v.number() },
  returns: v.null(),
  handler: async (ctx, { userIds, now }) => {
    await withinBudget(
      ctx,
      userIds,
      async (userId) => {
        await rollOverUser(ctx, userId, now);
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.jobs.dailyRolloverUsers, { userIds: rest, now }),
    );
    return null;
  },
});

/**
 * One user's rollover at `now`. Skipped when `nextDailyAt` is still ahead (done already).
 * Velocity is keyed by journeys.lastVelocityDate, the snapshot by users.lastDailyDate (the
 * local date it was taken on); then nextDailyAt moves to the next local midnight. The
 * walking journeys and one range of recent offers are read once and serve both steps. An
 * account pending deletion only moves nextDailyAt.
 */
async function rollOverUser(ctx: MutationCtx, userId: Id<"users">, now: number): Promise<void> {
  const user = await ctx.db.get("users", userId);
  if (user === null || user.nextDailyAt > now) return;
  const nextDailyAt = nextLocalMidnight(now, user.timezone);
  if (user.deletionRequestedAt !== undefined) {
    await ctx.db.patch("users", userId, { nextDailyAt });
    return;
  }
  const today = localDate(now, user.timezone);
  const closedDate = addDays(today, -1);
  const walking = await walkingJourneys(ctx, userId);
  const due = walking.flatMap((journey) => {
    const from = velocityWindowStart(journey, closedDate, user.timezone);
    return from === null ? [] : [{ journey, from }];
  });
  // Offers from a day before the earliest date due (time-zone slack), and at least the
  // window in which an offer can still be open (the snapshot's load).
  const since = Math.min(
    now - OPEN_OFFER_WINDOW_MS,
    ...due.map(({ from }) => startOfLocalDate(from, user.timezone) - DAY),
  );
  const offers = await recentOffers(ctx, userId, since);
  for (const { journey, from } of due) await updateJourneyVelocity(ctx, journey, from, closedDate, offers);
  if (user.lastDailyDate !== today) {
    const snapshot = await snapshotLifeState(ctx, user, now, "daily", { walking, offers });
    // MECHANICS §9: consistency of the closed date on its snapshot, then the reports it closes.
    const consistency = await recordConsistency(ctx, user, closedDate, snapshot._id);
    await writeDueReports(ctx, user, closedDate, now, consistency);
  }
  await ctx.db.patch("users", userId, { nextDailyAt, lastDailyDate: today });
}

// ---------------------------------------------------------------------------------------
// Experiment expiry sweep (hourly): the safety net behind each offer's runAt job.

/**
 * Expires open experiments whose `expiresAt` has passed (experiments.by_status_expires),
 * EXPIRY_SWEEP_PAGE per status per transaction. Expired rows leave the range, so the next
 * transaction starts from the front again; no cursor is needed.
 */
export const expireExperiments = internalMutation({
  args: { now: vNow },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    let more = false;
    for (const status of ["pending", "accepted"] as const) {
      const due = await ctx.db
        .query("experiments")
        .withIndex("by_status_expires", (q) => q.eq("status", status).lte("expiresAt", now))
        .take(EXPIRY_SWEEP_PAGE);
      for (const experiment of due) await expireExperiment(ctx, experiment, now);
      more ||= due.length === EXPIRY_SWEEP_PAGE;
    }
    if (more) await ctx.scheduler.runAfter(0, internal.jobs.expireExperiments, { now });
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// LifeState pruning (daily): MECHANICS §7 retention for every user.

export const pruneLifeStates = internalMutation({
  args: { now: vNow, cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const users = await ctx.db.query("users").paginate({ cursor: args.cursor ?? null, numItems: USERS_PER_PAGE });
    await fanOut(
      users.page.map((user) => user._id),
      ITEMS_PER_BATCH,
      (userIds) => ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUsers, { userIds, now }),
    );
    if (!users.isDone) {
      await ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStates, { now, cursor: users.continueCursor });
    }
    return null;
  },
});

export const pruneLifeStatesUsers = internalMutation({
  args: { userIds: v.array(v.id("users")), now: v.number() },
  returns: v.null(),
  handler: async (ctx, { userIds, now }) => {
    await withinBudget(
      ctx,
      userIds,
      async (userId) => {
        const user = await ctx.db.get("users", userId);
        const progress = user === null ? null : await pruneUserInline(ctx, user, now);
        if (progress !== null) await ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUser, { userId, now, progress });
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUsers, { userIds: rest, now }),
    );
    return null;
  },
});

/**
 * One user's prune at `now`. Without `progress`: from the user's watermark, inline when it
 * fits (a steady-state night). With it: a page of the windows left (a first prune of a long
 * history, or a night after a long pause), the stream's key carried along.
 */
export const pruneLifeStatesUser = internalMutation({
  args: { userId: v.id("users"), now: v.number(), progress: v.optional(vPruneProgress) },
  returns: v.null(),
  handler: async (ctx, { userId, now, progress }) => {
    const user = await ctx.db.get("users", userId);
    if (user === null) return null;
    const next = progress === undefined ? await pruneUserInline(ctx, user, now) : await prunePage(ctx, user, now, progress);
    if (next !== null) await ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUser, { userId, now, progress: next });
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Conversation retention (daily): archive conversations idle for 12 months.

/** Cron target: due conversations of each archivable status in turn, a page at a time. */
export const archiveConversations = internalMutation({
  args: { now: vNow, statusIndex: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const statusIndex = args.statusIndex ?? 0;
    const status = ARCHIVABLE_STATUSES[statusIndex];
    if (status === undefined) return null;
    const due = await dueConversations(ctx, status, now, RETENTION_MS).paginate({
      cursor: args.cursor ?? null,
      numItems: USERS_PER_PAGE,
    });
    await fanOut(
      due.page.map((conversation) => conversation._id),
      ITEMS_PER_BATCH,
      (conversationIds) => ctx.scheduler.runAfter(0, internal.jobs.archiveConversationsBatch, { conversationIds, now }),
    );
    const next = due.isDone ? { statusIndex: statusIndex + 1, cursor: null } : { statusIndex, cursor: due.continueCursor };
    if (next.statusIndex < ARCHIVABLE_STATUSES.length) {
      await ctx.scheduler.runAfter(0, internal.jobs.archiveConversations, { now, ...next });
    }
    return null;
  },
});

export const archiveConversationsBatch = internalMutation({
  args: { conversationIds: v.array(v.id("conversations")), now: v.number() },
  returns: v.null(),
  handler: async (ctx, { conversationIds, now }) => {
    await withinBudget(
      ctx,
      conversationIds,
      async (conversationId) => {
        const conversation = await ctx.db.get("conversations", conversationId);
        if (!archivable(conversation, now)) return "done";
        return (await archiveStep(ctx, conversation, now)) ? "done" : "more";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.jobs.archiveConversationsBatch, { conversationIds: rest, now }),
    );
    return null;
  },
});
