// Conversations and messages as a client sees them: the public API's auth and ownership
// rules, content validation, the per-user rate limit, the mirror progression (MECHANICS §8)
// and the idle job. No model is configured here (OPENAI_API_KEY unset), so messages are
// kept as `skipped` and nothing is scheduled; tests/convex/pipeline.test.ts covers the model.
//
// Time: the mirror tests fake only `Date` (vi.useFakeTimers({ toFake: ["Date"] })) to move
// between local dates; setTimeout stays real, so convex-test's scheduler keeps working.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { BATCH_SIZE, PAGE_SIZE } from "../../convex/model/batching";
import { TEXT_BOUNDS } from "../../src/text";
import { SEND_MESSAGE_LIMITS } from "../../convex/rateLimits";
import { HOUR } from "../../src/time";
import { createUser, expectConvexError, newBackend, signedIn, type Backend, type TestUser } from "../setup";
import { userDoc } from "../support/constellation";

let savedKey: string | undefined;
beforeEach(() => {
  savedKey = process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_API_KEY;
});
afterEach(() => {
  vi.useRealTimers();
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
});

const FIRST_PAGE = { numItems: 50, cursor: null };

async function userRow(t: Backend, userId: Id<"users">) {
  const user = await t.run(async (ctx) => await ctx.db.get("users", userId));
  if (user === null) throw new Error("user gone");
  return user;
}

async function messageCount(t: Backend): Promise<number> {
  return await t.run(async (ctx) => (await ctx.db.query("messages").collect()).length);
}

async function conversationRow(t: Backend, id: Id<"conversations">) {
  return await t.run(async (ctx) => await ctx.db.get("conversations", id));
}

// ---------------------------------------------------------------------------------------

describe("auth and ownership: every public function", () => {
  it("refuses an unauthenticated caller", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const conversationId = await owner.as.mutation(api.conversations.start, { phase: "discovery" });
    const messageId = await owner.as.mutation(api.messages.send, { conversationId, content: "hi" });
    const calls = [
      t.mutation(api.conversations.start, { phase: "discovery" }),
      t.query(api.conversations.list, { paginationOpts: FIRST_PAGE }),
      t.query(api.conversations.get, { conversationId }),
      t.mutation(api.conversations.complete, { conversationId }),
      t.query(api.messages.list, { conversationId, paginationOpts: FIRST_PAGE }),
      t.mutation(api.messages.send, { conversationId, content: "hi" }),
      t.mutation(api.messages.retry, { messageId }),
    ];
    for (const call of calls) await expectConvexError(call, "UNAUTHENTICATED");
    expect(await messageCount(t)).toBe(1);
  });

  it("answers NOT_FOUND for another user's conversation and message, exactly like a missing one", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const intruder = await createUser(t);
    const conversationId = await owner.as.mutation(api.conversations.start, { phase: "discovery" });
    const messageId = await owner.as.mutation(api.messages.send, { conversationId, content: "mine" });
    const missing = await t.run(async (ctx) => {
      const id = await ctx.db.insert("conversations", {
        userId: owner.userId,
        phase: "walk",
        status: "active",
        messageCount: 0,
        userMessageCount: 0,
        startedAt: 0,
        lastMessageAt: 0,
      });
      await ctx.db.delete("conversations", id);
      return id;
    });
    for (const id of [conversationId, missing]) {
      const as = intruder.as;
      const errors = [
        await expectConvexError(as.query(api.conversations.get, { conversationId: id }), "NOT_FOUND"),
        await expectConvexError(as.mutation(api.conversations.complete, { conversationId: id }), "NOT_FOUND"),
        await expectConvexError(as.query(api.messages.list, { conversationId: id, paginationOpts: FIRST_PAGE }), "NOT_FOUND"),
        await expectConvexError(as.mutation(api.messages.send, { conversationId: id, content: "x" }), "NOT_FOUND"),
      ];
      expect(errors.map((e) => e.message)).toEqual([
        "conversation not found",
        "conversation not found",
        "conversation not found",
        "conversation not found",
      ]);
    }
    const retried = await expectConvexError(intruder.as.mutation(api.messages.retry, { messageId }), "NOT_FOUND");
    expect(retried.message).toBe("message not found");
    // The intruder's own list does not show it; nothing of the owner's changed.
    expect((await intruder.as.query(api.conversations.list, { paginationOpts: FIRST_PAGE })).page).toEqual([]);
    expect(await conversationRow(t, conversationId)).toMatchObject({ status: "active", messageCount: 1 });
    expect(await messageCount(t)).toBe(1);
  });

  it("refuses an account pending deletion", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    await t.run(async (ctx) => await ctx.db.patch("users", user.userId, { deletionRequestedAt: Date.now() }));
    await expectConvexError(user.as.mutation(api.messages.send, { conversationId, content: "hi" }), "ACCOUNT_DELETION_PENDING");
    await expectConvexError(user.as.query(api.conversations.list, { paginationOpts: FIRST_PAGE }), "ACCOUNT_DELETION_PENDING");
  });
});

