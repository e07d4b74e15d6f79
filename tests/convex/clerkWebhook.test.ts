import { Webhook } from "svix";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api";
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

  it("user.deleted for an unknown Clerk id is acknowledged and writes no user", async () => {
    const t = newBackend();
    expect((await postClerkEvent(t, clerkDeletedEvent(freshClerkId()))).status).toBe(200);
    expect(await countRows(t, "users")).toBe(0);
  });
});
