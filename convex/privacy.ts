// Data rights (docs/privacy.md): take all your data (exportMyData) and have all of it erased
// (requestDeletion, then eraseAccount after a 7-day grace period). Both walk the registry of
// user-owned tables in model/userTables.ts. Scheduled arguments carry ids and counts only.
import { literals } from "convex-helpers/validators";
import { convexToJson, v, type Value } from "convex/values";
import { HOUR } from "../src/time";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { type ActionCtx, internalMutation, internalQuery } from "./_generated/server";
import { accountMutation, accountQuery, userAction, userMutation } from "./functions";
import {
  DELETION_GRACE_MS,
  cancelAccountDeletion,
  deletionStatusOf,
  eraseBatch,
  exportPage as readExportPage,
  finishErasure,
  requestAccountDeletion,
} from "./model/privacy";
import {
  RATE_LIMIT_TABLE,
  USER_TABLE_NAMES,
  type UserOwnedTable,
  userRateLimitRows,
} from "./model/userTables";
import { vTableCounts, vUsageTotals } from "./validators";

export const EXPORT_FORMAT_VERSION = 1;
/** The export file (and so its URL) is deleted this long after it is written. */
export const EXPORT_TTL_MS = HOUR;

const vUserTable = literals(...USER_TABLE_NAMES);
const vDeletionStatus = v.object({ requestedAt: v.number(), scheduledFor: v.number() });

// ---------------------------------------------------------------------------------------
// Export

/** One Convex document as JSON text (int64 and bytes use Convex's `$integer`/`$bytes`). */
function documentJson(doc: Value): string {
  return JSON.stringify(convexToJson(doc));
}

/**
 * Writes every document of the caller (the users row and every registry table) to one JSON
 * file in storage and returns a URL to it. The file is deleted after EXPORT_TTL_MS, which is
 * what makes the URL short-lived: storage URLs do not expire on their own.
 */
export const exportMyData = userAction({
  args: {},
  returns: v.object({ url: v.string(), expiresAt: v.number(), counts: vTableCounts }),
  handler: async (ctx) => {
    const userId = ctx.user._id;
    const exportedAt = Date.now();
    // The file is built as a list of chunks (one per page) so no page's documents stay
    // in memory after they are serialized.
    const parts: string[] = [
      `{"formatVersion":${EXPORT_FORMAT_VERSION},"exportedAt":${exportedAt},"user":${documentJson(ctx.user)},"tables":{`,
    ];
    const counts: Record<string, number> = { users: 1 };
    for (const table of USER_TABLE_NAMES) {
      parts.push(`${JSON.stringify(table)}:[`);
      counts[table] = await appendTablePages(ctx, table, userId, parts);
      parts.push("],");
    }
    const limiterRows: Value[] = await ctx.runQuery(internal.privacy.exportRateLimits, { userId });
    parts.push(`${JSON.stringify(RATE_LIMIT_TABLE)}:[${limiterRows.map(documentJson).join(",")}]}}`);
    counts[RATE_LIMIT_TABLE] = limiterRows.length;

    const storageId = await ctx.storage.store(new Blob(parts, { type: "application/json" }));
    // Scheduled before anything else can fail, so the file never outlives its TTL.
    const expiresAt = Date.now() + EXPORT_TTL_MS;
    await ctx.scheduler.runAt(expiresAt, internal.privacy.deleteExportFile, { storageId });
    const url = await ctx.storage.getUrl(storageId);
    if (url === null) throw new Error("export file missing right after it was stored");
    return { url, expiresAt, counts };
  },
});

type ExportPage = { documents: Value[]; isDone: boolean; continueCursor: string };

/** Appends the caller's rows of one table to `parts`, a page at a time; returns the count. */
async function appendTablePages(
  ctx: Pick<ActionCtx, "runQuery">,
  table: UserOwnedTable,
  userId: Id<"users">,
  parts: string[],
): Promise<number> {
  let cursor: string | null = null;
  let count = 0;
  for (;;) {
    const page: ExportPage = await ctx.runQuery(internal.privacy.exportPage, { userId, table, cursor });
    if (page.documents.length > 0) {
      parts.push(`${count > 0 ? "," : ""}${page.documents.map(documentJson).join(",")}`);
      count += page.documents.length;
    }
    if (page.isDone) return count;
    cursor = page.continueCursor;
  }
}

/** One bounded page of the export (EXPORT_PAGE_SIZE documents or EXPORT_PAGE_BYTES). */
export const exportPage = internalQuery({
  args: { userId: v.id("users"), table: vUserTable, cursor: v.union(v.string(), v.null()) },
  returns: v.object({
    // v.any(): documents of whichever registry table is being paged, passed through as is.
    documents: v.array(v.any()),
    isDone: v.boolean(),
    continueCursor: v.string(),
  }),
  handler: async (ctx, { userId, table, cursor }): Promise<ExportPage> => {
    const result = await readExportPage(ctx, table, userId, cursor);
    return { documents: result.page as Value[], isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/** The caller's rate-limiter rows (one per per-user limiter at most). */
export const exportRateLimits = internalQuery({
  args: { userId: v.id("users") },
  // v.any(): convex-helpers owns the rateLimits document shape.
  returns: v.array(v.any()),
  handler: async (ctx, { userId }) => await userRateLimitRows(ctx, userId),
});

/** Scheduled by exportMyData: the export file lives EXPORT_TTL_MS. Idempotent. */
export const deleteExportFile = internalMutation({
  args: { storageId: v.id("_storage") },
  returns: v.null(),
  handler: async (ctx, { storageId }) => {
    const file = await ctx.db.system.get("_storage", storageId);
    if (file !== null) await ctx.storage.delete(storageId);
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Deletion

/** Schedules the erasure of the caller's account after the 7-day grace period. */
export const requestDeletion = userMutation({
  args: {},
  returns: vDeletionStatus,
  handler: async (ctx) => {
    const now = Date.now();
    // userMutation refuses accounts already pending deletion, so this request is new.
    await requestAccountDeletion(ctx, ctx.user, now);
    return { requestedAt: now, scheduledFor: now + DELETION_GRACE_MS };
  },
});

/** Inside the grace period, cancels the erasure; the account works again at once. */
export const cancelDeletion = accountMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    await cancelAccountDeletion(ctx, ctx.user);
    return null;
  },
});

/** The pending deletion of the caller's account, or null. */
export const deletionStatus = accountQuery({
  args: {},
  returns: v.union(vDeletionStatus, v.null()),
  handler: async (ctx) => await deletionStatusOf(ctx, ctx.user),
});

/**
 * The erasure job: one batch over the registry per run, rescheduling itself until every
 * table is empty for the user, then the `users` row goes last and an anonymous receipt
 * stays. Does nothing when the deletion was cancelled or the user is already gone.
 */
export const eraseAccount = internalMutation({
  args: { userId: v.id("users"), counts: v.optional(vTableCounts), usage: v.optional(vUsageTotals) },
  returns: v.null(),
  handler: async (ctx, { userId, counts, usage }) => {
    const user = await ctx.db.get("users", userId);
    if (user === null || user.deletionRequestedAt === undefined) return null;
    const batch = await eraseBatch(ctx, userId, counts ?? {}, usage);
    if (!batch.done) {
      await ctx.scheduler.runAfter(0, internal.privacy.eraseAccount, { userId, counts: batch.counts, usage: batch.usage });
      return null;
    }
    await finishErasure(ctx, user, batch.counts, Date.now(), batch.usage);
    return null;
  },
});