describe("conversations", () => {
  it("start, get and list (newest first, paginated)", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const ids: Id<"conversations">[] = [];
    for (const phase of ["onboarding", "discovery", "walk", "reflection"] as const) {
      ids.push(await as.mutation(api.conversations.start, { phase }));
    }
    expect(await as.query(api.conversations.get, { conversationId: ids[1] })).toMatchObject({
      _id: ids[1],
      phase: "discovery",
      status: "active",
      messageCount: 0,
      userMessageCount: 0,
    });
    const first = await as.query(api.conversations.list, { paginationOpts: { numItems: 3, cursor: null } });
    expect(first.page.map((c) => c._id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(first.isDone).toBe(false);
    const rest = await as.query(api.conversations.list, { paginationOpts: { numItems: 3, cursor: first.continueCursor } });
    expect(rest.page.map((c) => c._id)).toEqual([ids[0]]);
  });

  it("complete: active → completed once; a completed conversation takes no messages", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    expect(await as.mutation(api.conversations.complete, { conversationId })).toEqual({
      mirrorAdvanced: false,
      mirrorDay: 0,
      currentPhase: "onboarding",
    });
    expect(await as.query(api.conversations.get, { conversationId })).toMatchObject({ status: "completed" });
    await expectConvexError(as.mutation(api.conversations.complete, { conversationId }), "INVALID_TRANSITION");
    await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "late" }), "INVALID_TRANSITION");
    expect(await messageCount(t)).toBe(0);
  });
});

describe("messages.send", () => {
  it("trims and bounds the content (1..8,000 characters, an emoji counts once)", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "   \n\t " }), "INVALID_ARGUMENT");
    await expectConvexError(
      as.mutation(api.messages.send, { conversationId, content: "a".repeat(TEXT_BOUNDS.message + 1) }),
      "INVALID_ARGUMENT",
    );
    expect(await messageCount(t)).toBe(0);
    const longest = "🌟".repeat(TEXT_BOUNDS.message); // 16,000 UTF-16 units, 8,000 characters
    const id = await as.mutation(api.messages.send, { conversationId, content: `  ${longest}  ` });
    const page = await as.query(api.messages.list, { conversationId, paginationOpts: FIRST_PAGE });
    expect(page.page).toEqual([
      expect.objectContaining({
        _id: id,
        role: "user",
        content: longest,
        extraction: expect.objectContaining({ status: "skipped", reason: "no model configured" }),
      }),
    ]);
    const conversation = await as.query(api.conversations.get, { conversationId });
    expect(conversation).toMatchObject({ messageCount: 1, userMessageCount: 1 });
    expect(conversation.lastMessageAt).toBe(page.page[0].createdAt);
  });

  it("messages.list pages a conversation newest first", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    const other = await as.mutation(api.conversations.start, { phase: "walk" });
    await as.mutation(api.messages.send, { conversationId: other, content: "elsewhere" });
    for (let i = 0; i < 5; i += 1) await as.mutation(api.messages.send, { conversationId, content: `m${i}` });
    const first = await as.query(api.messages.list, { conversationId, paginationOpts: { numItems: 3, cursor: null } });
    expect(first.page.map((m) => m.content)).toEqual(["m4", "m3", "m2"]);
    const rest = await as.query(api.messages.list, {
      conversationId,
      paginationOpts: { numItems: 3, cursor: first.continueCursor },
    });
    expect(rest.page.map((m) => m.content)).toEqual(["m1", "m0"]);
    expect(rest.isDone).toBe(true);
  });
});

