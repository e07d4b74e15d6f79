// The trajectory's background jobs (crons.ts routes to the drivers here). Each driver is a
// declared pageAndFanOut (model/batching.ts): it pages through users (or due rows) and fans
// the work out in batches; a batch worker handles its items one by one within the shared
// transaction budget and hands the rest to a fresh transaction. Every step is idempotent
// per user per local date, so a second run, a late run or a retried batch changes nothing
// that was already done. The destructive jobs (pruning, archival) take `dryRun`.
// docs/trajectory-api.md ("Jobs") has the table: schedule, work, idempotency key.
import { v } from "convex/values";
import { datesClosedByReset } from "../src/mechanics/dayReset";
import { RETENTION_MS } from "../src/mechanics/retention";
import { DAY, effectiveTimeZone, startOfLocalDate } from "../src/time";
import { internal } from "./_generated/api";
import { isolated, logDryRun, pageAndFanOut, readRange, vCursor, vDryRun, withinBudget } from "./model/batching";
import type { Id } from "./_generated/dataModel";
import { internalMutation, type MutationCtx } from "./_generated/server";
import { OPEN_OFFER_WINDOW_MS, expireExperiment, recentOffers } from "./model/experiments";
import { updateJourneyVelocity, velocityWindowStart, walkingJourneys } from "./model/journeys";
import { consistencyOn, recordConsistency } from "./model/consistency";
import { snapshotLifeState } from "./model/lifeStates";
import { revealDueQuests } from "./model/quests";
import { writeDueReports } from "./model/reports";
import { dueSchedules, isDailyDue, lastResetDateOf, markRolledOver, resetDecision, scheduleOf } from "./model/schedule";
import {
  ARCHIVABLE_STATUSES,
  MESSAGES_PER_STEP,
  archivable,
  archiveStep,
  conversationMessages,
  dueConversations,
  prunePage,
  pruneUserInline,
  vPruneProgress,
  type PruneTally,
} from "./model/retention";

/** Experiments the expiry sweep expires per transaction and status (one write each). */
export const EXPIRY_SWEEP_PAGE = 500;

const vNow = v.optional(v.number());

// ---------------------------------------------------------------------------------------
// Daily rollover (hourly): for each user whose local date has turned, the velocity and
// momentum of their walking journeys for the date just closed, then the daily snapshot.

/** Cron target: the users due (dailySchedules.by_next_daily: nextDailyAt ≤ now), a page at a time. */
export const dailyRollover = internalMutation({
  args: { now: vNow, cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => dueSchedules(ctx, now).paginate(options),
      item: (schedule) => schedule.userId,
      batch: (userIds) => ctx.scheduler.runAfter(0, internal.jobs.dailyRolloverUsers, { userIds, now }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.jobs.dailyRollover, { now, cursor }),
    });
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
        // Each user in a sub-transaction (model/batching.ts isolated): one bad row is logged
        // and skipped, the rest of the batch rolls over.
        await isolated(ctx, "jobs:dailyRolloverUsers", userId, internal.jobs.rollOverUser, { userId, now });
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.jobs.dailyRolloverUsers, { userIds: rest, now }),
    );
    return null;
  },
});

/** One user's rollover at `now`, as its own sub-transaction of a batch (dailyRolloverUsers). */
export const rollOverUser = internalMutation({
  args: { userId: v.id("users"), now: v.number() },
  returns: v.null(),
  handler: async (ctx, { userId, now }) => {
    await rollOverUserAt(ctx, userId, now);
    return null;
  },
});

/**
 * One user's rollover at `now`, by the day-reset rule (src/mechanics/dayReset.ts): the
 * user's local date T is reset only when it is later than the last date reset; otherwise
 * only nextDailyAt is recomputed (a zone change moved it). A reset of T runs the per-date
 * work of T: velocity for the dates closed up to T − 1 (keyed per journey by
 * journeys.lastVelocityDate), then the snapshot dated T (keyed by dailySchedules.lastDailyDate),
 * then for each date the reset closes (datesClosedByReset) its consistency and the reports it
 * closes (keyed per (user, type, window end)), then the quest reveals (keyed per template);
 * then lastResetDate = T and nextDailyAt = the start of T + 1 (model/schedule.ts). Work that
 * other changes add per local date goes between the two marked lines below. The walking
 * journeys and one range of recent offers are read once and serve both steps. Skipped when
 * `nextDailyAt` is still ahead (done already); an account pending deletion is passed over
 * (its dates are reset without work). A stale zone computes in UTC. Writes no users row.
 */
