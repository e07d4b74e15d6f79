// Connections between two of a user's stars: the user's removal, and an internal upsert
// for callers outside a transaction (bench/world.ts seeding, `npx convex run`, tests; the
// extraction pipeline calls upsertConnection inside its own mutation). Thin: the rules
// live in model/connections.ts.
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { userMutation } from "./functions";
import { removeConnection, upsertConnection } from "./model/connections";
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
