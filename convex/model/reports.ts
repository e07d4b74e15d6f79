// The 2-, 7- and 21-day reports (MECHANICS §9), the only writer of `reports`.
//   writeDueReports (inside the daily rollover of the closed date): which windows close,
//     whether they hold activity, one row per (user, type, lastDate), compute scheduled;
//   computeStep (scheduled, repeats): pages the long ranges of the window (messages,
//     completed conversations, growth events, check-ins) through the pure folds of
//     src/mechanics/reflection.ts, one paginated range per transaction, then reads the small
//     ones and stores the statistics;
//   the narrative (convex/reports.ts narrate): an optional model call afterwards.
import type { ReportType } from "../../src/domain";
import {
  emptyAccumulator,
  finalizeReport,
  foldCheckins,
  foldConversations,
  foldGrowth,
  foldMessages,
  rankStars,
  reportWindow,
  dueReportTypes,
  dayNumber,
  type ReportAccumulator,
  type ReportSeries,
  type ReportStats,
} from "../../src/mechanics/reflection";
import { addDays, effectiveTimeZone, localDate, startOfLocalDate, type LocalDate } from "../../src/time";
import type { ModelFailure, TokenUsage } from "../../src/llm/client";
import { addUsage } from "../../src/usage";
import { nextDelayMs, shouldRetry, type Failure } from "../../src/llm/failures";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { Infer } from "convex/values";
import type { vReportAccumulator, vReportProgress, vReportSeries, vReportStats } from "../validators";
import { budgetSpent } from "./batching";
import { accountFirstDate, offersBetween } from "./consistency";
import { NO_MODEL_REASON } from "./extraction";
import { backoffRandom, configuredModel } from "./modelSettings";
import { walkingJourneys } from "./journeys";
import { dayRows } from "./progress";
import { findOwned } from "./userTables";

// The pure shapes and the stored validators are one shape (a drift fails the typecheck).
void ({} as ReportAccumulator satisfies Infer<typeof vReportAccumulator>);
void ({} as Infer<typeof vReportAccumulator> satisfies ReportAccumulator);
void ({} as ReportStats satisfies Infer<typeof vReportStats>);
void ({} as ReportSeries satisfies Infer<typeof vReportSeries>);

type Progress = Infer<typeof vReportProgress>;
type Phase = Progress["phase"];

const MiB = 1 << 20;

/** Rows of each long range folded per page (a page is one paginated read). */
export const REPORT_PAGE = { messages: 1_000, conversations: 1_000, growth: 2_000, checkins: 1_000 } as const;
/** A page also stops at this many bytes (messages carry text). */
const REPORT_PAGE_BYTES = 2 * MiB;
/** Messages read to tell whether a window holds a user message (see hasActivity). */
export const ACTIVITY_MESSAGE_READS = 50;
/** Completed conversations whose title and summary the narrative prompt sees. */
export const NARRATIVE_CONVERSATIONS = 10;

const PHASES: readonly Phase[] = ["messages", "conversations", "growth", "checkins", "final"];

// ---------------------------------------------------------------------------------------
// Writing the due reports (daily rollover)

/** The window's instants: [start of its first local date, end of its last). */
export function windowInstants(firstDate: LocalDate, lastDate: LocalDate, timeZone: string) {
  return { startsAt: startOfLocalDate(firstDate, timeZone), endsAt: startOfLocalDate(addDays(lastDate, 1), timeZone) };
}

/**
 * The latest instant of user activity inside a window (a user message, a completion of a
 * mission or experiment, a check-in), or null when there is none. Report windows ending on
 * the same date are nested, so one read of the widest answers for all of them: a window has
 * activity iff this instant falls in it. A mission completion counts at the start of its
 * local date (dailyProgress keeps dates, not instants). A window's first messages can be
 * coach replies to messages sent before it; when the newest ACTIVITY_MESSAGE_READS are all
 * replies, the window counts as active at its end.
 */
