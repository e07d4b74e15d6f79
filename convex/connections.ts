// Connections between two of a user's stars: the user's removal, the scheduled pages that
// keep connection ends in step with their stars, and an internal upsert for callers outside
// a transaction (bench/world.ts seeding, `npx convex run`, tests; the extraction pipeline
// calls upsertConnection inside its own mutation). Thin: the rules live in model/connections.ts.
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { userMutation } from "./functions";
import { removeConnection, syncConnectionEndsPage, upsertConnection } from "./model/connections";
import { writableUser } from "./model/stars";
import { vConnectionType } from "./validators";

/**
 * Creates the connection, or strengthens the existing one of the same (type, pair). Both
 * stars must be the user's (NOT_FOUND), distinct and strength in [0, 1] (INVALID_ARGUMENT).
 */
export const upsert = internalMutation({
  args: {
    userId: v.id("users"),
    starA: v.id("stars"),
    starB: v.id("stars"),
    type: vConnectionType,
    strength: v.optional(v.number()),
    quote: v.optional(v.string()),
    messageId: v.optional(v.id("messages")),
    now: v.optional(v.number()),
  },
  returns: v.id("connections"),
  handler: async (ctx, { userId, now, ...input }) => {
    await writableUser(ctx, userId);
    return await upsertConnection(ctx, userId, input, now ?? Date.now());
  },
});

/** The user removes a connection (a wrong link); both stars keep their history. */
export const remove = userMutation({
  args: { connectionId: v.id("connections") },
  returns: v.null(),
  handler: async (ctx, { connectionId }) => {
    await removeConnection(ctx, ctx.user._id, connectionId);
    return null;
  },
});

/**
 * The rest of a star's state change that did not fit its transaction (model/connections.ts
 * syncConnectionEnds): one page of the star's connections per transaction, starA side then
 * starB side, each end set to the star's current state. Idempotent; a star erased meanwhile
 * ends the job.
 */
export const syncEnds = internalMutation({
  args: {
    starId: v.id("stars"),
    /** When the state changed: a shadow_mirror whose end woke restarts its drain clock then. */
    now: v.number(),
    side: v.optional(v.union(v.literal("starA"), v.literal("starB"))),
    cursor: v.optional(v.union(v.string(), v.null())),
  },
  returns: v.null(),
  handler: async (ctx, { starId, now, side, cursor }) => {
    const next = await syncConnectionEndsPage(ctx, starId, now, side ?? "starA", cursor ?? null);
    if (next !== null) await ctx.scheduler.runAfter(0, internal.connections.syncEnds, { starId, now, ...next });
    return null;
  },
});
