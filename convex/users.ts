import { doc } from "convex-helpers/validators";
import type { UserJSON } from "@clerk/backend";
import { verifyWebhook, type WebhookEvent } from "@clerk/backend/webhooks";
import { v } from "convex/values";
import { z } from "zod";
import { TEXT_BOUNDS, fitsBound } from "../src/text";
import { DAY, isValidTimeZone } from "../src/time";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { env, httpAction, internalMutation, internalQuery, query, type QueryCtx } from "./_generated/server";
import { invalidArgument } from "./errors";
import { userMutation } from "./functions";
import { pageAndFanOut, vCursor, withinBudget } from "./model/batching";
import { userText } from "./model/clientInput";
import { growthStateOf } from "./model/growth";
import { requestAccountDeletion } from "./model/privacy";
import { progressStateOf } from "./model/progress";
import { rescheduleForTimezone } from "./model/schedule";
import { boundedProfile, getIdentityOrThrow, upsertFromClerk, userByClerkId } from "./model/users";
import schema from "./schema";
import { mapperOf } from "./validators";

/**
 * The account fields of the users row a client sees: a chosen list (the row also holds the
 * Clerk id, job ids and deprecated job bookkeeping, none of which leaves the server).
 */
const vUserRowView = doc(schema, "users").pick(
  "_id", "email", "displayName", "createdAt", "currentPhase", "mirrorDay", "tier", "subscriptionEndsAt",
  "timezone", "dailyCapacityMinutes", "deletionRequestedAt",
);
const toUserRowView = mapperOf(vUserRowView);

/** The caller as a client sees them: the account, plus essence, streak and growth profile from their state documents. */
export const vUserView = v.object({
  ...vUserRowView.fields,
  ...schema.tables.progressStates.validator.pick("essence", "streakDays", "lastActiveDate").fields,
  ...schema.tables.growthStates.validator.pick("growthProfile").fields,
  /**
   * The stored zone is one the runtime cannot use (e.g. a name retired from the time-zone
   * database): days are computed in UTC until the user picks a zone again (updateSettings).
   * Computed on read, so it clears itself the moment the zone is usable.
   */
  timezoneInvalid: v.boolean(),
});

/** The view re-runs when essence, streak or profile move, because it shows them. */
async function toUserView(ctx: QueryCtx, user: Doc<"users">) {
  const [progress, growth] = await Promise.all([progressStateOf(ctx, user), growthStateOf(ctx, user)]);
  return {
    ...toUserRowView(user),
    essence: progress.essence,
    streakDays: progress.streakDays,
    ...(progress.lastActiveDate === undefined ? {} : { lastActiveDate: progress.lastActiveDate }),
    growthProfile: growth.growthProfile,
    timezoneInvalid: !isValidTimeZone(user.timezone),
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
      patch.displayName = userText("displayName", "displayName", args.displayName, { required: true });
    }
    if (args.timezone !== undefined) {
      if (!isValidTimeZone(args.timezone)) {
        throw invalidArgument(`timezone must be an IANA zone such as "Europe/Paris", got "${args.timezone}"`);
      }
      patch.timezone = args.timezone;
      // The next day-reset follows the last one reset in the new zone (model/schedule.ts):
      // a re-sent zone changes nothing, and no date is reset twice or skipped.
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

/** A Clerk user id: stored as the identity key, so one too long to be real is refused, never cut. */
const clerkId = z.string().min(1).max(TEXT_BOUNDS.externalId);

// Parsed after the signature check: Clerk's own types say what it sends (the satisfies
// below fails the typecheck if they drift from what we read), zod checks what arrived.
const clerkUserData = z.object({
  id: clerkId,
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
    data: z.object({ id: clerkId }),
    timestamp: z.number().optional(),
  }),
]);
const anyEvent = z.object({ type: z.string() });

type ClerkUserData = z.infer<typeof clerkUserData>;
void ({} as UserJSON satisfies z.input<typeof clerkUserData>);
void ({} as Extract<WebhookEvent, { data: UserJSON }>["type"] satisfies z.infer<typeof clerkEvent>["type"]);

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
  // verifyWebhook trims the headers; the replay key is the id it verified.
  const svixId = request.headers.get("svix-id")?.trim();
  if (!svixId || !request.headers.get("svix-timestamp")?.trim() || !request.headers.get("svix-signature")?.trim()) {
    return new Response("Missing svix headers", { status: 400 });
  }
  if (!fitsBound("externalId", svixId)) return new Response("Malformed event", { status: 400 });
  let payload: unknown;
  try {
    // Clerk's verifier (standardwebhooks, the library svix itself wraps): the HMAC over the
    // raw body (any of several `v1` signatures, for secret rotation), the 5-minute
    // timestamp tolerance either way, then JSON.parse. A body that is signed but not JSON
    // also lands here.
    payload = await verifyWebhook(request, { signingSecret: secret });
  } catch {
    return new Response("Invalid signature", { status: 400 });
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
    // Bounded here, before the mutation's arguments: a 2,000,000-character name is cut.
    const { clerkId, ...profile } = boundedProfile({
      clerkId: event.data.id,
      email: primaryEmail(event.data),
      displayName: displayNameOf(event.data),
      updatedAt: event.data.updated_at ?? event.timestamp ?? Date.now(),
    });
    await ctx.runMutation(internal.users.applyClerkEvent, { svixId, eventType: event.type, clerkId, profile });
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

// ---------------------------------------------------------------------------------------
// Webhook retention (crons.ts, daily): svix ids are kept only as long as a delivery of the
// same message can still arrive.

/**
 * How long a processed svix id is kept. svix retries a failed delivery for about 28 hours
 * (its schedule ends 5 s + 5 min + 30 min + 2 h + 5 h + 10 h + 10 h after the first try),
 * disables an endpoint that fails for 5 days, and refuses signatures older than 5 minutes,
 * so a redelivery is always freshly signed and carries the same id; 30 days covers
 * automatic retries many times over and a manual replay from the dashboard weeks later.
 * Beyond it, a replayed profile event is still ignored when older than the one applied
 * (clerkUpdatedAt), and a replayed user.deleted is idempotent.
 */
export const WEBHOOK_EVENT_RETENTION_MS = 30 * DAY;

/** Cron target: the svix ids processed at or before now − 30 days (by_processed_at), a page at a time. */
export const pruneWebhookEvents = internalMutation({
  args: { now: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const cutoff = now - WEBHOOK_EVENT_RETENTION_MS;
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) =>
        ctx.db
          .query("webhookEvents")
          .withIndex("by_processed_at", (q) => q.lte("processedAt", cutoff))
          .paginate(options),
      batch: (eventIds) => ctx.scheduler.runAfter(0, internal.users.pruneWebhookEventsBatch, { eventIds, cutoff }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.users.pruneWebhookEvents, { now, cursor }),
    });
    return null;
  },
});

/** Deletes the svix ids still present and processed at or before `cutoff`; returns how many. */
export const pruneWebhookEventsBatch = internalMutation({
  args: { eventIds: v.array(v.id("webhookEvents")), cutoff: v.number() },
  returns: v.number(),
  handler: async (ctx, { eventIds, cutoff }) => {
    let deleted = 0;
    await withinBudget(
      ctx,
      eventIds,
      async (eventId) => {
        const event = await ctx.db.get("webhookEvents", eventId);
        if (event !== null && event.processedAt <= cutoff) {
          await ctx.db.delete("webhookEvents", eventId);
          deleted += 1;
        }
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.users.pruneWebhookEventsBatch, { eventIds: rest, cutoff }),
    );
    return deleted;
  },
});