async function rollOverUserAt(ctx: MutationCtx, userId: Id<"users">, now: number): Promise<void> {
  const [user, schedule] = await Promise.all([ctx.db.get("users", userId), scheduleOf(ctx, userId)]);
  if (user === null || schedule === null || !isDailyDue(schedule, now)) return;
  const zone = effectiveTimeZone(user);
  if (zone !== user.timezone) console.warn(JSON.stringify({ job: "jobs:rollOverUser", item: userId, staleZone: true }));
  const decision = resetDecision(schedule, now, zone);
  if (decision.kind === "wait" || user.deletionRequestedAt !== undefined) {
    await markRolledOver(ctx, schedule, decision);
    return;
  }
  const { date: today, closedThrough } = decision;
  const walking = await walkingJourneys(ctx, userId);
  const due = walking.flatMap((journey) => {
    const from = velocityWindowStart(journey, closedThrough, zone);
    return from === null ? [] : [{ journey, from }];
  });
  // Offers from a day before the earliest date due (time-zone slack), and at least the
  // window in which an offer can still be open (the snapshot's load).
  const since = Math.min(now - OPEN_OFFER_WINDOW_MS, ...due.map(({ from }) => startOfLocalDate(from, zone) - DAY));
  const offers = await recentOffers(ctx, userId, since);
  // --- per-date work of `today` (and the dates closed before it) ---
  for (const { journey, from } of due) await updateJourneyVelocity(ctx, journey, from, closedThrough, offers);
  const snapshotDue = schedule.lastDailyDate === undefined || schedule.lastDailyDate < today;
  const snapshot = snapshotDue ? await snapshotLifeState(ctx, user, now, "daily", { walking, offers }) : null;
  // MECHANICS §9, for each date this reset closes, oldest first: its consistency (stored on
  // tonight's snapshot for the date just closed) and the reports that date closes.
  for (const closedDate of datesClosedByReset(lastResetDateOf(schedule), closedThrough)) {
    const consistency =
      snapshot !== null && closedDate === closedThrough
        ? await recordConsistency(ctx, user, closedDate, snapshot._id)
        : (await consistencyOn(ctx, user, closedDate)).value;
    await writeDueReports(ctx, user, closedDate, now, consistency);
  }
  // After the snapshot, so an escape-index quest reads tonight's η (MECHANICS §10).
  await revealDueQuests(ctx, userId, now);
  // --- end of per-date work ---
  await markRolledOver(ctx, schedule, decision, snapshotDue);
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

/** What a pruning transaction deleted (a dry run: would have deleted). */
const vPruneReport = v.object({ snapshots: v.number() });

/** A fresh tally for one transaction of a pruning job. */
function pruneTally(dryRun: boolean | undefined): PruneTally {
  return { dryRun: dryRun === true, snapshots: 0 };
}

function pruneReport(job: string, tally: PruneTally) {
  if (tally.dryRun) logDryRun(job, { snapshots: tally.snapshots });
  return { snapshots: tally.snapshots };
}

/**
 * Cron target: every user, a page at a time. `dryRun`: every step walks as a real run
 * would and counts the snapshots it would delete; nothing is written, and each
 * transaction logs its count (model/batching.ts logDryRun).
 */
export const pruneLifeStates = internalMutation({
  args: { now: vNow, cursor: vCursor, dryRun: vDryRun },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const { dryRun } = args;
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => ctx.db.query("users").paginate(options),
      batch: (userIds) => ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUsers, { userIds, now, dryRun }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStates, { now, cursor, dryRun }),
    });
    return null;
  },
});

/**
 * Prunes each user inline, or hands a long history to the user's own job. Each user runs
 * in a sub-transaction (model/batching.ts isolated): one bad row is logged and skipped.
 */
export const pruneLifeStatesUsers = internalMutation({
  args: { userIds: v.array(v.id("users")), now: v.number(), dryRun: vDryRun },
  returns: vPruneReport,
  handler: async (ctx, { userIds, now, dryRun }) => {
    const tally = pruneTally(dryRun);
    await withinBudget(
      ctx,
      userIds,
      async (userId) => {
        const pruned = await isolated(ctx, "jobs:pruneLifeStatesUsers", userId, internal.jobs.pruneLifeStatesUserInline, {
          userId,
          now,
          dryRun,
        });
        if (pruned === null) return "done";
        tally.snapshots += pruned.snapshots;
        if (pruned.progress !== null) {
          await ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUser, { userId, now, progress: pruned.progress, dryRun });
        }
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUsers, { userIds: rest, now, dryRun }),
    );
    return pruneReport("jobs:pruneLifeStatesUsers", tally);
  },
});

/** One user's inline prune (pruneLifeStatesUsers' sub-transaction): the count, and the windows left for the user's own job. */
export const pruneLifeStatesUserInline = internalMutation({
  args: { userId: v.id("users"), now: v.number(), dryRun: vDryRun },
  returns: v.object({ snapshots: v.number(), progress: v.union(vPruneProgress, v.null()) }),
  handler: async (ctx, { userId, now, dryRun }) => {
    const tally = pruneTally(dryRun);
    const user = await ctx.db.get("users", userId);
    const progress = user === null ? null : await pruneUserInline(ctx, user, now, tally);
    return { snapshots: tally.snapshots, progress };
  },
});

