// One-off backfills for existing documents, paged so no transaction comes near Convex's
// limits (docs/architecture.md "The live set"). Each page writes only what differs from the
// definition, so a page run twice, or a backfill run again, changes nothing.
import { starState } from "../../src/domain";
import type { MutationCtx } from "../_generated/server";

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