async function latestActivity(
  ctx: QueryCtx,
  user: Doc<"users">,
  window: { firstDate: LocalDate; lastDate: LocalDate; startsAt: number; endsAt: number },
): Promise<number | null> {
  const userId = user._id;
  const { startsAt, endsAt } = window;
  const [messages, checkin, days, offers] = await Promise.all([
    ctx.db
      .query("messages")
      .withIndex("by_user", (q) => q.eq("userId", userId).gte("createdAt", startsAt).lt("createdAt", endsAt))
      .order("desc")
      .take(ACTIVITY_MESSAGE_READS),
    ctx.db
      .query("checkins")
      .withIndex("by_user", (q) => q.eq("userId", userId).gte("createdAt", startsAt).lt("createdAt", endsAt))
      .order("desc")
      .first(),
    dayRows(ctx, userId, window.firstDate, window.lastDate),
    offersBetween(ctx, userId, startsAt, endsAt),
  ]);
  const instants = [
    messages.find((m) => m.role === "user")?.createdAt ?? (messages.length === ACTIVITY_MESSAGE_READS ? endsAt - 1 : null),
    checkin?.createdAt ?? null,
    ...days.filter((d) => d.missionsCompleted > 0).map((d) => startOfLocalDate(d.localDate, effectiveTimeZone(user))),
    ...offers.map((e) => (e.completedAt !== undefined && e.completedAt >= startsAt && e.completedAt < endsAt ? e.completedAt : null)),
  ].filter((instant): instant is number => instant !== null);
  return instants.length === 0 ? null : Math.max(...instants);
}

/** The active journey (the walking one started last, as the LifeState reads it) at `now`. */
async function journeyAtEnd(ctx: QueryCtx, userId: Id<"users">) {
  const walking = await walkingJourneys(ctx, userId);
  return walking.reduce<Doc<"journeys"> | null>(
    (best, j) => (best === null || (j.startedAt ?? 0) > (best.startedAt ?? 0) ? j : best),
    null,
  );
}

export async function reportFor(ctx: QueryCtx, userId: Id<"users">, type: ReportType, lastDate: LocalDate) {
  return await ctx.db
    .query("reports")
    .withIndex("by_user_type_end", (q) => q.eq("userId", userId).eq("type", type).eq("lastDate", lastDate))
    .first();
}

/**
 * The rollover that closes `closedDate` (after its velocity step and snapshot): one report
 * of each type whose window closes with it (n(D) mod 2, 7, 21), when the window holds any
 * activity. Idempotent per (user, type, lastDate): a report already written is left alone,
 * so a second run, a late run or a replayed date writes nothing new. The statistics are
 * computed by scheduled steps; `consistency` is the closed date's (recordConsistency).
 */
export async function writeDueReports(
  ctx: MutationCtx,
  user: Doc<"users">,
  closedDate: LocalDate,
  now: number,
  consistency: number,
): Promise<Id<"reports">[]> {
  const firstDay = accountFirstDate(user);
  const types = dueReportTypes(firstDay, closedDate);
  if (types.length === 0) return [];
  const written: Id<"reports">[] = [];
  const windows = types.map((type) => {
    const { firstDate, lastDate } = reportWindow(type, closedDate);
    return { type, firstDate, lastDate, ...windowInstants(firstDate, lastDate, effectiveTimeZone(user)) };
  });
  // dueReportTypes lists the types shortest window first: the last window holds the others.
  const latest = await latestActivity(ctx, user, windows[windows.length - 1]);
  if (latest === null) return [];
  let journey: Doc<"journeys"> | null | undefined;
  for (const { type, firstDate, lastDate, startsAt, endsAt } of windows) {
    if (latest < startsAt) continue;
    if ((await reportFor(ctx, user._id, type, closedDate)) !== null) continue;
    journey ??= await journeyAtEnd(ctx, user._id);
    const reportId = await ctx.db.insert("reports", {
      userId: user._id,
      type,
      firstDate,
      lastDate,
      startsAt,
      endsAt,
      dayNumber: dayNumber(firstDay, lastDate),
      status: "computing",
      progress: { phase: "messages", cursor: null, accumulator: emptyAccumulator() },
      consistency,
      velocity: journey?.velocity ?? null,
      momentum: journey?.momentum ?? null,
      narrativeStatus: "waiting",
      narrativeAttempts: 0,
      createdAt: now,
    });
    await ctx.scheduler.runAfter(0, internal.reports.compute, { reportId });
    written.push(reportId);
  }
  return written;
}

// ---------------------------------------------------------------------------------------
// Computing the statistics (scheduled steps)

function phaseQuery(ctx: QueryCtx, report: Doc<"reports">, phase: Exclude<Phase, "final">) {
  const { userId, startsAt, endsAt } = report;
  switch (phase) {
    case "messages":
      return ctx.db
        .query("messages")
        .withIndex("by_user", (q) => q.eq("userId", userId).gte("createdAt", startsAt).lt("createdAt", endsAt));
    case "conversations":
      return ctx.db
        .query("conversations")
        .withIndex("by_user_completed", (q) => q.eq("userId", userId).gte("completedAt", startsAt).lt("completedAt", endsAt));
    case "growth":
      return ctx.db
        .query("growthEvents")
        .withIndex("by_user_created", (q) => q.eq("userId", userId).gte("createdAt", startsAt).lt("createdAt", endsAt));
    case "checkins":
      return ctx.db
        .query("checkins")
        .withIndex("by_user", (q) => q.eq("userId", userId).gte("createdAt", startsAt).lt("createdAt", endsAt));
  }
}