describe("rate limit", () => {
  it("the 31st message in an hour on the free plan: RATE_LIMITED with retryAfterMs, nothing stored", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    for (let i = 0; i < SEND_MESSAGE_LIMITS.free.rate; i += 1) {
      await as.mutation(api.messages.send, { conversationId, content: `message ${i}` });
    }
    const error = await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "one more" }), "RATE_LIMITED");
    // The bucket refills one message every 2 minutes.
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(HOUR / 30);
    expect(await messageCount(t)).toBe(30);
    expect(await conversationRow(t, conversationId)).toMatchObject({ messageCount: 30, userMessageCount: 30 });
    // The limiter's row is the one erasure deletes: name "sendMessage", key the user id.
    const limiter = await t.run(async (ctx) => await ctx.db.query("rateLimits").collect());
    expect(limiter.map((row) => [row.name, row.key])).toEqual([["sendMessage", userId]]);
    // Another user is not affected.
    const other = await createUser(t);
    const theirs = await other.as.mutation(api.conversations.start, { phase: "discovery" });
    await other.as.mutation(api.messages.send, { conversationId: theirs, content: "hello" });
  });

  it("refills over time, and pro allows 200 an hour", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 2, 2, 9, 0));
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    for (let i = 0; i < 30; i += 1) await as.mutation(api.messages.send, { conversationId, content: `m${i}` });
    const { retryAfterMs } = await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "x" }), "RATE_LIMITED");
    vi.setSystemTime(Date.now() + (retryAfterMs ?? 0));
    await as.mutation(api.messages.send, { conversationId, content: "after the wait" });
    await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "x" }), "RATE_LIMITED");

    await t.run(async (ctx) => await ctx.db.patch("users", userId, { tier: "pro" }));
    vi.setSystemTime(Date.now() + HOUR); // bucket refills to the pro capacity
    for (let i = 0; i < 200; i += 1) await as.mutation(api.messages.send, { conversationId, content: `p${i}` });
    await expectConvexError(as.mutation(api.messages.send, { conversationId, content: "x" }), "RATE_LIMITED");
  });
});

