// What the coach costs (issue 15): the one path every model call takes (a source scan), the
// usage ledger (one document per user-day, totals = the sum over the day's calls, cost from
// the price table), budgets by tier (exhausted mid-day, reset at local midnight in two
// zones; an expired pro counts as free), reserve and settle with two concurrent turns, the
// reservation TTL, background work deferred and resumed, the reads, cross-user isolation.
//
// Clocks: the tests that reach the loopback OpenAI server run on real timers (the SDK and
// node:http need them; `settle` polls the scheduler); the budget windows use fake timers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { RESERVATION_TTL_MS, reserveModelCall, settleModelCall } from "../../convex/model/usage";
import { costOf } from "../../src/llm/prices";
import { localDate } from "../../src/time";
import { RESERVATION_RECHECK_MS, TOKEN_BUDGETS } from "../../src/usage";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { startOpenAIServer, type OpenAIServer, type ScriptedUsage } from "../support/openaiServer";
import { insertJourney, journeyRow } from "../support/trajectory";

const ENV_KEYS = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENAI_MODEL",
  "OPENAI_TIMEOUT_MS",
  "EXTRACTION_BACKOFF_JITTER",
  "OPENAI_EMBEDDING_MODEL",
];
let server: OpenAIServer;
let savedEnv: Record<string, string | undefined>;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  process.env.OPENAI_API_KEY = "test-key";
  process.env.OPENAI_BASE_URL = server.baseURL;
  delete process.env.OPENAI_MODEL;
  process.env.OPENAI_TIMEOUT_MS = "5000";
  process.env.EXTRACTION_BACKOFF_JITTER = "0";
  // The ledger's exact sums below are over chat and experiment calls; the turn's embeddings
  // calls have their own test ("embeddings are budgeted too"), which turns them back on.
  process.env.OPENAI_EMBEDDING_MODEL = "none";
});
afterEach(() => {
  vi.useRealTimers();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

type Job = { name: string; args: unknown[]; scheduledTime: number; state: { kind: string } };
async function jobs(t: Backend): Promise<Job[]> {
  return (await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect())) as Job[];
}

/**
 * Real timers: runs scheduled functions until none is pending or running (an experiment's
 * midnight expiry aside); none may fail.
 */
async function settle(t: Backend): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await t.finishInProgressScheduledFunctions();
    const all = (await jobs(t)).filter((job) => job.name !== "experiments:expire");
    expect(all.filter((job) => job.state.kind === "failed").map((job) => job.name)).toEqual([]);
    if (!all.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    if (Date.now() > deadline) throw new Error("settle: scheduled functions still open after 20 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const turnAnswer = (usage: ScriptedUsage, reply = "I hear you.") => ({
  json: {
    reply,
    extraction: { newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [] },
  },
  usage,
});
const usageOf = (prompt: number, completion: number): ScriptedUsage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

async function chatUser(t: Backend, timezone?: string) {
  const user = await createUser(t, { timezone });
  const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
  return { ...user, conversationId };
}

async function usageDays(t: Backend, userId: Id<"users">): Promise<Doc<"usageDays">[]> {
  return await t.run(
    async (ctx) => await ctx.db.query("usageDays").withIndex("by_user_date", (q) => q.eq("userId", userId)).collect(),
  );
}

async function reservations(t: Backend): Promise<Doc<"usageReservations">[]> {
  return await t.run(async (ctx) => await ctx.db.query("usageReservations").collect());
}

/** A day of settled usage written directly (the budget tests start from a spent day). */
async function seedDay(t: Backend, userId: Id<"users">, localDate: string, totalTokens: number) {
  await t.run(async (ctx) => {
    await ctx.db.insert("usageDays", {
      userId,
      localDate,
      calls: 1,
      promptTokens: totalTokens,
      completionTokens: 0,
      totalTokens,
      microDollars: costOf("gpt-4o-mini", totalTokens, 0).microDollars,
      unpricedCalls: 0,
      reservedTokens: 0,
      lines: [],
    });
  });
}

async function messageRows(t: Backend, userId: Id<"users">): Promise<Doc<"messages">[]> {
  return await t.run(
    async (ctx) => await ctx.db.query("messages").withIndex("by_user", (q) => q.eq("userId", userId)).collect(),
  );
}

async function userDoc(t: Backend, userId: Id<"users">): Promise<Doc<"users">> {
  const user = await t.run(async (ctx) => await ctx.db.get("users", userId));
  if (user === null) throw new Error("no user");
  return user;
}

// ---------------------------------------------------------------------------------------

describe("the one path", () => {
  // Every module of convex/, as source text (vite's ?raw import; _generated excluded).
  const sources = import.meta.glob(["../../convex/**/*.ts", "!../../convex/_generated/**"], {
    query: "?raw",
    import: "default",
    eager: true,
  }) as Record<string, string>;
  const files = Object.keys(sources).map((path) => path.replace("../../", ""));
  const text = (file: string) => sources[`../../${file}`];

  it("only convex/model/usage.ts imports the model client, and calls it only inside callModelWithBudget", () => {
    expect(files.length).toBeGreaterThan(40);
    // The model client: the SDK, the structured call (src/llm/client.ts), the streamed one
    // (src/llm/stream.ts) and the embeddings call (src/llm/embeddings.ts).
    const clientImport = /^import\s+(?!type\b)[^;]*\b(?:callStructured|callStreaming|embedTexts|OpenAI)\b[^;]*from\s+"(?:[./]+\/src\/llm\/(?:client|stream|embeddings)|openai(?:\/[^"]*)?)"/m;
    const importers = files.filter((file) => clientImport.test(text(file)));
    expect(importers).toEqual(["convex/model/usage.ts"]);
    const usage = text("convex/model/usage.ts");
    expect(usage.match(/callStructured\(/g)).toHaveLength(1);
    const wrapper = usage.slice(usage.indexOf("export async function callModelWithBudget"));
    expect(wrapper).toContain("callStructured(");
    expect(wrapper.indexOf("internal.usage.reserve")).toBeLessThan(wrapper.indexOf("callStructured("));
    expect(wrapper.indexOf("callStructured(")).toBeLessThan(wrapper.indexOf("internal.usage.settle"));
  });

  it("lists the model-calling actions: each goes through callModelWithBudget", () => {
    const callers = files.filter((file) => file !== "convex/model/usage.ts" && /\bcallModelWithBudget\(/.test(text(file)));
    // A new model-calling action joins this list (and its budget behaviour gets a test).
    expect(callers.sort()).toEqual(["convex/experiments.ts", "convex/extraction.ts", "convex/reports.ts", "convex/summaries.ts"]);
    // Every embeddings call goes through embedWithBudget (reserve → embed → settle).
    const embedders = files.filter((file) => file !== "convex/model/usage.ts" && /\bembedWithBudget\(/.test(text(file)));
    expect(embedders.sort()).toEqual(["convex/memory.ts", "convex/model/turnMemory.ts", "convex/summaries.ts"]);
    const usageText = text("convex/model/usage.ts");
    const embedder = usageText.slice(usageText.indexOf("export async function embedWithBudget"));
    expect(embedder.indexOf("internal.usage.reserve")).toBeLessThan(embedder.indexOf("await embedTexts(settings, inputs);\n    usage"));
    for (const file of callers) {
      expect(text(file), file).toMatch(/internalAction\(/);
      expect(text(file), file).toMatch(/from "\.\/model\/usage"/);
    }
  });
});

describe("the usage ledger", () => {
  it("one document per user-day whose totals are the sum over the day's calls, priced per model", async () => {
    const t = newBackend();
    const { userId, as, conversationId } = await chatUser(t);
    // Three turns: a success, a malformed answer then a success (the failed call is billed),
    // and a 500 then a success (the 500 bills nothing).
    server.enqueue(turnAnswer(usageOf(1_000, 200)));
    await as.mutation(api.messages.send, { conversationId, content: "first" });
    await settle(t);
    server.enqueue({ raw: "not json", usage: usageOf(900, 50) }, turnAnswer(usageOf(1_100, 300)));
    await as.mutation(api.messages.send, { conversationId, content: "second" });
    await settle(t);
    server.enqueue({ status: 500 }, turnAnswer(usageOf(1_200, 100)));
    await as.mutation(api.messages.send, { conversationId, content: "third" });
    await settle(t);
    expect(server.requests).toHaveLength(5);

    const calls = [usageOf(1_000, 200), usageOf(900, 50), usageOf(1_100, 300), usageOf(1_200, 100)];
    const [day, ...others] = await usageDays(t, userId);
    expect(others).toEqual([]);
    const sum = (f: (u: ScriptedUsage) => number) => calls.reduce((total, u) => total + f(u), 0);
    const cost = calls.reduce((total, u) => total + costOf("gpt-4o-mini", u.prompt_tokens, u.completion_tokens).microDollars, 0);
    expect(cost).toBe(1_000 * 0.15 + 200 * 0.6 + Math.ceil(900 * 0.15 + 50 * 0.6) + 1_100 * 0.15 + 300 * 0.6 + 1_200 * 0.15 + 100 * 0.6);
    expect(day).toMatchObject({
      calls: 4,
      promptTokens: sum((u) => u.prompt_tokens),
      completionTokens: sum((u) => u.completion_tokens),
      totalTokens: sum((u) => u.total_tokens),
      microDollars: cost,
      unpricedCalls: 0,
      reservedTokens: 0,
      lines: [
        {
          purpose: "chat",
          model: "gpt-4o-mini",
          calls: 4,
          promptTokens: 4_200,
          completionTokens: 650,
          totalTokens: 4_850,
          microDollars: cost,
          priced: true,
        },
      ],
    });
    // Every reservation settled; no TTL job left waiting.
    expect(await reservations(t)).toEqual([]);
    expect((await jobs(t)).filter((job) => job.state.kind === "pending")).toEqual([]);
    // The messages' own tokenUsage agrees with the ledger (user messages carry each turn's total).
    const userMessages = (await messageRows(t, userId)).filter((m) => m.role === "user");
    expect(userMessages.reduce((total, m) => total + (m.tokenUsage?.totalTokens ?? 0), 0)).toBe(day.totalTokens);

    const mine = await as.query(api.usage.mine, { now: Date.now() });
    expect(mine.today).toMatchObject({ calls: 4, totalTokens: 4_850, microDollars: cost });
    expect(mine.month).toMatchObject({ calls: 4, totalTokens: 4_850, microDollars: cost });
    expect(mine.remaining).toEqual({
      dailyTokens: TOKEN_BUDGETS.free.daily - 4_850,
      monthlyTokens: TOKEN_BUDGETS.free.monthly - 4_850,
    });
  });

  it("an unknown model is recorded at cost 0 and flagged; experiments count on their own line", async () => {
    process.env.OPENAI_MODEL = "llama3.1:8b";
    const t = newBackend();
    const { userId, as, conversationId } = await chatUser(t);
    server.enqueue(turnAnswer(usageOf(500, 100)));
    await as.mutation(api.messages.send, { conversationId, content: "hello" });
    await settle(t);
    const journeyId = await insertJourney(t, userId);
    server.enqueue({
      json: { when: "After coffee", will: "write one line", at: "at the table", rationale: "Small.", starIds: [] },
      usage: usageOf(300, 40),
    });
    await as.mutation(api.experiments.offerToday, { journeyId });
    await settle(t);
    const [day] = await usageDays(t, userId);
    expect(day).toMatchObject({ calls: 2, totalTokens: 940, microDollars: 0, unpricedCalls: 2 });
    expect(day.lines).toEqual([
      { purpose: "chat", model: "llama3.1:8b", calls: 1, promptTokens: 500, completionTokens: 100, totalTokens: 600, microDollars: 0, priced: false },
      { purpose: "experiment", model: "llama3.1:8b", calls: 1, promptTokens: 300, completionTokens: 40, totalTokens: 340, microDollars: 0, priced: false },
    ]);
  });
});

describe("embeddings are budgeted too", () => {
  it("a turn's embeddings calls land on their own ledger line, and the day's totals are the sum of its lines", async () => {
    process.env.OPENAI_EMBEDDING_MODEL = "text-embedding-3-small";
    const t = newBackend();
    const { userId, as, conversationId } = await chatUser(t);
    server.enqueue(turnAnswer(usageOf(1_000, 200)));
    await as.mutation(api.messages.send, { conversationId, content: "I walked to work this morning" });
    await settle(t);
    // The turn embeds the message before its chat call (the embeddings route records apart).
    const embeddingCalls = server.embeddings.requests;
    expect(embeddingCalls.length).toBeGreaterThanOrEqual(1);
    const [day] = await usageDays(t, userId);
    const chat = day.lines.filter((line) => line.purpose === "chat");
    const embedding = day.lines.filter((line) => line.purpose === "embedding");
    expect(chat).toMatchObject([{ calls: 1, promptTokens: 1_000, completionTokens: 200 }]);
    expect(embedding).toMatchObject([{ model: "text-embedding-3-small", calls: embeddingCalls.length }]);
    const sum = (field: "calls" | "totalTokens" | "microDollars") => day.lines.reduce((total, line) => total + line[field], 0);
    expect(day).toMatchObject({ calls: sum("calls"), totalTokens: sum("totalTokens"), microDollars: sum("microDollars"), reservedTokens: 0 });
    expect(await reservations(t)).toEqual([]);
  });

  it("over budget, an embedding is deferred, not lost: the memory stays pending and nothing is called", async () => {
    process.env.OPENAI_EMBEDDING_MODEL = "text-embedding-3-small";
    const t = newBackend();
    const { userId } = await chatUser(t);
    await seedDay(t, userId, localDate(Date.now(), "UTC"), TOKEN_BUDGETS.free.daily);
    const memoryId = await t.run(async (ctx) =>
      ctx.db.insert("memories", {
        userId,
        kind: "message",
        sourceId: "m-1",
        chunk: 0,
        text: "I walked to work",
        createdAt: Date.now(),
        importance: 0.5,
        vectorStatus: "pending",
        embedAttempts: 0,
      }),
    );
    await t.action(internal.memory.embedMemories, { memoryIds: [memoryId], attempt: 1 });
    expect(server.embeddings.requests).toEqual([]);
    const memory = await t.run(async (ctx) => ctx.db.get("memories", memoryId));
    expect(memory?.vectorStatus).toBe("pending");
    // A retry is scheduled after the budget's retryAfterMs (the sweep would take it too).
    expect((await jobs(t)).some((job) => job.name === "memory:embedMemories" && job.state.kind === "pending")).toBe(true);
  });
});

describe("budgets by tier", () => {
  it("exhausted mid-day, send answers BUDGET_EXCEEDED and stores nothing; the budget resets at each user's local midnight", async () => {
    vi.useFakeTimers();
    // 2026-03-10 12:00 UTC: 21:00 in Tokyo, 08:00 in New York (EDT since 8 March).
    vi.setSystemTime(Date.UTC(2026, 2, 10, 12));
    const t = newBackend();
    const tokyo = await chatUser(t, "Asia/Tokyo");
    const newYork = await chatUser(t, "America/New_York");
    for (const user of [tokyo, newYork]) await seedDay(t, user.userId, "2026-03-10", TOKEN_BUDGETS.free.daily);

    const refusedTokyo = await expectConvexError(
      tokyo.as.mutation(api.messages.send, { conversationId: tokyo.conversationId, content: "hi" }),
      "BUDGET_EXCEEDED",
    );
    expect(refusedTokyo.retryAfterMs).toBe(3 * 3_600_000); // Tokyo's midnight is 15:00 UTC
    const refusedNewYork = await expectConvexError(
      newYork.as.mutation(api.messages.send, { conversationId: newYork.conversationId, content: "hi" }),
      "BUDGET_EXCEEDED",
    );
    expect(refusedNewYork.retryAfterMs).toBe(16 * 3_600_000); // New York's is 04:00 UTC
    expect(await messageRows(t, tokyo.userId)).toEqual([]);
    expect(await messageRows(t, newYork.userId)).toEqual([]);
    expect((await jobs(t)).filter((job) => job.name === "extraction:run")).toEqual([]);
    expect(await tokyo.as.query(api.usage.mine, { now: Date.now() })).toMatchObject({
      localDate: "2026-03-10",
      remaining: { dailyTokens: 0, monthlyTokens: TOKEN_BUDGETS.free.monthly - TOKEN_BUDGETS.free.daily },
      resets: {
        day: { at: Date.UTC(2026, 2, 10, 15), localDate: "2026-03-11" },
        month: { at: Date.UTC(2026, 2, 31, 15), localDate: "2026-04-01" },
      },
    });

    // Just past Tokyo's midnight: Tokyo sends again; New York's day is still 10 March.
    vi.setSystemTime(Date.UTC(2026, 2, 10, 15) + 1);
    const sent = await tokyo.as.mutation(api.messages.send, { conversationId: tokyo.conversationId, content: "hi" });
    expect((await messageRows(t, tokyo.userId)).map((m) => m._id)).toEqual([sent]);
    const stillRefused = await expectConvexError(
      newYork.as.mutation(api.messages.send, { conversationId: newYork.conversationId, content: "hi" }),
      "BUDGET_EXCEEDED",
    );
    expect(stillRefused.retryAfterMs).toBe(13 * 3_600_000 - 1);
    expect(await tokyo.as.query(api.usage.mine, { now: Date.now() })).toMatchObject({
      localDate: "2026-03-11",
      today: { calls: 0, totalTokens: 0 },
      month: { totalTokens: TOKEN_BUDGETS.free.daily },
      remaining: { dailyTokens: TOKEN_BUDGETS.free.daily },
    });

    // New York's midnight: its day resets too.
    vi.setSystemTime(Date.UTC(2026, 2, 11, 4));
    await newYork.as.mutation(api.messages.send, { conversationId: newYork.conversationId, content: "hi" });
    expect(await messageRows(t, newYork.userId)).toHaveLength(1);
  });

  it("the monthly budget holds across days, until the local 1st", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 3, 30, 12)); // 30 April, UTC
    const t = newBackend();
    const user = await chatUser(t, "UTC");
    for (let day = 1; day <= 10; day += 1) {
      await seedDay(t, user.userId, `2026-04-${String(day).padStart(2, "0")}`, TOKEN_BUDGETS.free.monthly / 10);
    }
    const refused = await expectConvexError(
      user.as.mutation(api.messages.send, { conversationId: user.conversationId, content: "hi" }),
      "BUDGET_EXCEEDED",
    );
    expect(refused.message).toContain("monthly");
    expect(refused.retryAfterMs).toBe(12 * 3_600_000);
    vi.setSystemTime(Date.UTC(2026, 4, 1));
    await user.as.mutation(api.messages.send, { conversationId: user.conversationId, content: "hi" });
  });

  it("a pro whose subscription has ended is treated as free", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 5, 1, 12));
    const t = newBackend();
    const user = await chatUser(t, "UTC");
    // Over free's daily budget, far under pro's.
    await seedDay(t, user.userId, "2026-06-01", TOKEN_BUDGETS.free.daily + 10_000);
    await t.run(async (ctx) => {
      await ctx.db.patch("users", user.userId, { tier: "pro", subscriptionEndsAt: Date.now() + 3_600_000 });
    });
    await user.as.mutation(api.messages.send, { conversationId: user.conversationId, content: "while pro" });
    expect(await user.as.query(api.usage.mine, { now: Date.now() })).toMatchObject({
      tier: "pro",
      budgets: { dailyTokens: TOKEN_BUDGETS.pro.daily, monthlyTokens: TOKEN_BUDGETS.pro.monthly },
    });

    vi.setSystemTime(Date.UTC(2026, 5, 1, 14)); // the subscription ended at 13:00
    expect((await userDoc(t, user.userId)).tier).toBe("pro");
    await expectConvexError(
      user.as.mutation(api.messages.send, { conversationId: user.conversationId, content: "after it ended" }),
      "BUDGET_EXCEEDED",
    );
    expect(await user.as.query(api.usage.mine, { now: Date.now() })).toMatchObject({
      tier: "free",
      budgets: { dailyTokens: TOKEN_BUDGETS.free.daily },
      remaining: { dailyTokens: 0 },
    });
  });

  it("reserve and settle with two concurrent turns: one call runs, the overshoot is at most that call", async () => {
    const t = newBackend();
    const { userId, as, conversationId } = await chatUser(t, "UTC");
    const today = new Date().toISOString().slice(0, 10);
    // 1,000 tokens left: less than one turn's estimate, so the first reservation fills the day.
    await seedDay(t, userId, today, TOKEN_BUDGETS.free.daily - 1_000);
    server.enqueue(turnAnswer(usageOf(2_000, 500)), turnAnswer(usageOf(2_000, 500)));
    // Both are admitted (nothing is reserved yet) and both are in flight (two turn slots).
    const first = await as.mutation(api.messages.send, { conversationId, content: "one" });
    const second = await as.mutation(api.messages.send, { conversationId, content: "two" });
    await settle(t);

    expect(server.requests).toHaveLength(1);
    const statuses = (await messageRows(t, userId))
      .filter((m) => m._id === first || m._id === second)
      .map((m) => [m.extraction?.status, m.extraction?.reason]);
    expect(statuses.sort()).toEqual([["done", undefined], ["failed", "budget exceeded"]]);
    const [day] = await usageDays(t, userId);
    expect(day).toMatchObject({ calls: 2, totalTokens: TOKEN_BUDGETS.free.daily - 1_000 + 2_500, reservedTokens: 0 });
    expect(day.totalTokens - TOKEN_BUDGETS.free.daily).toBeLessThanOrEqual(2_500);
    expect(await reservations(t)).toEqual([]);
    // The day is spent now: the failed turn's retry is refused until local midnight.
    const failed = first === (await messageRows(t, userId)).find((m) => m.extraction?.status === "failed")?._id ? first : second;
    await expectConvexError(as.mutation(api.messages.retry, { messageId: failed }), "BUDGET_EXCEEDED");
  });

  it("a reservation holds its estimate until settled (idempotent) or released by its TTL", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 6, 1, 9));
    const t = newBackend();
    const { userId } = await chatUser(t, "UTC");
    const reserve = (tokens: number) =>
      t.run(async (ctx) => {
        const user = await ctx.db.get("users", userId);
        if (user === null) throw new Error("no user");
        return await reserveModelCall(ctx, user, "chat", "gpt-4o-mini", tokens, Date.now());
      });
    const a = await reserve(60_000);
    const b = await reserve(50_000);
    if (!a.ok || !b.ok) throw new Error("both fit: 60,000 reserved is under 100,000");
    // 110,000 held: a third call waits for the holds, not for midnight.
    expect(await reserve(1)).toEqual({ ok: false, retryAfterMs: RESERVATION_RECHECK_MS });
    const [held] = await usageDays(t, userId);
    expect(held).toMatchObject({ reservedTokens: 110_000, totalTokens: 0 });

    const usage = { promptTokens: 3_000, completionTokens: 1_000, totalTokens: 4_000 };
    await t.run(async (ctx) => await settleModelCall(ctx, a.reservationId, usage));
    await t.run(async (ctx) => await settleModelCall(ctx, a.reservationId, usage)); // a replay changes nothing
    const [settled] = await usageDays(t, userId);
    expect(settled).toMatchObject({ reservedTokens: 50_000, totalTokens: 4_000, calls: 1 });

    // b's action died: its TTL job releases the hold, and a late settle records nothing.
    vi.advanceTimersByTime(RESERVATION_TTL_MS);
    await t.finishAllScheduledFunctions(() => vi.runOnlyPendingTimers());
    const [released] = await usageDays(t, userId);
    expect(released).toMatchObject({ reservedTokens: 0, totalTokens: 4_000, calls: 1 });
    await t.run(async (ctx) => await settleModelCall(ctx, b.reservationId, usage));
    expect((await usageDays(t, userId))[0]).toMatchObject({ totalTokens: 4_000, calls: 1 });
    expect(await reservations(t)).toEqual([]);
    const states = (await jobs(t)).map((job) => [job.name, job.state.kind]);
    expect(states.sort()).toEqual([
      ["usage:expireReservation", "canceled"],
      ["usage:expireReservation", "success"],
    ]);
  });
});

