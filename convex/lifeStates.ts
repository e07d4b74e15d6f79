// LifeState, the trajectory (MECHANICS §7): the user's newest snapshot, their history, an
// on-demand recompute, and the internal compute the daily job shares. Thin: the loading and
// the physics live in model/lifeStates.ts and src/mechanics/lifeState.ts.
// docs/trajectory-api.md is the client contract.
import { defineRateLimits } from "convex-helpers/server/rateLimit";
import { doc } from "convex-helpers/validators";
import { v, type Infer } from "convex/values";
import { MINUTE } from "../src/time";
import { internalMutation } from "./_generated/server";
import { appError, invalidArgument, notFound } from "./errors";
import { userMutation, userQuery } from "./functions";
import { clientInstant } from "./model/clientInput";
import {
  MAX_HISTORY_DAYS,
  currentLifeState,
  lifeStateHistory,
  snapshotLifeState,
} from "./model/lifeStates";
import schema from "./schema";
import { mapperOf, vLifeStateSource } from "./validators";

/**
 * At most one on-demand recompute a minute per user: a token bucket of capacity 1 refilled
 * once a minute (a fixed window would let two through across a window edge). Keyed by the
 * user id; model/userTables.ts lists the name, so erasure clears these rows.
 */
const { rateLimit } = defineRateLimits({
  recomputeLifeState: { kind: "token bucket", rate: 1, period: MINUTE, capacity: 1 },
});

/** A snapshot as a client sees it (the document without its owner). */
export const vLifeStateView = doc(schema, "lifeStates").omit("_creationTime", "userId");
export type LifeStateView = Infer<typeof vLifeStateView>;
export const toLifeStateView = mapperOf(vLifeStateView);

/** The newest snapshot, or null before the first one. Reads one document. */
export const current = userQuery({
  args: {},
  returns: v.union(vLifeStateView, v.null()),
  handler: async (ctx) => {
    const snapshot = await currentLifeState(ctx, ctx.user._id);
    return snapshot === null ? null : toLifeStateView(snapshot);
  },
});

/**
 * One point per local date (that date's last snapshot), oldest first, over the `days`
 * dates ending on the date of `now`. A query cannot read the clock: pass `now` (a coarse
 * client time keeps the subscription stable), or leave it out to end at the newest
 * snapshot. Without either, the answer is empty.
 */
export const history = userQuery({
  args: { days: v.number(), now: v.optional(v.number()) },
  returns: v.array(vLifeStateView),
  handler: async (ctx, { days, now }) => {
    if (!Number.isInteger(days) || days < 1 || days > MAX_HISTORY_DAYS) {
      throw invalidArgument(`days must be a whole number from 1 to ${MAX_HISTORY_DAYS}`);
    }
    const end = now !== undefined ? clientInstant("now", now) : (await currentLifeState(ctx, ctx.user._id))?.timestamp;
    if (end === undefined) return [];
    return (await lifeStateHistory(ctx, ctx.user, days, end)).map(toLifeStateView);
  },
});

/** Computes and stores a snapshot now (`source: "on_demand"`); at most once a minute. */
export const recompute = userMutation({
  args: {},
  returns: vLifeStateView,
  handler: async (ctx) => {
    const now = Date.now();
    const limit = await rateLimit(ctx, { name: "recomputeLifeState", key: ctx.user._id });
    if (!limit.ok) {
      throw appError("RATE_LIMITED", "the LifeState can be recomputed once a minute", {
        retryAfterMs: Math.max(0, Math.ceil((limit.retryAt ?? now + MINUTE) - now)),
      });
    }
    return toLifeStateView(await snapshotLifeState(ctx, ctx.user, now, "on_demand"));
  },
});

/** Stores a snapshot of `userId` at `now` (the daily job calls the helper directly). */
export const compute = internalMutation({
  args: { userId: v.id("users"), now: v.number(), source: v.optional(vLifeStateSource) },
  returns: v.id("lifeStates"),
  handler: async (ctx, { userId, now, source }) => {
    const user = await ctx.db.get("users", userId);
    if (user === null) throw notFound("user");
    return (await snapshotLifeState(ctx, user, now, source ?? "on_demand"))._id;
  },
});
