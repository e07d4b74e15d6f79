// Existing-data migrations: the per-row (or per-page) step of each; convex/migrations.ts
// pages them. Each writes only what differs, so a step run twice changes nothing.
import { normalizeLabel, starState } from "../../src/domain";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { growthStateRow, legacyGrowthState } from "./growth";
import { legacyProgressState, progressStateRow } from "./progress";
import { legacySchedule, scheduleOf } from "./schedule";
import { starByLabel } from "./stars";

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

// ---------------------------------------------------------------------------------------
// The live set (docs/architecture.md "The live set")

/** Stars per backfill transaction (one read, at most one small write each). */
export const BACKFILL_STARS_PAGE = 500;
/** Connections per backfill transaction (itself and both ends read, at most one write). */
export const BACKFILL_CONNECTIONS_PAGE = 200;

export type BackfillPage = { read: number; changed: number; continueCursor: string | null };

/** One page of stars: `state` = starState(type, dismissedAt). */
export async function backfillStarStates(
  ctx: MutationCtx,
  cursor: string | null,
  dryRun: boolean,
): Promise<BackfillPage> {
  const page = await ctx.db.query("stars").paginate({ cursor, numItems: BACKFILL_STARS_PAGE });
  let changed = 0;
  for (const star of page.page) {
    const state = starState(star);
    if (star.state === state) continue;
    changed += 1;
    if (!dryRun) await ctx.db.patch("stars", star._id, { state });
  }
  return { read: page.page.length, changed, continueCursor: page.isDone ? null : page.continueCursor };
}

/**
 * One page of connections: aState and bState from the two stars as they are (the stars'
 * own documents, not their `state` field, so this page does not depend on the star pages).
 */
export async function backfillConnectionEnds(
  ctx: MutationCtx,
  cursor: string | null,
  dryRun: boolean,
): Promise<BackfillPage> {
  const page = await ctx.db.query("connections").paginate({ cursor, numItems: BACKFILL_CONNECTIONS_PAGE });
  let changed = 0;
  for (const connection of page.page) {
    const [a, b] = await Promise.all([ctx.db.get("stars", connection.starA), ctx.db.get("stars", connection.starB)]);
    // A missing end (a test's raw delete; erasure removes both sides) reads as dismissed: never live.
    const aState = a === null ? "dismissed" : starState(a);
    const bState = b === null ? "dismissed" : starState(b);
    if (connection.aState === aState && connection.bState === bState) continue;
    changed += 1;
    if (!dryRun) await ctx.db.patch("connections", connection._id, { aState, bState });
  }
  return { read: page.page.length, changed, continueCursor: page.isDone ? null : page.continueCursor };
}

// ---------------------------------------------------------------------------------------
// Label identity (issue 14): normalizeLabel ignores case, spacing and punctuation

/** Stars per renormalizing transaction (one read, at most one by_user_label lookup and one small write each). */
export const RENORMALIZE_STARS_PAGE = 400;

export type RenormalizePage = BackfillPage & { kept: number };

/**
 * One page of stars, oldest first: `normalizedLabel` = normalizeLabel(label). Stars are
 * never merged: a star whose new label another of the user's stars already holds (an older
 * one renormalized first, or one extracted since the deploy) keeps its stored label, so
 * (user, normalizedLabel) stays unique; new extractions dedupe onto the holder. `theta`
 * stays where the star was drawn. Writes only differing documents.
 */
export async function renormalizeStarLabels(
  ctx: MutationCtx,
  cursor: string | null,
  dryRun: boolean,
  pageSize: number = RENORMALIZE_STARS_PAGE,
): Promise<RenormalizePage> {
  const page = await ctx.db.query("stars").paginate({ cursor, numItems: Math.min(pageSize, RENORMALIZE_STARS_PAGE) });
  let changed = 0;
  let kept = 0;
  // Labels this page gives out, so a dry run (which writes none) counts a twin as kept too.
  const claimed = new Set<string>();
  for (const star of page.page) {
    const normalizedLabel = normalizeLabel(star.label);
    if (star.normalizedLabel === normalizedLabel) continue;
    const key = `${star.userId}:${normalizedLabel}`;
    if (claimed.has(key) || (await starByLabel(ctx, star.userId, normalizedLabel)) !== null) {
      kept += 1;
      continue;
    }
    claimed.add(key);
    changed += 1;
    if (!dryRun) await ctx.db.patch("stars", star._id, { normalizedLabel });
  }
  return { read: page.page.length, changed, kept, continueCursor: page.isDone ? null : page.continueCursor };
}
