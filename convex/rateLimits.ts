// Per-user limiter for the coach: every message (and every retry) costs a model call.
// convex-helpers keeps the state in `rateLimits`, one row per (name, key). The privacy
// erasure clears rows named "sendMessage" keyed by the user id (model/userTables.ts), so
// both the name and the key are fixed.
//
// Token bucket, not fixed window: a fixed window lets a user send 2× the limit across a
// window edge, and the bucket also carries over cleanly when the tier changes (same row,
// new rate and capacity). Capacity = the hourly allowance, so a user can spend the hour's
// quota in one sitting and then gets one message back every 2 minutes (free) or 18 s (pro).
import { rateLimit, type TokenBucketRateLimit } from "convex-helpers/server/rateLimit";
import type { Tier } from "../src/domain";
import { HOUR } from "../src/time";
import type { Doc } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { appError } from "./errors";

export const SEND_MESSAGE_LIMIT_NAME = "sendMessage";

/** Messages per hour by tier (the numbers: free 30, pro 200). */
export const SEND_MESSAGE_LIMITS: Readonly<Record<Tier, TokenBucketRateLimit>> = {
  free: { kind: "token bucket", rate: 30, period: HOUR, capacity: 30 },
  pro: { kind: "token bucket", rate: 200, period: HOUR, capacity: 200 },
};

/** `pro` only while the subscription runs; an expired one counts as free. */
export function effectiveTier(user: Doc<"users">, now: number): Tier {
  if (user.tier === "pro" && (user.subscriptionEndsAt === undefined || user.subscriptionEndsAt > now)) return "pro";
  return "free";
}

/**
 * Takes one token for a message that will reach the model, or throws RATE_LIMITED with
 * `retryAfterMs` having written nothing. The config is passed inline (not via
 * defineRateLimits, whose config is fixed per name) because it depends on the tier while
 * the row name must stay "sendMessage".
 */
export async function consumeMessageToken(ctx: MutationCtx, user: Doc<"users">, now: number): Promise<void> {
  const config = SEND_MESSAGE_LIMITS[effectiveTier(user, now)];
  const status = await rateLimit(ctx, { name: SEND_MESSAGE_LIMIT_NAME, key: user._id, config });
  if (status.ok) return;
  const retryAt = status.retryAt ?? now + config.period / config.rate;
  throw appError(
    "RATE_LIMITED",
    `at most ${config.rate} messages an hour on the ${effectiveTier(user, now)} plan`,
    { retryAfterMs: Math.max(1, Math.ceil(retryAt - now)) },
  );
}
