import { v } from "convex/values";
import { Webhook } from "svix";
import { z } from "zod";
import { isValidTimeZone } from "../src/time";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { env, httpAction, internalMutation, internalQuery, query, type QueryCtx } from "./_generated/server";
import { invalidArgument } from "./errors";
import { userMutation } from "./functions";
import { growthStateOf } from "./model/growth";
import { requestAccountDeletion } from "./model/privacy";
import { progressStateOf } from "./model/progress";
import { rescheduleForTimezone } from "./model/schedule";
import { getIdentityOrThrow, upsertFromClerk, userByClerkId } from "./model/users";
import { vGrowthProfile, vTier, vUserPhase } from "./validators";

export const vUserView = v.object({
  _id: v.id("users"),
  email: v.string(),
  displayName: v.optional(v.string()),
  createdAt: v.number(),
  currentPhase: vUserPhase,
  mirrorDay: v.number(),
  tier: vTier,
  subscriptionEndsAt: v.optional(v.number()),
  timezone: v.string(),
  dailyCapacityMinutes: v.number(),
  essence: v.number(),
  streakDays: v.number(),
  lastActiveDate: v.optional(v.string()),
  growthProfile: vGrowthProfile,
  deletionRequestedAt: v.optional(v.number()),
});

/**
 * The caller as a client sees them: the users row, with the essence, streak and growth
 * profile read from their state documents (the view shows them, so it re-runs when they move).
 */
async function toUserView(ctx: QueryCtx, user: Doc<"users">) {
  const [progress, growth] = await Promise.all([progressStateOf(ctx, user), growthStateOf(ctx, user)]);
  return {
    _id: user._id,
    email: user.email,
    displayName: user.displayName,
    createdAt: user.createdAt,
    currentPhase: user.currentPhase,
    mirrorDay: user.mirrorDay,
    tier: user.tier,
    subscriptionEndsAt: user.subscriptionEndsAt,
    timezone: user.timezone,
    dailyCapacityMinutes: user.dailyCapacityMinutes,
    essence: progress.essence,
    streakDays: progress.streakDays,
    lastActiveDate: progress.lastActiveDate,
    growthProfile: growth.growthProfile,
    deletionRequestedAt: user.deletionRequestedAt,
  };
}

/**
 * The caller, or null until the account exists. Built on the raw `query` on purpose:
 * it is the one read that must answer before provisioning and during pending deletion.
 */
export const me = query({
  args: {},
  returns: v.union(vUserView, v.null()),
  handler: async (ctx) => {
    const identity = await getIdentityOrThrow(ctx);
    const user = await userByClerkId(ctx, identity.subject);
    return user === null ? null : await toUserView(ctx, user);
  },
});

/** Idempotent get-or-create for the caller (the sign-up race path). */
export const ensure = userMutation({
  args: {},
  returns: vUserView,
  handler: async (ctx) => await toUserView(ctx, ctx.user),
});

export const DAILY_CAPACITY_RANGE = { min: 5, max: 1440 } as const;
export const DISPLAY_NAME_MAX = 80;

export const updateSettings = userMutation({
  args: {
    displayName: v.optional(v.string()),
    timezone: v.optional(v.string()),
    dailyCapacityMinutes: v.optional(v.number()),
  },
  returns: vUserView,
  handler: async (ctx, args) => {
    const patch: Partial<Doc<"users">> = {};
    if (args.displayName !== undefined) {
      const displayName = args.displayName.trim();
      if (displayName.length === 0 || displayName.length > DISPLAY_NAME_MAX) {
        throw invalidArgument(`displayName must be 1..${DISPLAY_NAME_MAX} characters`);
      }
      patch.displayName = displayName;
    }
    if (args.timezone !== undefined) {
      if (!isValidTimeZone(args.timezone)) {
        throw invalidArgument(`timezone must be an IANA zone such as "Europe/Paris", got "${args.timezone}"`);
      }
      patch.timezone = args.timezone;
      // The daily jobs follow the user's new midnight from now on.
      await rescheduleForTimezone(ctx, ctx.user, args.timezone, Date.now());
    }
    if (args.dailyCapacityMinutes !== undefined) {
      const minutes = args.dailyCapacityMinutes;
      if (!Number.isInteger(minutes) || minutes < DAILY_CAPACITY_RANGE.min || minutes > DAILY_CAPACITY_RANGE.max) {
        throw invalidArgument(
          `dailyCapacityMinutes must be a whole number from ${DAILY_CAPACITY_RANGE.min} to ${DAILY_CAPACITY_RANGE.max}`,
        );
      }
      patch.dailyCapacityMinutes = minutes;
    }
    await ctx.db.patch("users", ctx.user._id, patch);
    return await toUserView(ctx, { ...ctx.user, ...patch });
  },
});