/**
 * One user's prune at `now`. Without `progress`: from the user's watermark, inline when it
 * fits (a steady-state night). With it: a page of the windows left (a first prune of a long
 * history, or a night after a long pause), the stream's key carried along.
 */
export const pruneLifeStatesUser = internalMutation({
  args: { userId: v.id("users"), now: v.number(), progress: v.optional(vPruneProgress), dryRun: vDryRun },
  returns: vPruneReport,
  handler: async (ctx, { userId, now, progress, dryRun }) => {
    const tally = pruneTally(dryRun);
    const user = await ctx.db.get("users", userId);
    if (user === null) return pruneReport("jobs:pruneLifeStatesUser", tally);
    const next =
      progress === undefined
        ? await pruneUserInline(ctx, user, now, tally)
        : await prunePage(ctx, user, now, progress, tally);
    if (next !== null) await ctx.scheduler.runAfter(0, internal.jobs.pruneLifeStatesUser, { userId, now, progress: next, dryRun });
    return pruneReport("jobs:pruneLifeStatesUser", tally);
  },
});

// ---------------------------------------------------------------------------------------
// Conversation retention (daily): archive conversations idle for 12 months.

/** What an archival transaction archived and deleted (a dry run: would have). */
const vArchiveReport = v.object({ conversations: v.number(), messages: v.number() });

/**
 * Cron target: due conversations of each archivable status in turn, a page at a time.
 * `dryRun`: the batches walk every due conversation's messages, count them and delete
 * nothing; each transaction logs its counts (model/batching.ts logDryRun).
 */
export const archiveConversations = internalMutation({
  args: { now: vNow, statusIndex: v.optional(v.number()), cursor: vCursor, dryRun: vDryRun },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const { dryRun } = args;
    const statusIndex = args.statusIndex ?? 0;
    const status = ARCHIVABLE_STATUSES[statusIndex];
    if (status === undefined) return null;
    const exhausted = await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => dueConversations(ctx, status, now, RETENTION_MS).paginate(options),
      batch: (conversationIds) =>
        ctx.scheduler.runAfter(0, internal.jobs.archiveConversationsBatch, { conversationIds, now, dryRun }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.jobs.archiveConversations, { now, statusIndex, cursor, dryRun }),
    });
    if (exhausted && statusIndex + 1 < ARCHIVABLE_STATUSES.length) {
      await ctx.scheduler.runAfter(0, internal.jobs.archiveConversations, { now, statusIndex: statusIndex + 1, dryRun });
    }
    return null;
  },
});

/**
 * Archives each conversation still due, deleting MESSAGES_PER_STEP messages a step. A dry
 * run cannot shrink the range as it goes, so it pages the messages instead: one paginated
 * read per transaction (the first step's, resuming at `messagesCursor`), later
 * conversations counted in the same transaction only when they fit whole.
 */
export const archiveConversationsBatch = internalMutation({
  args: {
    conversationIds: v.array(v.id("conversations")),
    now: v.number(),
    dryRun: vDryRun,
    /** Dry runs: where the first conversation's messages continue. */
    messagesCursor: vCursor,
  },
  returns: vArchiveReport,
  handler: async (ctx, { conversationIds, now, dryRun, messagesCursor }) => {
    const report = { conversations: 0, messages: 0 };
    let resumeAt = messagesCursor ?? null;
    await withinBudget(
      ctx,
      conversationIds,
      async (conversationId, first) => {
        const cursor = first ? resumeAt : null;
        resumeAt = null;
        const conversation = await ctx.db.get("conversations", conversationId);
        if (!archivable(conversation, now)) return "done";
        if (dryRun !== true) {
          const step = await archiveStep(ctx, conversation, now);
          report.messages += step.deleted;
          if (!step.archived) return "more";
          report.conversations += 1;
          return "done";
        }
        const range = await readRange(
          conversationMessages(ctx, conversation._id),
          first ? { kind: "page", cursor, numItems: MESSAGES_PER_STEP } : { kind: "whole", limit: MESSAGES_PER_STEP },
        );
        if (range === "does not fit") return "pause";
        report.messages += range.docs.length;
        resumeAt = range.continueCursor;
        if (resumeAt !== null) return "pause";
        report.conversations += 1;
        return "done";
      },
      (rest) =>
        ctx.scheduler.runAfter(0, internal.jobs.archiveConversationsBatch, {
          conversationIds: rest,
          now,
          dryRun,
          messagesCursor: resumeAt,
        }),
    );
    if (dryRun === true) logDryRun("jobs:archiveConversationsBatch", report);
    return report;
  },
});