describe("background work", () => {
  it("is deferred while the budget is held, not lost, and resumes when it allows", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const { userId, as } = await chatUser(t, "UTC");
    const journeyId = await insertJourney(t, userId);
    const { offeredDate } = await as.mutation(api.experiments.offerToday, { journeyId });
    // Another call in flight holds the whole day before the generator runs.
    const hold = await t.run(async (ctx) => {
      const user = await ctx.db.get("users", userId);
      if (user === null) throw new Error("no user");
      return await reserveModelCall(ctx, user, "chat", "gpt-4o-mini", TOKEN_BUDGETS.free.daily, Date.now());
    });
    if (!hold.ok) throw new Error("the hold fits an empty day");
    const deferredAt = Date.now();
    await t.finishInProgressScheduledFunctions();
    vi.advanceTimersByTime(0);
    await t.finishInProgressScheduledFunctions();

    // The generator asked the budget, called nothing, and put itself back RESERVATION_RECHECK_MS later.
    expect(server.requests).toEqual([]);
    const generators = (await jobs(t)).filter((job) => job.name === "experiments:generate");
    expect(generators.map((job) => job.state.kind)).toEqual(["success", "pending"]);
    const [, resumed] = generators;
    expect(resumed.scheduledTime - deferredAt).toBeGreaterThanOrEqual(RESERVATION_RECHECK_MS);
    expect(resumed.scheduledTime - deferredAt).toBeLessThan(RESERVATION_RECHECK_MS + 1_000);
    expect(resumed.args).toEqual([{ journeyId, offeredAt: deferredAt, offeredDate, attempt: 1 }]);
    expect(await as.query(api.experiments.today, { journeyId })).toEqual({ experiment: null, generating: true });
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBe(offeredDate);

    // The other call settles small; the deferred generator runs (real timers for the SDK).
    await t.run(async (ctx) => await settleModelCall(ctx, hold.reservationId, { promptTokens: 900, completionTokens: 100, totalTokens: 1_000 }));
    vi.useRealTimers();
    server.enqueue({
      json: { when: "After coffee", will: "write one line", at: "at the table", rationale: "Small.", starIds: [] },
      usage: usageOf(300, 40),
    });
    await t.action(internal.experiments.generate, resumed.args[0] as { journeyId: Id<"journeys">; offeredAt: number; offeredDate: string; attempt: number });
    const today = await as.query(api.experiments.today, { journeyId });
    expect(today.generating).toBe(false);
    expect(today.experiment).toMatchObject({ offeredDate, will: "write one line", status: "pending" });
    expect((await usageDays(t, userId))[0]).toMatchObject({ calls: 2, totalTokens: 1_340, reservedTokens: 0 });
  });

  it("offerToday over the budget answers BUDGET_EXCEEDED and reserves no date", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 7, 3, 10));
    const t = newBackend();
    const { userId, as } = await chatUser(t, "UTC");
    const journeyId = await insertJourney(t, userId);
    await seedDay(t, userId, "2026-08-03", TOKEN_BUDGETS.free.daily);
    const refused = await expectConvexError(as.mutation(api.experiments.offerToday, { journeyId }), "BUDGET_EXCEEDED");
    expect(refused.retryAfterMs).toBe(14 * 3_600_000);
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBeUndefined();
    expect(await jobs(t)).toEqual([]);
  });
});