export const byClerkId = internalQuery({
  args: { clerkId: v.string() },
  handler: async (ctx, { clerkId }) => await userByClerkId(ctx, clerkId),
});

// ---------------------------------------------------------------------------------------
// Clerk webhook (svix-signed). Routed in http.ts.

const clerkUserData = z.object({
  id: z.string().min(1),
  email_addresses: z
    .array(z.object({ id: z.string(), email_address: z.string() }))
    .nullish()
    .transform((list) => list ?? []),
  primary_email_address_id: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  username: z.string().nullish(),
  updated_at: z.number().nullish(),
  created_at: z.number().nullish(),
});

const clerkEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("user.created"), data: clerkUserData, timestamp: z.number().optional() }),
  z.object({ type: z.literal("user.updated"), data: clerkUserData, timestamp: z.number().optional() }),
  z.object({
    type: z.literal("user.deleted"),
    data: z.object({ id: z.string().min(1) }),
    timestamp: z.number().optional(),
  }),
]);
const anyEvent = z.object({ type: z.string() });

type ClerkUserData = z.infer<typeof clerkUserData>;

function primaryEmail(data: ClerkUserData): string {
  const primary = data.email_addresses.find((address) => address.id === data.primary_email_address_id);
  return (primary ?? data.email_addresses[0])?.email_address ?? "";
}

function displayNameOf(data: ClerkUserData): string | undefined {
  const fullName = [data.first_name, data.last_name].filter((part) => part).join(" ").trim();
  return fullName || data.username || undefined;
}

export const clerkUsersWebhook = httpAction(async (ctx, request) => {
  const secret = env.CLERK_WEBHOOK_SIGNING_SECRET;
  if (!secret) {
    console.error("clerk-users-webhook: CLERK_WEBHOOK_SIGNING_SECRET is not set; refusing the event");
    return new Response("Webhook secret not configured", { status: 500 });
  }
  const svixId = request.headers.get("svix-id");
  const svixTimestamp = request.headers.get("svix-timestamp");
  const svixSignature = request.headers.get("svix-signature");
  if (!svixId || !svixTimestamp || !svixSignature) {
    return new Response("Missing svix headers", { status: 400 });
  }
  const body = await request.text();
  try {
    // Checks the HMAC over the raw body (any of several `v1` signatures, for secret
    // rotation) and the 5-minute timestamp tolerance. svix 2.x returns nothing: the
    // payload is parsed below, only after this check.
    new Webhook(secret).verify(body, {
      "svix-id": svixId,
      "svix-timestamp": svixTimestamp,
      "svix-signature": svixSignature,
    });
  } catch {
    return new Response("Invalid signature", { status: 400 });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return new Response("Malformed event", { status: 400 });
  }
  const typed = anyEvent.safeParse(payload);
  if (!typed.success) return new Response("Malformed event", { status: 400 });
  const parsed = clerkEvent.safeParse(payload);
  if (!parsed.success) {
    const known = ["user.created", "user.updated", "user.deleted"].includes(typed.data.type);
    if (known) return new Response("Malformed event", { status: 400 });
    return new Response(null, { status: 200 }); // unknown event types are acknowledged and ignored
  }
  const event = parsed.data;
  if (event.type === "user.deleted") {
    await ctx.runMutation(internal.users.applyClerkEvent, {
      svixId,
      eventType: event.type,
      clerkId: event.data.id,
    });
  } else {
    await ctx.runMutation(internal.users.applyClerkEvent, {
      svixId,
      eventType: event.type,
      clerkId: event.data.id,
      profile: {
        email: primaryEmail(event.data),
        displayName: displayNameOf(event.data),
        updatedAt: event.data.updated_at ?? event.timestamp ?? Date.now(),
      },
    });
  }
  return new Response(null, { status: 200 });
});

/** Applies one verified Clerk event exactly once (keyed by svix id). */
export const applyClerkEvent = internalMutation({
  args: {
    svixId: v.string(),
    eventType: v.string(),
    clerkId: v.string(),
    profile: v.optional(
      v.object({ email: v.string(), displayName: v.optional(v.string()), updatedAt: v.number() }),
    ),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const seen = await ctx.db
      .query("webhookEvents")
      .withIndex("by_svix_id", (q) => q.eq("svixId", args.svixId))
      .first();
    if (seen !== null) return null;
    const now = Date.now();
    await ctx.db.insert("webhookEvents", { svixId: args.svixId, eventType: args.eventType, processedAt: now });
    if (args.profile !== undefined) {
      await upsertFromClerk(ctx, { clerkId: args.clerkId, ...args.profile }, now);
    } else {
      const user = await userByClerkId(ctx, args.clerkId);
      if (user !== null) await requestAccountDeletion(ctx, user, now);
    }
    return null;
  },
});
