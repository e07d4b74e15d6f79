// Who the caller is, and the one upsert that both the Clerk webhook and the sign-up race
// path use, so exactly one `users` row exists per Clerk id whichever arrives first.
import type { UserIdentity } from "convex/server";
import { boundText, fitsBound } from "../../src/text";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError } from "../errors";
import { createGrowthState } from "./growth";
import { createProgressState } from "./progress";
import { createSchedule } from "./schedule";

export const DEFAULT_TIMEZONE = "UTC";
export const DEFAULT_DAILY_CAPACITY_MINUTES = 60;

/** Identity key: the Clerk user id, which Clerk puts in the JWT `subject`. */
export async function getIdentityOrThrow(ctx: { auth: QueryCtx["auth"] }): Promise<UserIdentity> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) throw appError("UNAUTHENTICATED", "Sign in to continue");
  return identity;
}

export async function userByClerkId(ctx: QueryCtx, clerkId: string): Promise<Doc<"users"> | null> {
  return await ctx.db
    .query("users")
    .withIndex("by_clerk", (q) => q.eq("clerkId", clerkId))
    .unique();
}

/** The caller's row, or null when signed in but not yet provisioned. */
export async function getCurrentUser(ctx: QueryCtx): Promise<Doc<"users"> | null> {
  const identity = await getIdentityOrThrow(ctx);
  return await userByClerkId(ctx, identity.subject);
}

export function assertNotDeleting(user: Doc<"users">): void {
  if (user.deletionRequestedAt !== undefined) {
    throw appError(
      "ACCOUNT_DELETION_PENDING",
      "This account is scheduled for deletion; cancel the deletion to use it again",
    );
  }
}

export type ClerkProfile = {
  clerkId: string;
  email: string;
  displayName?: string;
  /** Clerk's `updated_at` for webhook events; 0 for token claims (any event then wins). */
  updatedAt: number;
};

/**
 * A Clerk profile within the text bounds (src/text.ts), whatever Clerk or a token sent: the
 * display name is cut to 80 code points; an email longer than 320 cannot be an address and
 * is stored as none (""), like an account without one. The Clerk id is the identity key,
 * so it is never cut: the webhook refuses an over-long one (400) before it gets here.
 */
export function boundedProfile(profile: ClerkProfile): ClerkProfile {
  const displayName = profile.displayName === undefined ? undefined : boundText("displayName", profile.displayName);
  return { ...profile, email: fitsBound("email", profile.email) ? profile.email : "", displayName };
}

/**
 * Inserts or updates the user for a Clerk id. Profile fields only move forward in Clerk
 * time: an event older than the one applied (out-of-order delivery) changes nothing. A new
 * user gets their per-user state documents in the same transaction (growth, progress and
 * the daily schedule, which the hourly rollover finds them by).
 */
export async function upsertFromClerk(
  ctx: MutationCtx,
  unbounded: ClerkProfile,
  now: number,
): Promise<Id<"users">> {
  if (!fitsBound("externalId", unbounded.clerkId)) throw new Error("a Clerk id longer than any Clerk issues");
  const profile = boundedProfile(unbounded);
  const existing = await userByClerkId(ctx, profile.clerkId);
  if (existing === null) {
    const userId = await ctx.db.insert("users", {
      clerkId: profile.clerkId,
      email: profile.email,
      displayName: profile.displayName,
      createdAt: now,
      currentPhase: "onboarding",
      mirrorDay: 0,
      tier: "free",
      timezone: DEFAULT_TIMEZONE,
      dailyCapacityMinutes: DEFAULT_DAILY_CAPACITY_MINUTES,
      clerkUpdatedAt: profile.updatedAt,
    });
    await Promise.all([
      createGrowthState(ctx, userId),
      createProgressState(ctx, userId),
      createSchedule(ctx, userId, DEFAULT_TIMEZONE, now),
    ]);
    return userId;
  }
  if (profile.updatedAt <= existing.clerkUpdatedAt) return existing._id;
  await ctx.db.patch("users", existing._id, {
    email: profile.email,
    displayName: profile.displayName,
    clerkUpdatedAt: profile.updatedAt,
  });
  return existing._id;
}

/** Token claims as a Clerk profile, for the sign-up race (webhook not arrived yet). */
export function profileFromIdentity(identity: UserIdentity): ClerkProfile {
  return {
    clerkId: identity.subject,
    email: identity.email ?? "",
    displayName: identity.name ?? undefined,
    updatedAt: 0,
  };
}

/** The caller's row, created from the token's claims when the webhook has not arrived. */
export async function ensureCurrentUser(ctx: MutationCtx): Promise<Doc<"users">> {
  const identity = await getIdentityOrThrow(ctx);
  const existing = await userByClerkId(ctx, identity.subject);
  if (existing !== null) return existing;
  const userId = await upsertFromClerk(ctx, profileFromIdentity(identity), Date.now());
  const created = await ctx.db.get("users", userId);
  if (created === null) throw new Error("user row vanished inside its own transaction");
  return created;
}
