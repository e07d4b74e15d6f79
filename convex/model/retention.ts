// Retention (MECHANICS §7 and docs/mechanics.md "Conversation lifetimes"): pruning one
// user's LifeState snapshots, and archiving a conversation idle for 12 months. The rules are
// pure (src/mechanics/retention.ts); convex/jobs.ts pages users and conversations and calls
// these a bounded step at a time. LifeState pruning is incremental per user (a watermark).
import { v, type Infer } from "convex/values";
import { KEEP_ALL_DAYS, KEEP_DAILY_DAYS, isRetentionDue, pruneDecision, type PruneKey } from "../../src/mechanics/retention";
import { DAY } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { forgetConversationMessages } from "./memories";
import { lifeStatesPrunedAt, markLifeStatesPruned, scheduleForWrite } from "./schedule";

// ---------------------------------------------------------------------------------------
// LifeState pruning, incremental
//
// dailySchedules.lifeStatesPrunedAt (model/schedule.ts) is the watermark: the `now` of the user's last completed prune.
// After a prune at W the history satisfies §7 at W, and pruning composes (pruning at W then
// at N equals pruning at N), so at N only the snapshots that crossed a tier line since W
// can change: those now older than 7 days and those now older than 365 days. A night reads
// two short windows, whatever the account's age; a user never pruned gets their whole
// history streamed once.

/**
 * Snapshots a batch job prunes for one user inline (a year of daily snapshots, a week of
 * frequent recomputes and then some; a steady-state night reads a few). A user with more
 * gets a job of their own that pages with a cursor.
 */
export const PRUNE_INLINE_SNAPSHOTS = 500;
/** Snapshots per page of a user's own pruning job. */
export const PRUNE_PAGE_SNAPSHOTS = 1_000;
/**
 * Margins below the old tier lines (one local date, one ISO week): the date or week that
 * straddled a line at the last prune is streamed again whole, so its group is re-decided
 * with all of its snapshots in view.
 */
export const PRUNE_DAILY_MARGIN_MS = DAY;
export const PRUNE_WEEKLY_MARGIN_MS = 7 * DAY;

/** A range of `timestamp` to stream newest → oldest: [from, to); null is unbounded. */
export const vPruneWindow = v.object({ from: v.union(v.number(), v.null()), to: v.union(v.number(), v.null()) });
export type PruneWindow = Infer<typeof vPruneWindow>;

/**
 * Where a user's prune stands between transactions: the windows left (newest first), the
 * page cursor within the first, and the stream's key there (the local date of the last
 * snapshot kept; only meaningful with a cursor).
 */
export const vPruneProgress = v.object({
  windows: v.array(vPruneWindow),
  cursor: v.union(v.string(), v.null()),
  key: v.union(v.string(), v.null()),
});
export type PruneProgress = Infer<typeof vPruneProgress>;

/**
 * The windows a prune at `now` must stream after one at `watermark`, newest first: the
 * daily window [watermark − 7d − margin, now − 7d) and the weekly one [watermark − 365d −
 * margin, now − 365d), merged when they meet (a prune skipped for almost a year). Never
 * pruned: the whole history.
 */
export function pruneWindows(watermark: number | undefined, now: number): PruneWindow[] {
  if (watermark === undefined) return [{ from: null, to: null }];
  const daily = { from: watermark - KEEP_ALL_DAYS * DAY - PRUNE_DAILY_MARGIN_MS, to: now - KEEP_ALL_DAYS * DAY };
  const weekly = { from: watermark - KEEP_DAILY_DAYS * DAY - PRUNE_WEEKLY_MARGIN_MS, to: now - KEEP_DAILY_DAYS * DAY };
  if (weekly.to >= daily.from) return [{ from: weekly.from, to: daily.to }];
  return [daily, weekly];
}

/**
 * A user's snapshots in a window newest → oldest: the order pruneDecision streams in. (Ties
 * in `timestamp` follow the index's order, creation time, where compareNewestFirst uses the
 * id; the daily job and recomputes never share a millisecond in practice.)
 */
function newestFirst(ctx: QueryCtx, userId: Id<"users">, window: PruneWindow) {
  const { from, to } = window;
  return ctx.db
    .query("lifeStates")
    .withIndex("by_user_timestamp", (q) => {
      const user = q.eq("userId", userId);
      if (from === null) return to === null ? user : user.lt("timestamp", to);
      return to === null ? user.gte("timestamp", from) : user.gte("timestamp", from).lt("timestamp", to);
    })
    .order("desc");
}

/**
 * The stream's key at the top of a window: the local date of the oldest snapshot at or
 * after `to`, the one just before the window in stream order. It is kept at `now`: within
 * 7 days it is in the keep-all tier; otherwise it was kept at the watermark as the last of
 * its date and nothing newer of that date can appear (windows are processed newest first,
 * so a deletion above has already happened).
 */
async function keyAbove(ctx: QueryCtx, userId: Id<"users">, window: PruneWindow): Promise<PruneKey> {
  const { to } = window;
  if (to === null) return null;
  const above = await ctx.db
    .query("lifeStates")
    .withIndex("by_user_timestamp", (q) => q.eq("userId", userId).gte("timestamp", to))
    .first();
  return above?.localDate ?? null;
}

/**
 * A pruning transaction's mode and count: the snapshots it dropped. A dry run deletes
 * nothing and leaves the watermark alone; it reaches the same decisions, because the only
 * read that could see a snapshot a real run had just deleted (keyAbove of a later window)
 * then finds one of the same local date, the kept newest of that date.
 */
export interface PruneTally {
  readonly dryRun: boolean;
  snapshots: number;
}

