import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api";
import {
  WEBHOOK_SECRET,
  clerkDeletedEvent,
  clerkUserEvent,
  countRows,
  createUser,
  expectConvexError,
  freshClerkId,
  newBackend,
  postClerkEvent,
  signedIn,
} from "../setup";
import { scheduleRow } from "../support/userState";

beforeEach(() => {
  process.env.CLERK_WEBHOOK_SIGNING_SECRET = WEBHOOK_SECRET;
});
afterEach(() => {
  delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
});

describe("the access layer", () => {
  it("refuses every public function without an identity", async () => {
    const t = newBackend();
    await expectConvexError(t.query(api.users.me, {}), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.users.ensure, {}), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.users.updateSettings, { timezone: "UTC" }), "UNAUTHENTICATED");
    expect(await countRows(t, "users")).toBe(0);
  });

  it("users.me answers null until the row exists, and never writes", async () => {
    const t = newBackend();
    const as = signedIn(t, freshClerkId());
    expect(await as.query(api.users.me, {})).toBeNull();
    expect(await countRows(t, "users")).toBe(0);
  });

  it("sign-up race, token first: ensure creates the row and the late webhook updates it", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const as = signedIn(t, clerkId, "token@example.com");
    const created = await as.mutation(api.users.ensure, {});
    expect(created.email).toBe("token@example.com");
    expect(created.displayName).toBe("Test User");
    expect(await as.mutation(api.users.ensure, {})).toEqual(created); // idempotent
    await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "hook@example.com", first_name: "Hook", updated_at: 5 }));
    expect(await countRows(t, "users")).toBe(1);
    const me = await as.query(api.users.me, {});
    expect(me).toMatchObject({ _id: created._id, email: "hook@example.com", displayName: "Hook" });
  });

  it("sign-up race, webhook first: ensure finds the same row", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    await postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "hook@example.com", updated_at: 5 }));
    const as = signedIn(t, clerkId, "token@example.com");
    const ensured = await as.mutation(api.users.ensure, {});
    expect(ensured.email).toBe("hook@example.com"); // token claims never overwrite Clerk's data
    expect(await countRows(t, "users")).toBe(1);
  });

  it("concurrent first mutations for one identity still make exactly one row", async () => {
    const t = newBackend();
    const clerkId = freshClerkId();
    const as = signedIn(t, clerkId);
    const results = await Promise.all([
      as.mutation(api.users.ensure, {}),
      as.mutation(api.users.updateSettings, { dailyCapacityMinutes: 90 }),
      postClerkEvent(t, clerkUserEvent("user.created", { id: clerkId, email: "c@example.com", updated_at: 7 })),
    ]);
    expect(results[0]._id).toBe(results[1]._id);
    expect(await countRows(t, "users")).toBe(1);
  });

  it("users of a pending deletion are refused everywhere but users.me", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await postClerkEvent(t, clerkDeletedEvent(user.clerkId));
    await expectConvexError(user.as.mutation(api.users.ensure, {}), "ACCOUNT_DELETION_PENDING");
    await expectConvexError(user.as.mutation(api.users.updateSettings, { timezone: "UTC" }), "ACCOUNT_DELETION_PENDING");
    const me = await user.as.query(api.users.me, {});
    expect(me?.deletionRequestedAt).toBeTypeOf("number");
  });
});

describe("users.updateSettings", () => {
  it("stores valid settings and moves the daily schedule to the new zone's midnight", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const view = await user.as.mutation(api.users.updateSettings, {
      displayName: "  Grace  ",
      timezone: "Asia/Tokyo",
      dailyCapacityMinutes: 45,
    });
    expect(view).toMatchObject({ displayName: "Grace", timezone: "Asia/Tokyo", dailyCapacityMinutes: 45 });
    const schedule = await scheduleRow(t, user.userId);
    // Tokyo has no DST: its midnight is 15:00 UTC.
    expect(new Date(schedule.nextDailyAt).getUTCHours()).toBe(15);
    expect(schedule.nextDailyAt).toBeGreaterThan(Date.now());
  });

  it.each([
    [{ timezone: "Mars/Olympus" }, "timezone"],
    [{ timezone: "" }, "timezone"],
    [{ dailyCapacityMinutes: 4 }, "dailyCapacityMinutes"],
    [{ dailyCapacityMinutes: 1441 }, "dailyCapacityMinutes"],
    [{ dailyCapacityMinutes: 30.5 }, "dailyCapacityMinutes"],
    [{ displayName: "   " }, "displayName"],
    [{ displayName: "x".repeat(81) }, "displayName"],
  ])("refuses %j with INVALID_ARGUMENT and changes nothing", async (args, field) => {
    const t = newBackend();
    const user = await createUser(t);
    const before = await t.run(async (ctx) => ctx.db.get("users", user.userId));
    const error = await expectConvexError(
      user.as.mutation(api.users.updateSettings, { timezone: "Europe/Paris", ...args }),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain(field);
    expect(await t.run(async (ctx) => ctx.db.get("users", user.userId))).toEqual(before);
  });

  it("accepts the bounds 5 and 1440", async () => {
    const t = newBackend();
    const user = await createUser(t);
    expect((await user.as.mutation(api.users.updateSettings, { dailyCapacityMinutes: 5 })).dailyCapacityMinutes).toBe(5);
    expect((await user.as.mutation(api.users.updateSettings, { dailyCapacityMinutes: 1440 })).dailyCapacityMinutes).toBe(1440);
  });
});
