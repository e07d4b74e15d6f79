// Data rights (docs/privacy.md): export pages, the deletion request and its grace period,
// and the batched erasure. The Clerk `user.deleted` event and privacy.requestDeletion both
// enter through requestAccountDeletion. Everything walks the registry in ./userTables.
import type { PaginationResult, TransactionMetrics } from "convex/server";
import { DAY } from "../../src/time";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError } from "../errors";
import type { UsageTotals } from "../validators";
import { TRANSACTION_BUDGET, overBudget } from "./batching";
import {
  RATE_LIMIT_TABLE,
  USER_TABLE_NAMES,
  type UserOwnedTable,
  userRateLimitRows,
  userRowsQuery,
} from "./userTables";

/** Between the request and the erasure, the user can change their mind. */
export const DELETION_GRACE_MS = 7 * DAY;

const MiB = 1 << 20;

// ---------------------------------------------------------------------------------------
// Export

/** Documents per export page; pages also stop early at EXPORT_PAGE_BYTES. */
export const EXPORT_PAGE_SIZE = 1_000;
/** Well under a query's 16 MiB read limit and its 16 MiB return-value limit. */
export const EXPORT_PAGE_BYTES = 4 * MiB;

/** One page of a user's rows in a registry table. */
export async function exportPage(
  ctx: QueryCtx,
  table: UserOwnedTable,
  userId: Id<"users">,
  cursor: string | null,
): Promise<PaginationResult<Record<string, unknown>>> {
  return await userRowsQuery(ctx.db, table, userId).paginate({
    cursor,
    numItems: EXPORT_PAGE_SIZE,
    maximumBytesRead: EXPORT_PAGE_BYTES,
  });
}

// ---------------------------------------------------------------------------------------
// Deletion request and grace period

/**
 * Marks the account and schedules its erasure after the grace period. Idempotent: a replayed
 * request or Clerk event finds the job and schedules nothing more. Keyed on the job rather
 * than on `deletionRequestedAt` so a request marked before erasure existed still gets one.
 */
export async function requestAccountDeletion(ctx: MutationCtx, user: Doc<"users">, now: number): Promise<void> {
  if (user.deletionJobId !== undefined) return;
  const deletionJobId = await ctx.scheduler.runAfter(DELETION_GRACE_MS, internal.privacy.eraseAccount, {
    userId: user._id,
  });
  await ctx.db.patch("users", user._id, { deletionRequestedAt: user.deletionRequestedAt ?? now, deletionJobId });
}

export type DeletionStatus = { requestedAt: number; scheduledFor: number };

/** When the erasure was requested and when it runs, or null when none is pending. */
export async function deletionStatusOf(ctx: QueryCtx, user: Doc<"users">): Promise<DeletionStatus | null> {
  if (user.deletionRequestedAt === undefined) return null;
  const job = user.deletionJobId === undefined ? null : await ctx.db.system.get("_scheduled_functions", user.deletionJobId);
  return {
    requestedAt: user.deletionRequestedAt,
    scheduledFor: job?.scheduledTime ?? user.deletionRequestedAt + DELETION_GRACE_MS,
  };
}

/**
 * Cancels a pending deletion. Once the grace-period job has started, the erasure runs in
 * self-rescheduling batches that must not be interrupted halfway, so cancelling is refused.
 */
export async function cancelAccountDeletion(ctx: MutationCtx, user: Doc<"users">): Promise<void> {
  if (user.deletionRequestedAt === undefined) return; // nothing pending: cancelling twice is fine
  if (user.deletionJobId !== undefined) {
    const job = await ctx.db.system.get("_scheduled_functions", user.deletionJobId);
    const state = job?.state.kind;
    if (state === "inProgress" || state === "success") {
      throw appError("INVALID_TRANSITION", "The account erasure has already started and cannot be cancelled");
    }
    if (state === "pending") await ctx.scheduler.cancel(user.deletionJobId);
  }
  await ctx.db.patch("users", user._id, { deletionRequestedAt: undefined, deletionJobId: undefined });
}

// ---------------------------------------------------------------------------------------
// Erasure

/** Per-table counts of erased documents, carried between batches (ids and counts only). */
export type ErasureCounts = Record<string, number>;