function fold(acc: ReportAccumulator, phase: Exclude<Phase, "final">, rows: readonly unknown[]): ReportAccumulator {
  switch (phase) {
    case "messages":
      return foldMessages(acc, rows as Doc<"messages">[]);
    case "conversations":
      return foldConversations(acc, rows.length);
    case "growth":
      return foldGrowth(acc, rows as Doc<"growthEvents">[]);
    case "checkins":
      return foldCheckins(acc, rows as Doc<"checkins">[]);
  }
}

function nextPhase(phase: Phase): Phase {
  return PHASES[PHASES.indexOf(phase) + 1] ?? "final";
}

/**
 * One compute step. A phase not started is first read with one bounded `take`; when it
 * holds more than a page, it is paged with `paginate` (Convex allows one per transaction, so
 * a step pages at most once). Before each phase the step checks the jobs' one budget
 * (model/batching.ts TRANSACTION_BUDGET); a page is at most 2,000 documents or 2 MiB, so a
 * step that starts one under the budget stays far inside Convex's limits. Returns "more" when the report needs another step (the caller
 * schedules it), "done" when the statistics are stored (or the report is gone).
 */
export async function computeStep(ctx: MutationCtx, reportId: Id<"reports">, now: number): Promise<"done" | "more"> {
  const report = await ctx.db.get("reports", reportId);
  if (report === null || report.status === "ready" || report.progress === undefined) return "done";
  let { phase, cursor, accumulator } = report.progress;
  let paged = false;
  const save = async () => {
    await ctx.db.patch("reports", reportId, { progress: { phase, cursor, accumulator } });
    return "more" as const;
  };
  while (phase !== "final") {
    if (await budgetSpent(ctx)) return await save();
    const size = REPORT_PAGE[phase];
    if (cursor === null) {
      const rows = await phaseQuery(ctx, report, phase).take(size + 1);
      if (rows.length <= size) {
        accumulator = fold(accumulator, phase, rows);
        phase = nextPhase(phase);
        continue;
      }
    }
    if (paged) return await save(); // one paginated read per transaction: the next step goes on
    const page = await phaseQuery(ctx, report, phase).paginate({
      cursor,
      numItems: size,
      maximumBytesRead: REPORT_PAGE_BYTES,
    });
    paged = true;
    accumulator = fold(accumulator, phase, page.page);
    if (page.isDone) {
      phase = nextPhase(phase);
      cursor = null;
    } else cursor = page.continueCursor;
  }
  await finishReport(ctx, report, accumulator, now);
  return "done";
}

/** The small reads (a few rows per date), the final statistics, and the narrative's turn. */
async function finishReport(ctx: MutationCtx, report: Doc<"reports">, accumulator: ReportAccumulator, now: number) {
  const user = await ctx.db.get("users", report.userId);
  const timeZone = user === null ? "UTC" : effectiveTimeZone(user);
  const { firstDate, lastDate, startsAt, endsAt } = report;
  const [days, experiments, snapshots] = await Promise.all([
    dayRows(ctx, report.userId, firstDate, lastDate),
    offersBetween(ctx, report.userId, startsAt, endsAt),
    dailySnapshotsIn(ctx, report),
  ]);
  const { top, bottom } = rankStars(accumulator.starGrowth);
  const starLabels = new Map<string, string | null>();
  for (const { starId } of [...top, ...bottom]) {
    const star = await findOwned(ctx, "stars", starId, report.userId);
    starLabels.set(starId, star?.label ?? null);
  }
  const { stats, series } = finalizeReport(accumulator, {
    firstDate,
    lastDate,
    startsAt,
    endsAt,
    days,
    experiments,
    experimentCompletionDates: experiments.map((e) =>
      e.status === "completed" && e.completedAt !== undefined ? localDate(e.completedAt, timeZone) : null,
    ),
    snapshots: snapshots.map((s) => ({ timestamp: s.timestamp, localDate: s.localDate, escapeIndex: s.escapeIndex })),
    velocity: report.velocity,
    momentum: report.momentum,
    consistency: report.consistency,
    starLabels,
  });
  const narrate = user !== null && user.deletionRequestedAt === undefined && configuredModel() !== null;
  await ctx.db.patch("reports", report._id, {
    status: "ready",
    progress: undefined,
    stats,
    series,
    readyAt: now,
    narrativeStatus: narrate ? "pending" : "skipped",
    narrativeReason: narrate ? undefined : user === null || user.deletionRequestedAt !== undefined ? "account deletion pending" : NO_MODEL_REASON,
  });
  if (narrate) await ctx.scheduler.runAfter(0, internal.reports.narrate, { reportId: report._id, attempt: 1 });
}

