// Existing-data migrations, run by hand once per deployment after the deploy that needs them
// (`npx convex run migrations:quietUsersRow`, `npx convex run migrations:backfillLiveness`,
// `npx convex run migrations:renormalizeStarLabels`);
// each is paged through the scheduler and idempotent, so running one again, or after a
// failure, is safe. docs/architecture.md lists them; the per-row logic is in model/migrations.ts.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { invalidArgument } from "./errors";
import {
  backfillConnectionEnds,
  backfillStarStates,
  quietUserRow,
  RENORMALIZE_STARS_PAGE,
  renormalizeStarLabels as renormalizeStarLabelsPage,
} from "./model/migrations";

/** Users per transaction: each reads its three state documents and writes at most four rows. */
export const QUIET_USERS_PER_PAGE = 200;

const vTotals = v.object({ users: v.number(), documentsCreated: v.number(), rowsCleared: v.number() });

/**
 * Issue 11: moves essence/streak, the growth profile and the daily-job bookkeeping off each
 * users row into its growthStates, progressStates and dailySchedules documents, a page of
 * users per transaction. `dryRun` pages through and counts without writing. Returns this
 * page's totals added to the earlier pages' (`totals`); the last page logs them.
 * `pageSize` exists for tests; it is capped at QUIET_USERS_PER_PAGE.
 */
export const quietUsersRow = internalMutation({
  args: {
    cursor: v.optional(v.union(v.string(), v.null())),
    dryRun: v.optional(v.boolean()),
    pageSize: v.optional(v.number()),
    totals: v.optional(vTotals),
  },
  returns: v.object({ isDone: v.boolean(), totals: vTotals }),
  handler: async (ctx, args) => {
    const pageSize = args.pageSize ?? QUIET_USERS_PER_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw invalidArgument("pageSize must be a positive integer");
    const dryRun = args.dryRun ?? false;
    const now = Date.now();
    const page = await ctx.db
      .query("users")
      .paginate({ cursor: args.cursor ?? null, numItems: Math.min(pageSize, QUIET_USERS_PER_PAGE) });
    const totals = { ...(args.totals ?? { users: 0, documentsCreated: 0, rowsCleared: 0 }) };
    for (const user of page.page) {
      const step = await quietUserRow(ctx, user, now, dryRun);
      totals.users += 1;
      totals.documentsCreated += step.created;
      totals.rowsCleared += step.cleared ? 1 : 0;
    }
    if (page.isDone) {
      console.log(`migrations:quietUsersRow${dryRun ? " (dry run)" : ""} done: ${JSON.stringify(totals)}`);
    } else {
      await ctx.scheduler.runAfter(0, internal.migrations.quietUsersRow, {
        cursor: page.continueCursor,
        dryRun,
        pageSize,
        totals,
      });
    }
    return { isDone: page.isDone, totals };
  },
});

const vBackfillTable = v.union(v.literal("stars"), v.literal("connections"));

/**
 * The live set (docs/architecture.md "The live set"): every star's `state`, then every
 * connection's `aState` and `bState`, one page per transaction, then the next page is
 * scheduled. Idempotent (only differing documents are written), so it can be rerun or
 * resumed at any time; `dryRun` counts what would change and writes nothing (one page).
 * Returns the counts of this page.
 */
export const backfillLiveness = internalMutation({
  args: {
    table: v.optional(vBackfillTable),
    cursor: v.optional(v.union(v.string(), v.null())),
    dryRun: v.optional(v.boolean()),
  },
  returns: v.object({ table: vBackfillTable, read: v.number(), changed: v.number(), done: v.boolean() }),
  handler: async (ctx, args) => {
    const table = args.table ?? "stars";
    const dryRun = args.dryRun ?? false;
    const backfill = table === "stars" ? backfillStarStates : backfillConnectionEnds;
    const page = await backfill(ctx, args.cursor ?? null, dryRun);
    const next =
      page.continueCursor !== null
        ? { table, cursor: page.continueCursor }
        : table === "stars"
          ? { table: "connections" as const, cursor: null }
          : null;
    if (next !== null && !dryRun) await ctx.scheduler.runAfter(0, internal.migrations.backfillLiveness, next);
    return { table, read: page.read, changed: page.changed, done: next === null };
  },
});

const vLabelTotals = v.object({ read: v.number(), changed: v.number(), kept: v.number() });

/**
 * Issue 14: normalizeLabel now ignores case, spacing and punctuation; stars stored before
 * keep their old `normalizedLabel` until this recomputes it, a page of stars per
 * transaction, oldest first. Idempotent (only differing documents are written). Stars are
 * not merged: where two of a user's stars now share a label, the older takes it and the
 * newer keeps its stored one (`kept`); dedupe applies to new extractions. `dryRun` pages
 * through and counts without writing. Returns this page's totals added to the earlier
 * pages' (`totals`); the last page logs them. `pageSize` exists for tests; it is capped at
 * RENORMALIZE_STARS_PAGE.
 */
export const renormalizeStarLabels = internalMutation({
  args: {
    cursor: v.optional(v.union(v.string(), v.null())),
    dryRun: v.optional(v.boolean()),
    pageSize: v.optional(v.number()),
    totals: v.optional(vLabelTotals),
  },
  returns: v.object({ isDone: v.boolean(), totals: vLabelTotals }),
  handler: async (ctx, args) => {
    const pageSize = args.pageSize ?? RENORMALIZE_STARS_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw invalidArgument("pageSize must be a positive integer");
    const dryRun = args.dryRun ?? false;
    const page = await renormalizeStarLabelsPage(ctx, args.cursor ?? null, dryRun, pageSize);
    const earlier = args.totals ?? { read: 0, changed: 0, kept: 0 };
    const totals = { read: earlier.read + page.read, changed: earlier.changed + page.changed, kept: earlier.kept + page.kept };
    const isDone = page.continueCursor === null;
    if (isDone) {
      console.log(`migrations:renormalizeStarLabels${dryRun ? " (dry run)" : ""} done: ${JSON.stringify(totals)}`);
    } else {
      await ctx.scheduler.runAfter(0, internal.migrations.renormalizeStarLabels, {
        cursor: page.continueCursor,
        dryRun,
        pageSize,
        totals,
      });
    }
    return { isDone, totals };
  },
});