// A batch stops once it has used the shared transaction budget (model/batching.ts), which
// leaves room for the final writes (the users row and the receipt).
const MAX_CHUNK = 256;
const FIRST_CHUNK = 64;

/**
 * Sizes the next chunk from the bytes the last one read per document (each deleted row is
 * read twice: by the query and by the delete), so large documents take small chunks and the
 * batch cannot overshoot its byte budget by much.
 */
function nextChunkSize(before: TransactionMetrics, after: TransactionMetrics, rows: number): number {
  const bytesPerRow = Math.max(1, (after.bytesRead.used - before.bytesRead.used) / rows);
  const byteRoom = TRANSACTION_BUDGET.bytesRead - after.bytesRead.used;
  const writeRoom = TRANSACTION_BUDGET.documentsWritten - after.documentsWritten.used;
  return Math.max(1, Math.min(MAX_CHUNK, writeRoom, Math.floor(byteRoom / (2 * bytesPerRow))));
}

export const NO_USAGE: UsageTotals = { calls: 0, totalTokens: 0, microDollars: 0 };

/** The usage ledger's day rows add into the receipt's totals before they go. */
function addUsageRows(usage: UsageTotals, rows: readonly Record<string, unknown>[]): void {
  for (const row of rows) {
    const day = row as Partial<Doc<"usageDays">>;
    usage.calls += day.calls ?? 0;
    usage.totalTokens += day.totalTokens ?? 0;
    usage.microDollars += day.microDollars ?? 0;
  }
}

/** Deletes one user's rows of one table until done or the batch budget is spent. */
async function eraseTable(
  ctx: MutationCtx,
  table: UserOwnedTable,
  userId: Id<"users">,
  counts: ErasureCounts,
  usage: UsageTotals,
): Promise<boolean> {
  let chunk = FIRST_CHUNK;
  for (;;) {
    const before = await ctx.meta.getTransactionMetrics();
    if (overBudget(before)) return false;
    const rows = await userRowsQuery(ctx.db, table, userId).take(chunk);
    if (table === "usageDays") addUsageRows(usage, rows);
    await Promise.all(rows.map((row) => ctx.db.delete(table, row._id as Id<UserOwnedTable>)));
    counts[table] = (counts[table] ?? 0) + rows.length;
    if (rows.length < chunk) return true; // the range is exhausted: nothing left of this user
    chunk = nextChunkSize(before, await ctx.meta.getTransactionMetrics(), rows.length);
  }
}

/**
 * One erasure batch over every registry table, then the per-user rate-limiter rows.
 * `done` means every table was seen empty for this user inside this transaction. `usage`
 * carries the erased usage days' totals between batches (the receipt keeps only those).
 */
export async function eraseBatch(
  ctx: MutationCtx,
  userId: Id<"users">,
  previous: ErasureCounts,
  previousUsage: UsageTotals = NO_USAGE,
): Promise<{ done: boolean; counts: ErasureCounts; usage: UsageTotals }> {
  const counts: ErasureCounts = { ...previous };
  const usage: UsageTotals = { ...previousUsage };
  for (const table of USER_TABLE_NAMES) {
    if (!(await eraseTable(ctx, table, userId, counts, usage))) return { done: false, counts, usage };
  }
  const limiterRows = await userRateLimitRows(ctx, userId);
  await Promise.all(limiterRows.map((row) => ctx.db.delete(RATE_LIMIT_TABLE, row._id)));
  counts[RATE_LIMIT_TABLE] = (counts[RATE_LIMIT_TABLE] ?? 0) + limiterRows.length;
  return { done: true, counts, usage };
}

/** SHA-256 of the Clerk id, hex: lets support confirm an erasure without keeping the id. */
export async function clerkIdHash(clerkId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(clerkId));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Deletes the `users` row (last) and keeps only the anonymous receipt. */
export async function finishErasure(
  ctx: MutationCtx,
  user: Doc<"users">,
  counts: ErasureCounts,
  now: number,
  usage: UsageTotals = NO_USAGE,
): Promise<void> {
  await ctx.db.delete("users", user._id);
  await ctx.db.insert("deletionReceipts", {
    clerkIdHash: await clerkIdHash(user.clerkId),
    requestedAt: user.deletionRequestedAt ?? now,
    completedAt: now,
    counts: { ...counts, users: 1 },
    usage,
  });
}