/**
 * The daily snapshots taken inside the window. Only daily snapshots carry a consistencyDate
 * (the date their rollover closed, the day before they were taken), so one short index range
 * over the closed dates finds them; the instants check keeps exactly the window's.
 */
async function dailySnapshotsIn(ctx: QueryCtx, report: Doc<"reports">): Promise<Doc<"lifeStates">[]> {
  const rows = await ctx.db
    .query("lifeStates")
    .withIndex("by_user_consistency_date", (q) =>
      q
        .eq("userId", report.userId)
        .gte("consistencyDate", addDays(report.firstDate, -2))
        .lte("consistencyDate", report.lastDate),
    )
    .take(64);
  return rows.filter((s) => s.timestamp >= report.startsAt && s.timestamp < report.endsAt);
}

// ---------------------------------------------------------------------------------------
// The narrative (convex/reports.ts narrate: one query, the model call, one mutation)

export type NarrativeContext = {
  /** Who pays for the call (model/usage.ts); not sent to the model. */
  userId: Id<"users">;
  type: ReportType;
  firstDate: LocalDate;
  lastDate: LocalDate;
  stats: ReportStats;
  conversations: { title: string | null; summary: string | null }[];
};

/** What attempt `attempt` sends to the model, or null when it should not run (stale, done, erased). */
export async function narrativeContext(
  ctx: QueryCtx,
  reportId: Id<"reports">,
  attempt: number,
): Promise<NarrativeContext | null> {
  const report = await ctx.db.get("reports", reportId);
  if (report === null || report.stats === undefined) return null;
  if (report.narrativeStatus !== "pending" || report.narrativeAttempts !== attempt - 1) return null;
  const user = await ctx.db.get("users", report.userId);
  if (user === null || user.deletionRequestedAt !== undefined) return null;
  const conversations = await ctx.db
    .query("conversations")
    .withIndex("by_user_completed", (q) =>
      q.eq("userId", report.userId).gte("completedAt", report.startsAt).lt("completedAt", report.endsAt),
    )
    .order("desc")
    .take(NARRATIVE_CONVERSATIONS);
  return {
    userId: report.userId,
    type: report.type,
    firstDate: report.firstDate,
    lastDate: report.lastDate,
    stats: report.stats,
    conversations: conversations.map((c) => ({ title: c.title ?? null, summary: c.summary ?? null })),
  };
}

export type NarrativeOutcome =
  | { kind: "written"; narrative: string; usage: TokenUsage }
  | ModelFailure
  | { kind: "skipped"; reason: string };

/**
 * Records one narrative attempt. Idempotent: only the current attempt of a pending narrative
 * writes. A retryable failure schedules the next attempt (src/llm/failures.ts: at most
 * MAX_ATTEMPTS, backoff with jitter); a final one leaves the narrative absent, status
 * `failed`. Never touches the statistics.
 */
export async function finishNarrative(
  ctx: MutationCtx,
  reportId: Id<"reports">,
  attempt: number,
  outcome: NarrativeOutcome,
): Promise<void> {
  const report = await ctx.db.get("reports", reportId);
  if (report === null || report.narrativeStatus !== "pending" || report.narrativeAttempts !== attempt - 1) return;
  if (outcome.kind === "written") {
    await ctx.db.patch("reports", reportId, {
      narrative: outcome.narrative,
      narrativeStatus: "written",
      narrativeReason: undefined,
      narrativeAttempts: attempt,
      tokenUsage: addUsage(report.tokenUsage, outcome.usage),
    });
    return;
  }
  if (outcome.kind === "skipped") {
    await ctx.db.patch("reports", reportId, { narrativeStatus: "skipped", narrativeReason: outcome.reason, narrativeAttempts: attempt });
    return;
  }
  const failure: Failure = { kind: outcome.failureKind, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs };
  const retry = shouldRetry(failure, attempt);
  await ctx.db.patch("reports", reportId, {
    narrativeStatus: retry ? "pending" : "failed",
    narrativeReason: failure.reason,
    narrativeAttempts: attempt,
    tokenUsage: addUsage(report.tokenUsage, outcome.usage),
  });
  if (retry) {
    await ctx.scheduler.runAfter(nextDelayMs(failure, attempt, backoffRandom()), internal.reports.narrate, {
      reportId,
      attempt: attempt + 1,
    });
  }
}