describe("mirror progression (MECHANICS §8)", () => {
  async function mirrorConversation(user: TestUser, userMessages = 3) {
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "mirror" });
    for (let i = 0; i < userMessages; i += 1) {
      await user.as.mutation(api.messages.send, { conversationId, content: `reflection ${i}` });
    }
    return await user.as.mutation(api.conversations.complete, { conversationId });
  }

  it("advances mirrorDay at most once per local date (user's timezone); day 7 opens the birth chart", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    // 10:00 in Tokyo on March 2nd.
    vi.setSystemTime(Date.UTC(2026, 2, 2, 1, 0));
    const t = newBackend();
    const user = await createUser(t, { timezone: "Asia/Tokyo" });
    expect((await userRow(t, user.userId)).currentPhase).toBe("onboarding");

    // Starting the first mirror conversation moves onboarding → mirror; its day is 1.
    const first = await user.as.mutation(api.conversations.start, { phase: "mirror" });
    expect((await userRow(t, user.userId)).currentPhase).toBe("mirror");
    expect(await user.as.query(api.conversations.get, { conversationId: first })).toMatchObject({ mirrorDay: 1 });
    for (let i = 0; i < 3; i += 1) await user.as.mutation(api.messages.send, { conversationId: first, content: `m${i}` });
    expect(await user.as.mutation(api.conversations.complete, { conversationId: first })).toEqual({
      mirrorAdvanced: true,
      mirrorDay: 1,
      currentPhase: "mirror",
    });
    expect(await userRow(t, user.userId)).toMatchObject({ mirrorDay: 1, lastMirrorAdvanceDate: "2026-03-02" });

    // Same local date: no second advance.
    expect(await mirrorConversation(user)).toMatchObject({ mirrorAdvanced: false, mirrorDay: 1 });

    // 23:30 in Tokyo, still March 2nd there (14:30 UTC): still 1.
    vi.setSystemTime(Date.UTC(2026, 2, 2, 14, 30));
    expect(await mirrorConversation(user)).toMatchObject({ mirrorAdvanced: false, mirrorDay: 1 });

    // 00:30 on March 3rd in Tokyo (the same UTC date): the next local date.
    vi.setSystemTime(Date.UTC(2026, 2, 2, 15, 30));
    // Fewer than 3 user messages does not count...
    expect(await mirrorConversation(user, 2)).toMatchObject({ mirrorAdvanced: false, mirrorDay: 1 });
    // ...and a completed non-mirror conversation neither.
    const discovery = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    for (let i = 0; i < 3; i += 1) await user.as.mutation(api.messages.send, { conversationId: discovery, content: `d${i}` });
    expect(await user.as.mutation(api.conversations.complete, { conversationId: discovery })).toMatchObject({ mirrorAdvanced: false });
    expect(await mirrorConversation(user)).toMatchObject({ mirrorAdvanced: true, mirrorDay: 2, currentPhase: "mirror" });

    // Days 3..6, one a day; each new mirror conversation carries the day in progress.
    for (let day = 3; day <= 6; day += 1) {
      vi.setSystemTime(Date.now() + 24 * HOUR);
      expect(await mirrorConversation(user)).toMatchObject({ mirrorAdvanced: true, mirrorDay: day, currentPhase: "mirror" });
    }
    vi.setSystemTime(Date.now() + 24 * HOUR);
    const seventh = await user.as.mutation(api.conversations.start, { phase: "mirror" });
    expect(await user.as.query(api.conversations.get, { conversationId: seventh })).toMatchObject({ mirrorDay: 7 });
    for (let i = 0; i < 3; i += 1) await user.as.mutation(api.messages.send, { conversationId: seventh, content: `m${i}` });
    expect(await user.as.mutation(api.conversations.complete, { conversationId: seventh })).toEqual({
      mirrorAdvanced: true,
      mirrorDay: 7,
      currentPhase: "birth_chart",
    });

    // After the mirror: nothing moves any more, and the phase never goes back.
    vi.setSystemTime(Date.now() + 24 * HOUR);
    expect(await mirrorConversation(user)).toMatchObject({ mirrorAdvanced: false, mirrorDay: 7, currentPhase: "birth_chart" });
    expect(await userRow(t, user.userId)).toMatchObject({ mirrorDay: 7, currentPhase: "birth_chart" });
  });

  it("a mirror conversation does not move a user past onboarding twice, nor a walking user back", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await t.run(async (ctx) => await ctx.db.patch("users", user.userId, { currentPhase: "walk", mirrorDay: 7 }));
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "mirror" });
    expect(await user.as.query(api.conversations.get, { conversationId })).not.toHaveProperty("mirrorDay");
    expect((await userRow(t, user.userId)).currentPhase).toBe("walk");
  });
});

