import { Webhook } from "svix";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { PAGE_SIZE } from "../../convex/model/batching";
import { WEBHOOK_EVENT_RETENTION_MS } from "../../convex/users";
import { TEXT_BOUNDS } from "../../src/text";
import {
  WEBHOOK_SECRET,
  clerkDeletedEvent,
  clerkUserEvent,
  countRows,
  freshClerkId,
  newBackend,
  newSvixId,
  postClerkEvent,
  signedIn,
  svixHeaders,
} from "../setup";
import { EMPTY_GROWTH_PROFILE } from "../../src/domain";
import { nextLocalMidnight } from "../../src/time";
import { growthStateRow, progressStateRow, scheduleRow } from "../support/userState";

beforeEach(() => {
  process.env.CLERK_WEBHOOK_SIGNING_SECRET = WEBHOOK_SECRET;
});
afterEach(() => {
  delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
  vi.useRealTimers();
});

async function userRow(t: ReturnType<typeof newBackend>, clerkId: string) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("users")
      .withIndex("by_clerk", (q) => q.eq("clerkId", clerkId))
      .unique(),
  );
}

describe("POST /clerk-users-webhook", () => {
  it("creates the user from a signed user.created, with the primary email and name", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const event = clerkUserEvent("user.created", {
      id: clerkId,
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      updated_at: 1_700_000_000_100,
    });
    const response = await postClerkEvent(t, event);
    expect(response.status).toBe(200);
    const user = await userRow(t, clerkId);
    expect(user).toMatchObject({
      clerkId,
      email: "ada@example.com",
      displayName: "Ada Lovelace",
      currentPhase: "onboarding",
      mirrorDay: 0,
      tier: "free",
      timezone: "UTC",
      dailyCapacityMinutes: 60,
      clerkUpdatedAt: 1_700_000_000_100,
    });
    // Its state documents come with it: no essence or growth yet, due at the first UTC midnight.
    expect(await progressStateRow(t, user!._id)).toMatchObject({ essence: 0, streakDays: 0 });
    expect((await growthStateRow(t, user!._id)).growthProfile).toEqual(EMPTY_GROWTH_PROFILE);
    expect((await scheduleRow(t, user!._id)).nextDailyAt).toBe(nextLocalMidnight(user!.createdAt, "UTC"));
    const me = await signedIn(t, clerkId).query(api.users.me, {});
    expect(me?.email).toBe("ada@example.com");
  });

  it("picks the primary address among several and allows null names", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const event = clerkUserEvent("user.created", { id: clerkId, email: "x@example.com" });
    event.data.email_addresses = [
      { id: "idn_other", email_address: "secondary@example.com" },
      { id: "idn_primary", email_address: "primary@example.com" },
    ];
    event.data.primary_email_address_id = "idn_primary";
    expect((await postClerkEvent(t, event)).status).toBe(200);
    const user = await userRow(t, clerkId);
    expect(user?.email).toBe("primary@example.com");
    expect(user?.displayName).toBeUndefined();
  });

  it("refuses a forged signature (wrong secret) with 400 and writes nothing", async () => {
    const t = newBackend();
    const event = clerkUserEvent("user.created", { id: freshClerkId(), email: "f@example.com" });
    const forged = `whsec_${btoa("somebody-elses-secret-000000000")}`;
    const response = await postClerkEvent(t, event, { secret: forged });
    expect(response.status).toBe(400);
    expect(await countRows(t, "users")).toBe(0);
    expect(await countRows(t, "webhookEvents")).toBe(0);
  });

  it("refuses a tampered body with 400", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const body = JSON.stringify(clerkUserEvent("user.created", { id: clerkId, email: "a@example.com" }));
    const headers = svixHeaders(body);
    const tampered = body.replace("a@example.com", "evil@example.com");
    const response = await t.fetch("/clerk-users-webhook", { method: "POST", headers, body: tampered });
    expect(response.status).toBe(400);
    expect(await countRows(t, "users")).toBe(0);
  });

  it("refuses a signature older than the 5-minute tolerance, and accepts one inside it", async () => {
    const t = newBackend();
    const stale = await postClerkEvent(t, clerkUserEvent("user.created", { id: freshClerkId(), email: "s@example.com" }), {
      timestamp: new Date(Date.now() - 6 * 60_000),
    });
    expect(stale.status).toBe(400);
    const future = await postClerkEvent(t, clerkUserEvent("user.created", { id: freshClerkId(), email: "u@example.com" }), {
      timestamp: new Date(Date.now() + 6 * 60_000),
    });
    expect(future.status).toBe(400);
    expect(await countRows(t, "users")).toBe(0);
    const recent = await postClerkEvent(t, clerkUserEvent("user.created", { id: freshClerkId(), email: "r@example.com" }), {
      timestamp: new Date(Date.now() - 4 * 60_000),
    });
    expect(recent.status).toBe(200);
    expect(await countRows(t, "users")).toBe(1);
  });

  it.each(["svix-id", "svix-timestamp", "svix-signature"])("refuses a request missing %s", async (header) => {
    const t = newBackend();
    const body = JSON.stringify(clerkUserEvent("user.created", { id: freshClerkId(), email: "m@example.com" }));
    const headers: Record<string, string> = svixHeaders(body);
    delete headers[header];
    const response = await t.fetch("/clerk-users-webhook", { method: "POST", headers, body });
    expect(response.status).toBe(400);
    expect(await countRows(t, "users")).toBe(0);
  });

  it("accepts a rotated secret: two v1 signatures, one from the current secret", async () => {
    const t = newBackend();
    const oldSecret = `whsec_${btoa("the-previous-signing-secret-0000")}`;
    const body = JSON.stringify(clerkUserEvent("user.created", { id: freshClerkId(), email: "rot@example.com" }));
    const svixId = newSvixId();
    const now = new Date();
    const withOld = new Webhook(oldSecret).sign(svixId, now, body);
    const withCurrent = new Webhook(WEBHOOK_SECRET).sign(svixId, now, body);
    const headers = {
      "svix-id": svixId,
      "svix-timestamp": String(Math.floor(now.getTime() / 1000)),
      "svix-signature": `${withOld} ${withCurrent}`,
    };
    expect((await t.fetch("/clerk-users-webhook", { method: "POST", headers, body })).status).toBe(200);
    expect(await countRows(t, "users")).toBe(1);
    // Only the old secret's signature: refused.
    const body2 = JSON.stringify(clerkUserEvent("user.created", { id: freshClerkId(), email: "rot2@example.com" }));
    const onlyOld = await postClerkEvent(t, JSON.parse(body2), { secret: oldSecret });
    expect(onlyOld.status).toBe(400);
    expect(await countRows(t, "users")).toBe(1);
  });

  it("treats a replayed svix-id as done: 200 and no change", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const svixId = newSvixId();
    await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "one@example.com", updated_at: 10 }), { svixId });
    // Same svix id, different (validly signed) content: a replay must not apply it.
    const replay = await postClerkEvent(
      t,
      clerkUserEvent("user.updated", { id: clerkId, email: "two@example.com", updated_at: 20 }),
      { svixId },
    );
    expect(replay.status).toBe(200);
    expect((await userRow(t, clerkId))?.email).toBe("one@example.com");
    expect(await countRows(t, "webhookEvents")).toBe(1);
  });

  it("applies user.updated before user.created, and ignores the older event that arrives late", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const updated = await postClerkEvent(
      t,
      clerkUserEvent("user.updated", { id: clerkId, email: "new@example.com", first_name: "New", updated_at: 2_000 }),
    );
    expect(updated.status).toBe(200);
    const created = await postClerkEvent(
      t,
      clerkUserEvent("user.created", { id: clerkId, email: "old@example.com", first_name: "Old", updated_at: 1_000 }),
    );
    expect(created.status).toBe(200);
    const user = await userRow(t, clerkId);
    expect(user).toMatchObject({ email: "new@example.com", displayName: "New", clerkUpdatedAt: 2_000 });
    expect(await countRows(t, "users")).toBe(1);
  });

  it("acknowledges unknown event types without writing a user", async () => {
    const t = newBackend();
    const response = await postClerkEvent(t, { type: "session.created", object: "event", data: { id: "sess_1" } });
    expect(response.status).toBe(200);
    expect(await countRows(t, "users")).toBe(0);
  });

  it("answers 400 to a signed but malformed user event", async () => {
    const t = newBackend();
    const response = await postClerkEvent(t, { type: "user.created", object: "event", data: { email_addresses: [] } });
    expect(response.status).toBe(400);
    expect(await countRows(t, "users")).toBe(0);
  });

  it("answers 500 and writes nothing when the signing secret is missing", async () => {
    const t = newBackend();
    const body = JSON.stringify(clerkUserEvent("user.created", { id: freshClerkId(), email: "n@example.com" }));
    const headers = svixHeaders(body);
    delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await t.fetch("/clerk-users-webhook", { method: "POST", headers, body });
    expect(response.status).toBe(500);
    expect(errors.mock.calls.flat().join(" ")).toContain("CLERK_WEBHOOK_SIGNING_SECRET");
    errors.mockRestore();
    expect(await countRows(t, "users")).toBe(0);
  });

  it("user.deleted starts the deletion path; replaying it changes nothing", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "d@example.com" }));
    const svixId = newSvixId();
    expect((await postClerkEvent(t, clerkDeletedEvent(clerkId), { svixId })).status).toBe(200);
    const first = await userRow(t, clerkId);
    expect(first?.deletionRequestedAt).toBeTypeOf("number");
    expect((await postClerkEvent(t, clerkDeletedEvent(clerkId), { svixId })).status).toBe(200);
    expect((await userRow(t, clerkId))?.deletionRequestedAt).toBe(first?.deletionRequestedAt);
  });

  it("stores a 2,000,000-character first_name from a signed event cut to the display-name bound", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const event = clerkUserEvent("user.created", {
      id: clerkId,
      email: "long@example.com",
      first_name: "🌟".repeat(2_000_000), // 4,000,000 UTF-16 units, 8 MB of UTF-8
      last_name: "Lovelace",
      updated_at: 1_700_000_000_100,
    });
    const response = await postClerkEvent(t, event);
    expect(response.status).toBe(200);
    const user = await userRow(t, clerkId);
    expect(user?.displayName).toBe(`${"🌟".repeat(TEXT_BOUNDS.displayName - 1)}…`);
    expect(Array.from(user?.displayName ?? "")).toHaveLength(TEXT_BOUNDS.displayName);
    expect(user).toMatchObject({ email: "long@example.com", clerkUpdatedAt: 1_700_000_000_100 });

    // A later update with a long username and no names is bounded the same way.
    const update = clerkUserEvent("user.updated", { id: clerkId, email: "long@example.com", updated_at: 1_700_000_000_200 });
    const username = "u".repeat(500_000);
    const updated = await postClerkEvent(t, { ...update, data: { ...update.data, username } });
    expect(updated.status).toBe(200);
    expect((await userRow(t, clerkId))?.displayName).toBe(`${"u".repeat(TEXT_BOUNDS.displayName - 1)}…`);
  });

  it("stores an address too long to be one as none, and refuses an over-long Clerk id or svix id", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const longEmail = `${"a".repeat(TEXT_BOUNDS.email)}@example.com`;
    expect((await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: longEmail }))).status).toBe(200);
    expect((await userRow(t, clerkId))?.email).toBe("");

    const tooLongId = `user_${"x".repeat(TEXT_BOUNDS.externalId)}`;
    expect((await postClerkEvent(t, clerkUserEvent("user.created", { id: tooLongId, email: "x@example.com" }))).status).toBe(400);
    expect((await postClerkEvent(t, clerkDeletedEvent(tooLongId))).status).toBe(400);
    const tooLongSvixId = `msg_${"y".repeat(TEXT_BOUNDS.externalId)}`;
    const other = clerkUserEvent("user.created", { id: freshClerkId(), email: "y@example.com" });
    expect((await postClerkEvent(t, other, { svixId: tooLongSvixId })).status).toBe(400);
    expect(await countRows(t, "users")).toBe(1);
    expect(await countRows(t, "webhookEvents")).toBe(1);
  });

  it("bounds the token's name the same way when the app's first call creates the account", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const as = t.withIdentity({ subject: clerkId, email: "token@example.com", name: "n".repeat(100_000), issuer: "https://clerk.test" });
    const view = await as.mutation(api.users.ensure, {});
    expect(view.displayName).toBe(`${"n".repeat(TEXT_BOUNDS.displayName - 1)}…`);
    expect(view.email).toBe("token@example.com");
  });

  it("user.deleted for an unknown Clerk id is acknowledged and writes no user", async () => {
    const t = newBackend();
    expect((await postClerkEvent(t, clerkDeletedEvent(freshClerkId()))).status).toBe(200);
    expect(await countRows(t, "users")).toBe(0);
  });
});

