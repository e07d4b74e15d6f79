// The only writer of the growth ledger (MECHANICS §4). Each append updates, in the same
// transaction, the per-(entity, dimension) aggregate and the user's growthProfile, using
// the same fold (src/mechanics/growth.ts applyGrowthEvent) that growth.rebuild replays.
import type { Domain, GrowthEntityType } from "../../src/domain";
import {
  applyGrowthEvent,
  applyToProfile,
  isValidDelta,
  type GrowthDelta,
  type GrowthEvent,
} from "../../src/mechanics/growth";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { invalidArgument } from "../errors";

/** One ledger row to append (userId and createdAt are stamped by recordGrowth). */
export type GrowthEventInput = Omit<GrowthEvent, "createdAt">;

/** Stamps an entity onto the deltas a src/ rule produced. */
export function growthEventsFor(
  entityType: GrowthEntityType,
  entityId: string,
  deltas: readonly GrowthDelta[],
  domain?: Domain,
): GrowthEventInput[] {
  return deltas.map((d) => ({ entityType, entityId, dimKey: d.dimKey, delta: d.delta, source: d.source, domain }));
}

/**
 * Appends events in order and keeps both aggregates exact. Refuses the whole batch
 * (nothing written) if any delta is not finite or exceeds |1|.
 */
export async function recordGrowth(
  ctx: MutationCtx,
  userId: Id<"users">,
  events: readonly GrowthEventInput[],
  now: number,
): Promise<number> {
  if (events.length === 0) return 0;
  for (const event of events) {
    if (!isValidDelta(event.delta)) {
      throw invalidArgument(`growth delta must be finite with |delta| <= 1, got ${event.delta}`);
    }
  }
  const user = await ctx.db.get("users", userId);
  if (user === null) throw new Error(`recordGrowth: user ${userId} does not exist`);
  let profile = user.growthProfile;
  for (const input of events) {
    const event: GrowthEvent = { ...input, createdAt: now };
    await ctx.db.insert("growthEvents", { userId, ...event });
    const current = await ctx.db
      .query("growthProgress")
      .withIndex("by_user_entity", (q) =>
        q
          .eq("userId", userId)
          .eq("entityType", event.entityType)
          .eq("entityId", event.entityId)
          .eq("dimKey", event.dimKey),
      )
      .unique();
    const next = applyGrowthEvent(current, event);
    if (current === null) await ctx.db.insert("growthProgress", { userId, ...next });
    else await ctx.db.patch("growthProgress", current._id, next);
    profile = applyToProfile(profile, event);
  }
  await ctx.db.patch("users", userId, { growthProfile: profile });
  return events.length;
}