/** Applies pruneDecision to snapshots in stream order, deleting (a dry run: counting) the dropped ones. */
async function pruneRows(
  ctx: MutationCtx,
  rows: readonly Doc<"lifeStates">[],
  now: number,
  start: PruneKey,
  tally: PruneTally,
) {
  let key = start;
  for (const row of rows) {
    const decision = pruneDecision({ id: row._id, timestamp: row.timestamp, localDate: row.localDate }, now, key);
    key = decision.key;
    if (decision.keep) continue;
    tally.snapshots += 1;
    if (!tally.dryRun) await ctx.db.delete("lifeStates", row._id);
  }
  return key;
}

/**
 * Prunes one user at `now` inline, window by window, while each fits what is left of
 * PRUNE_INLINE_SNAPSHOTS (one index range each). Returns null when done (the watermark
 * moved to `now`), or the windows left for the user's own paging job. Nothing to do when
 * the watermark is already at or past `now` (a second run of the night).
 */
export async function pruneUserInline(
  ctx: MutationCtx,
  user: Doc<"users">,
  now: number,
  tally: PruneTally,
): Promise<PruneProgress | null> {
  const watermark = await lifeStatesPrunedAt(ctx, user);
  if (watermark !== undefined && watermark >= now) return null;
  const windows = pruneWindows(watermark, now);
  let budget = PRUNE_INLINE_SNAPSHOTS;
  for (const [index, window] of windows.entries()) {
    const rows = await newestFirst(ctx, user._id, window).take(budget + 1);
    if (rows.length > budget) return { windows: windows.slice(index), cursor: null, key: null };
    budget -= rows.length;
    await pruneRows(ctx, rows, now, await keyAbove(ctx, user._id, window), tally);
  }
  if (!tally.dryRun) await markLifeStatesPruned(ctx, await scheduleForWrite(ctx, user, now), now);
  return null;
}

/**
 * One page of a user's own pruning job: PRUNE_PAGE_SNAPSHOTS of the first window left (one
 * paginated query per transaction). Returns where to continue, or null when done (the
 * watermark moved to `now`).
 */
export async function prunePage(
  ctx: MutationCtx,
  user: Doc<"users">,
  now: number,
  progress: PruneProgress,
  tally: PruneTally,
): Promise<PruneProgress | null> {
  const [window, ...rest] = progress.windows;
  if (window !== undefined) {
    const start = progress.cursor === null ? await keyAbove(ctx, user._id, window) : progress.key;
    const page = await newestFirst(ctx, user._id, window).paginate({ cursor: progress.cursor, numItems: PRUNE_PAGE_SNAPSHOTS });
    const key = await pruneRows(ctx, page.page, now, start, tally);
    if (!page.isDone) return { windows: progress.windows, cursor: page.continueCursor, key };
    if (rest.length > 0) return { windows: rest, cursor: null, key: null };
  }
  if (!tally.dryRun) await markLifeStatesPruned(ctx, await scheduleForWrite(ctx, user, now), now);
  return null;
}

// ---------------------------------------------------------------------------------------
// Conversation retention

/** Statuses a conversation can be archived from (everything but archived). */
export const ARCHIVABLE_STATUSES = ["active", "completed", "abandoned"] as const;
/** Messages deleted per step; a step reads and deletes at most this many. */
export const MESSAGES_PER_STEP = 200;
/** Message memories deleted per step (each with its vector, about 12 KB). */
export const MEMORIES_PER_STEP = 100;

/** Due conversations of one status, oldest first (by_status_last_message). */
export function dueConversations(
  ctx: QueryCtx,
  status: (typeof ARCHIVABLE_STATUSES)[number],
  now: number,
  retentionMs: number,
) {
  return ctx.db
    .query("conversations")
    .withIndex("by_status_last_message", (q) => q.eq("status", status).lte("lastMessageAt", now - retentionMs));
}

/**
 * Whether a conversation is (still) due: not archived, and its last message 12 months old at
 * `now`. Re-checked by each step, so a conversation that got a new message is left alone.
 */
export function archivable(conversation: Doc<"conversations"> | null, now: number): conversation is Doc<"conversations"> {
  return conversation !== null && conversation.status !== "archived" && isRetentionDue(conversation.lastMessageAt, now);
}

/** A conversation's messages, oldest first (messages.by_conversation). */
export function conversationMessages(ctx: QueryCtx, conversationId: Id<"conversations">) {
  return ctx.db.query("messages").withIndex("by_conversation", (q) => q.eq("conversationId", conversationId));
}

/**
 * One step of archiving: deletes up to MESSAGES_PER_STEP of the conversation's messages;
 * when none are left, marks it archived. The conversation keeps its summary fields (title,
 * summary, counts, dates); stars keep their history (their evidence and source ids are
 * not touched). Returns how many messages it deleted and whether the conversation is archived.
 */
export async function archiveStep(
  ctx: MutationCtx,
  conversation: Doc<"conversations">,
  now: number,
): Promise<{ deleted: number; archived: boolean }> {
  // The messages' memories go first (with their vectors, MEMORIES_PER_STEP a step); the
  // conversation's summary memory stays, like the summary.
  if ((await forgetConversationMessages(ctx, conversation._id, MEMORIES_PER_STEP)) === MEMORIES_PER_STEP) {
    return { deleted: 0, archived: false };
  }
  const messages = await conversationMessages(ctx, conversation._id).take(MESSAGES_PER_STEP);
  await Promise.all(messages.map((message) => ctx.db.delete("messages", message._id)));
  if (messages.length === MESSAGES_PER_STEP) return { deleted: messages.length, archived: false };
  await ctx.db.patch("conversations", conversation._id, { status: "archived", archivedAt: now });
  return { deleted: messages.length, archived: true };
}