describe("webhook retention (svix ids kept 30 days)", () => {
  const DAY = 24 * 60 * 60 * 1000;

  /** Runs the cron's target at the fake clock `now` and everything it schedules. */
  async function pruneAt(t: ReturnType<typeof newBackend>, now: number) {
    vi.useFakeTimers();
    vi.setSystemTime(now);
    await t.mutation(internal.users.pruneWebhookEvents, { now });
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0), 10_000);
    vi.useRealTimers();
  }

  async function jobCounts(t: ReturnType<typeof newBackend>) {
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    const count = (name: string, kind?: string) =>
      jobs.filter((job) => job.name === name && (kind === undefined || job.state.kind === kind)).length;
    return {
      batches: count("users:pruneWebhookEventsBatch"),
      failed: jobs.filter((job) => job.state.kind === "failed").length,
      drivers: count("users:pruneWebhookEvents"),
    };
  }

  it("a replay inside the window is deduplicated; the id is forgotten once the window has passed", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const svixId = newSvixId();
    const processedAt = Date.UTC(2026, 4, 1, 12);
    vi.useFakeTimers();
    vi.setSystemTime(processedAt);
    await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "one@example.com", updated_at: 10 }), { svixId });
    vi.useRealTimers();
    expect(WEBHOOK_EVENT_RETENTION_MS).toBe(30 * DAY);

    // One millisecond inside the window: kept, and a redelivery still changes nothing.
    await pruneAt(t, processedAt + 30 * DAY - 1);
    expect(await countRows(t, "webhookEvents")).toBe(1);
    vi.useFakeTimers();
    vi.setSystemTime(processedAt + 30 * DAY - 1);
    const replay = await postClerkEvent(
      t,
      clerkUserEvent("user.updated", { id: clerkId, email: "two@example.com", updated_at: 20 }),
      { svixId },
    );
    vi.useRealTimers();
    expect(replay.status).toBe(200);
    expect((await userRow(t, clerkId))?.email).toBe("one@example.com");

    // Exactly 30 days after processing: deleted. The user is untouched.
    await pruneAt(t, processedAt + 30 * DAY);
    expect(await countRows(t, "webhookEvents")).toBe(0);
    expect((await userRow(t, clerkId))?.email).toBe("one@example.com");
  });

  it("scale: 10,000 svix ids, half past the window, pruned under transaction limits; a second run finds none", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 4, 29);
    const EVENTS = 10_000;
    // Processed every 6 minutes over the last ~41.7 days: ids 0..4,999 are within 30 days
    // (ages 0 to 29.99 days), the rest are older.
    const step = (30 * DAY) / 5_000;
    for (let first = 0; first < EVENTS; first += 2_500) {
      await t.run(async (ctx) => {
        for (let i = first; i < first + 2_500; i++) {
          await ctx.db.insert("webhookEvents", { svixId: `msg_scale_${i}`, eventType: "user.updated", processedAt: now - i * step });
        }
      });
    }
    await pruneAt(t, now);
    const left = await t.run(async (ctx) => await ctx.db.query("webhookEvents").collect());
    expect(left).toHaveLength(5_000);
    expect(left.every((event) => event.processedAt > now - WEBHOOK_EVENT_RETENTION_MS)).toBe(true);
    const first = await jobCounts(t);
    expect(first).toEqual({ failed: 0, batches: 5_000 / 50, drivers: Math.ceil(5_000 / PAGE_SIZE) - 1 });

    await pruneAt(t, now);
    expect(await countRows(t, "webhookEvents")).toBe(5_000);
    expect(await jobCounts(t)).toEqual(first);
  });
});