describe("idle conversations", () => {
  it("the job abandons active conversations idle for 24 h, paged and fanned out in batches", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const now = Date.now();
    const idleCount = PAGE_SIZE + BATCH_SIZE + 7; // two pages, several batches
    const seed = (lastMessageAt: number, status: "active" | "completed" = "active") => ({
      userId,
      phase: "discovery" as const,
      status,
      messageCount: 1,
      userMessageCount: 1,
      startedAt: lastMessageAt,
      lastMessageAt,
    });
    const { idle, fresh, completed } = await t.run(async (ctx) => {
      const idle: Id<"conversations">[] = [];
      for (let i = 0; i < idleCount; i += 1) idle.push(await ctx.db.insert("conversations", seed(now - 24 * HOUR - i * 1000)));
      return {
        idle,
        fresh: await ctx.db.insert("conversations", seed(now - 24 * HOUR + 60_000)),
        completed: await ctx.db.insert("conversations", seed(now - 48 * HOUR, "completed")),
      };
    });
    await t.mutation(internal.conversations.abandonIdle, { now });
    await t.finishAllScheduledFunctions(() => {});

    const all = await t.run(async (ctx) => await ctx.db.query("conversations").collect());
    const statuses = new Map(all.map((c) => [c._id, c.status]));
    expect(idle.filter((id) => statuses.get(id) !== "abandoned")).toEqual([]);
    expect(statuses.get(fresh)).toBe("active");
    expect(statuses.get(completed)).toBe("completed");
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(jobs.filter((job) => job.name === "conversations:abandonIdleBatch")).toHaveLength(
      Math.ceil(PAGE_SIZE / BATCH_SIZE) + Math.ceil((idleCount - PAGE_SIZE) / BATCH_SIZE),
    );
    // An abandoned conversation takes no messages.
    await expectConvexError(as.mutation(api.messages.send, { conversationId: idle[0], content: "back" }), "INVALID_TRANSITION");
  });

  it("scale: 2,000 users with an idle conversation each, under transaction limits", async () => {
    const t = newBackend();
    const USERS = 2_000;
    const now = Date.now();
    const idle = await t.run(async (ctx) => {
      const ids: Id<"conversations">[] = [];
      for (let i = 0; i < USERS; i += 1) {
        const userId = await ctx.db.insert("users", userDoc(`user_scale_${i}`));
        const lastMessageAt = now - 25 * HOUR - i;
        ids.push(
          await ctx.db.insert("conversations", {
            userId,
            phase: "mirror",
            status: "active",
            messageCount: 4,
            userMessageCount: 2,
            startedAt: lastMessageAt - HOUR,
            lastMessageAt,
          }),
        );
      }
      return ids;
    });
    await t.mutation(internal.conversations.abandonIdle, { now });
    await t.finishAllScheduledFunctions(() => {});
    const statuses = await t.run(async (ctx) => (await ctx.db.query("conversations").collect()).map((c) => c.status));
    expect(statuses.filter((status) => status === "abandoned")).toHaveLength(idle.length);
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(jobs.filter((job) => job.state.kind === "failed")).toEqual([]);
    // A second run the same hour finds nothing to do.
    await t.mutation(internal.conversations.abandonIdle, { now });
    await t.finishAllScheduledFunctions(() => {});
    const after = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(after.filter((job) => job.name === "conversations:abandonIdleBatch")).toHaveLength(
      jobs.filter((job) => job.name === "conversations:abandonIdleBatch").length,
    );
  });

  it("a batch re-checks each conversation: one that got a message after the page was read stays active", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    const start = (await conversationRow(t, conversationId))!.lastMessageAt;
    // The job's clock says 25 h later, but a message arrived after that instant.
    await t.run(async (ctx) => await ctx.db.patch("conversations", conversationId, { lastMessageAt: start + 26 * HOUR }));
    const abandoned = await t.mutation(internal.conversations.abandonIdleBatch, {
      conversationIds: [conversationId],
      now: start + 25 * HOUR,
    });
    expect(abandoned).toBe(0);
    expect((await conversationRow(t, conversationId))!.status).toBe("active");
  });
});

describe("signed in but not provisioned", () => {
  it("queries answer ACCOUNT_NOT_READY; mutations provision the account first", async () => {
    const t = newBackend();
    const fresh = signedIn(t, "user_never_ensured");
    await expectConvexError(fresh.query(api.conversations.list, { paginationOpts: FIRST_PAGE }), "ACCOUNT_NOT_READY");
    const conversationId = await fresh.mutation(api.conversations.start, { phase: "onboarding" });
    expect((await fresh.query(api.conversations.get, { conversationId })).status).toBe("active");
  });
});
