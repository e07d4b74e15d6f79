// Existing-data migrations: the per-row step of each; convex/migrations.ts pages them.
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { growthStateRow, legacyGrowthState } from "./growth";
import { legacyProgressState, progressStateRow } from "./progress";
import { legacySchedule, scheduleOf } from "./schedule";

/** The fields that left the users row for the per-user state documents (issue 11). */
export const LEGACY_USER_STATE_FIELDS = [
  "essence",
  "streakDays",
  "lastActiveDate",
  "growthProfile",
  "growthRebuildId",
  "nextDailyAt",
  "lastDailyDate",
  "lifeStatesPrunedAt",
] as const satisfies readonly (keyof Doc<"users">)[];

export type QuietStep = { created: number; cleared: boolean };

/**
 * Moves one users row's fast-changing fields into its state documents: each missing document
 * is created from the legacy fields (an existing one was written since the deploy and wins),
 * then the fields are cleared from the row. Idempotent: a migrated row has nothing to move.
 * With `dryRun`, reports what it would do and writes nothing.
 */
export async function quietUserRow(
  ctx: MutationCtx,
  user: Doc<"users">,
  now: number,
  dryRun: boolean,
): Promise<QuietStep> {
  const [growth, progress, schedule] = await Promise.all([
    growthStateRow(ctx, user._id),
    progressStateRow(ctx, user._id),
    scheduleOf(ctx, user._id),
  ]);
  const legacy = LEGACY_USER_STATE_FIELDS.filter((field) => user[field] !== undefined);
  const step = { created: [growth, progress, schedule].filter((row) => row === null).length, cleared: legacy.length > 0 };
  if (dryRun) return step;
  await Promise.all([
    growth === null ? ctx.db.insert("growthStates", legacyGrowthState(user)) : null,
    progress === null ? ctx.db.insert("progressStates", legacyProgressState(user)) : null,
    schedule === null ? ctx.db.insert("dailySchedules", legacySchedule(user, now)) : null,
  ]);
  if (step.cleared) {
    await ctx.db.patch("users", user._id, Object.fromEntries(legacy.map((field) => [field, undefined])));
  }
  return step;
}