describe("reads and isolation", () => {
  async function spend(t: Backend, user: TestUser, date: string, totalTokens: number) {
    await seedDay(t, user.userId, date, totalTokens);
  }

  it("usage.mine shows only the caller's usage; one user's spent budget leaves another's untouched", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 8, 9, 12));
    const t = newBackend();
    const spender = await chatUser(t, "UTC");
    const other = await chatUser(t, "UTC");
    await spend(t, spender, "2026-09-09", TOKEN_BUDGETS.free.daily);
    await expectConvexError(
      spender.as.mutation(api.messages.send, { conversationId: spender.conversationId, content: "x" }),
      "BUDGET_EXCEEDED",
    );
    await other.as.mutation(api.messages.send, { conversationId: other.conversationId, content: "x" });
    expect(await other.as.query(api.usage.mine, { now: Date.now() })).toMatchObject({
      today: { calls: 0, totalTokens: 0, microDollars: 0, lines: [] },
      remaining: { dailyTokens: TOKEN_BUDGETS.free.daily },
    });
    expect((await spender.as.query(api.usage.mine, { now: Date.now() })).today.totalTokens).toBe(TOKEN_BUDGETS.free.daily);
    // Someone else's conversation answers NOT_FOUND before any budget is looked at.
    await expectConvexError(
      spender.as.mutation(api.messages.send, { conversationId: other.conversationId, content: "x" }),
      "NOT_FOUND",
    );
    await expectConvexError(t.query(api.usage.mine, { now: Date.now() }), "UNAUTHENTICATED");
    await expectConvexError(other.as.query(api.usage.mine, { now: -1 }), "INVALID_ARGUMENT");
  });

  it("usage.byDay pages a date's users costliest first with page totals; usage.dayTotals sums them all", async () => {
    const t = newBackend();
    const users = [await chatUser(t), await chatUser(t), await chatUser(t)];
    await spend(t, users[0], "2026-10-01", 10_000);
    await spend(t, users[1], "2026-10-01", 30_000);
    await spend(t, users[2], "2026-10-01", 20_000);
    await spend(t, users[2], "2026-10-02", 99_000); // another date
    const first = await t.query(internal.usage.byDay, { localDate: "2026-10-01", paginationOpts: { numItems: 2, cursor: null } });
    expect(first.page.map((row) => row.userId)).toEqual([users[1].userId, users[2].userId]);
    expect(first.pageTotals).toMatchObject({ totalTokens: 50_000, microDollars: 4_500 + 3_000 });
    const second = await t.query(internal.usage.byDay, {
      localDate: "2026-10-01",
      paginationOpts: { numItems: 2, cursor: first.continueCursor },
    });
    expect(second.page.map((row) => row.userId)).toEqual([users[0].userId]);
    expect(second.isDone).toBe(true);
    const totals = await t.action(internal.usage.dayTotals, { localDate: "2026-10-01", top: 1 });
    expect(totals).toMatchObject({ users: 3, complete: true, totals: { calls: 3, totalTokens: 60_000, microDollars: 9_000 } });
    expect(totals.top.map((row) => row.userId)).toEqual([users[1].userId]);
  });
});
