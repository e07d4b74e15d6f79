// Backfills of existing documents, run by hand after a deploy that needs one
// (`npx convex run migrations:backfillLiveness`); each pages itself through the scheduler.
// The page logic is in model/migrations.ts.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { backfillConnectionEnds, backfillStarStates } from "./model/migrations";

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
