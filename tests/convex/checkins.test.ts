// Check-ins (MECHANICS §9): the API's bounds and refusals, today and the paginated history,
// removal of your own only, and the emotion extraction reads in a message (source
// "inferred"): sanitized, at most one per message, removable. The model is the loopback
// OpenAI server (tests/support/openaiServer.ts), never a mock; real timers, as in
// tests/convex/pipeline.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { localDate, startOfLocalDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, type Backend } from "../setup";
import { startOpenAIServer, type OpenAIServer } from "../support/openaiServer";
import { rows } from "../support/trajectory";

const ENV_KEYS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_TIMEOUT_MS", "EXTRACTION_BACKOFF_JITTER"];
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
  delete process.env.OPENAI_API_KEY;
});
afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function useModel() {
  process.env.OPENAI_API_KEY = "test-key";
  process.env.OPENAI_BASE_URL = server.baseURL;
  process.env.OPENAI_TIMEOUT_MS = "5000";
  process.env.EXTRACTION_BACKOFF_JITTER = "0";
}

/** Runs scheduled functions (real timers) until none is pending or running. */
async function settle(t: Backend): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await t.finishAllScheduledFunctions(() => {});
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(jobs.filter((job) => job.state.kind === "failed").map((job) => job.name)).toEqual([]);
    if (!jobs.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    if (Date.now() > deadline) throw new Error("settle: scheduled functions still open after 20 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("logging check-ins", () => {
  it("stores an emotion and an energy reading on the local date of their createdAt", async () => {
    const t = newBackend();
    const tz = "Pacific/Auckland";
    const { as } = await createUser(t, { timezone: tz });
    const feeling = await as.mutation(api.checkins.logEmotion, { valence: "negative", label: "  quite \n anxious ", intensity: 0.7 });
    expect(feeling).toMatchObject({ kind: "emotion", valence: "negative", label: "quite anxious", intensity: 0.7, source: "self" });
    expect(feeling.localDate).toBe(localDate(feeling.createdAt, tz));
    const reading = await as.mutation(api.checkins.logEnergy, { level: 7, note: "  slept well  " });
    expect(reading).toMatchObject({ kind: "energy", level: 7, note: "slept well" });
    expect((await as.mutation(api.checkins.logEnergy, { level: 1, note: "   " })).kind === "energy").toBe(true);
    const blankNote = (await rows(t, "checkins")).find((c) => c.kind === "energy" && c.level === 1);
    expect(blankNote && "note" in blankNote ? blankNote.note : undefined).toBeUndefined();
  });

  it("refuses values outside the bounds with INVALID_ARGUMENT, accepts the edges", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const emotion = { valence: "positive" as const, label: "calm", intensity: 0.5 };
    for (const bad of [
      { ...emotion, label: "" },
      { ...emotion, label: " \t " },
      { ...emotion, label: "x".repeat(41) },
      { ...emotion, intensity: -0.01 },
      { ...emotion, intensity: 1.01 },
      { ...emotion, intensity: Number.NaN },
      { ...emotion, intensity: Number.POSITIVE_INFINITY },
    ]) {
      const error = await expectConvexError(as.mutation(api.checkins.logEmotion, bad), "INVALID_ARGUMENT");
      expect(error.message).toMatch(/^(label|intensity)/);
    }
    for (const bad of [{ level: 0 }, { level: 11 }, { level: 6.5 }, { level: Number.NaN }, { level: 5, note: "n".repeat(501) }]) {
      await expectConvexError(as.mutation(api.checkins.logEnergy, bad), "INVALID_ARGUMENT");
    }
    await as.mutation(api.checkins.logEmotion, { ...emotion, label: "x".repeat(40), intensity: 0 });
    await as.mutation(api.checkins.logEmotion, { ...emotion, intensity: 1 });
    await as.mutation(api.checkins.logEnergy, { level: 1 });
    await as.mutation(api.checkins.logEnergy, { level: 10, note: "n".repeat(500) });
    expect(await rows(t, "checkins")).toHaveLength(4);
  });

  it("links a conversation only when it is the caller's own", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const other = await createUser(t);
    const conversationId = await owner.as.mutation(api.conversations.start, { phase: "walk" });
    const args = { valence: "neutral" as const, label: "flat", intensity: 0.2, conversationId };
    expect((await owner.as.mutation(api.checkins.logEmotion, args)).kind).toBe("emotion");
    await expectConvexError(other.as.mutation(api.checkins.logEmotion, args), "NOT_FOUND");
    expect(await rows(t, "checkins")).toHaveLength(1);
  });
});

describe("reading and removing", () => {
  it("today's, newest first; the history paginated newest first; remove your own only", async () => {
    const t = newBackend();
    const tz = "Europe/Berlin";
    const owner = await createUser(t, { timezone: tz });
    const other = await createUser(t, { timezone: tz });
    const today = "2026-08-10";
    const at = (date: string, hour: number) => startOfLocalDate(date, tz) + hour * 3_600_000;
    const ids = await t.run(async (ctx) => {
      const out: Id<"checkins">[] = [];
      for (const [date, hour, level] of [["2026-08-09", 23, 2], [today, 0, 3], [today, 9, 5], [today, 21, 8], ["2026-08-11", 0, 9]] as const) {
        out.push(await ctx.db.insert("checkins", { userId: owner.userId, kind: "energy", localDate: date, createdAt: at(date, hour), level }));
      }
      await ctx.db.insert("checkins", { userId: other.userId, kind: "energy", localDate: today, createdAt: at(today, 10), level: 1 });
      return out;
    });
    const day = await owner.as.query(api.checkins.today, { now: at(today, 12) });
    expect(day.localDate).toBe(today);
    expect(day.resetsAt).toBe(startOfLocalDate("2026-08-11", tz));
    expect(day.checkins.map((c) => (c.kind === "energy" ? c.level : null))).toEqual([8, 5, 3]);

    const first = await owner.as.query(api.checkins.history, { paginationOpts: { numItems: 3, cursor: null } });
    expect(first.page.map((c) => c._id)).toEqual([ids[4], ids[3], ids[2]]);
    const second = await owner.as.query(api.checkins.history, { paginationOpts: { numItems: 3, cursor: first.continueCursor } });
    expect(second.page.map((c) => c._id)).toEqual([ids[1], ids[0]]);
    expect(second.isDone).toBe(true);

    await expectConvexError(other.as.mutation(api.checkins.remove, { checkinId: ids[2] }), "NOT_FOUND");
    await owner.as.mutation(api.checkins.remove, { checkinId: ids[2] });
    await expectConvexError(owner.as.mutation(api.checkins.remove, { checkinId: ids[2] }), "NOT_FOUND");
    expect((await owner.as.query(api.checkins.today, { now: at(today, 12) })).checkins).toHaveLength(2);
    expect((await other.as.query(api.checkins.history, { paginationOpts: { numItems: 10, cursor: null } })).page).toHaveLength(1);
  });

  it("every function refuses a caller without an identity", async () => {
    const t = newBackend();
    await expectConvexError(t.mutation(api.checkins.logEmotion, { valence: "positive", label: "ok", intensity: 0.5 }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.checkins.logEnergy, { level: 5 }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.checkins.today, { now: 0 }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.checkins.history, { paginationOpts: { numItems: 5, cursor: null } }), "UNAUTHENTICATED");
    const { as } = await createUser(t);
    const id = (await as.mutation(api.checkins.logEnergy, { level: 5 }))._id;
    await expectConvexError(t.mutation(api.checkins.remove, { checkinId: id }), "UNAUTHENTICATED");
  });
});

describe("an emotion read in a message (source inferred)", () => {
  const reply = (emotion: unknown) => ({
    json: {
      reply: "That sounds like a lot. What would help tonight?",
      extraction: { newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [], emotion },
    },
  });

  it("is stored once per message with its conversation and message, and the user can remove it", async () => {
    useModel();
    const t = newBackend();
    const { as, userId } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "walk" });
    server.enqueue(reply({ valence: "negative", label: "overwhelmed", intensity: 0.8 }));
    const messageId = await as.mutation(api.messages.send, { conversationId, content: "Work is crushing me this week." });
    await settle(t);
    const [inferred] = await rows(t, "checkins");
    expect(inferred).toMatchObject({
      userId,
      kind: "emotion",
      valence: "negative",
      label: "overwhelmed",
      intensity: 0.8,
      source: "inferred",
      conversationId,
      messageId,
    });
    // A replayed apply of the same message adds nothing (the reply guard, then by_message).
    await t.mutation(internal.extraction.finishAttempt, {
      messageId,
      attempt: 1,
      outcome: {
        kind: "reply",
        turn: { reply: "again", newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [], emotion: { valence: "positive", label: "fine", intensity: 0.1 }, dropped: { count: 0, reasons: [] } },
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      },
    });
    expect(await rows(t, "checkins")).toHaveLength(1);
    const [view] = (await as.query(api.checkins.history, { paginationOpts: { numItems: 5, cursor: null } })).page;
    expect(view).toMatchObject({ kind: "emotion", source: "inferred", messageId });
    await as.mutation(api.checkins.remove, { checkinId: inferred._id });
    expect(await rows(t, "checkins")).toEqual([]);
  });

  it("an emotion outside the bounds is dropped and counted; null or none stores nothing", async () => {
    useModel();
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "walk" });
    server.enqueue(reply({ valence: "negative", label: "x".repeat(41), intensity: 0.8 }), reply(null));
    const dropped = await as.mutation(api.messages.send, { conversationId, content: "first" });
    await settle(t);
    await as.mutation(api.messages.send, { conversationId, content: "second" });
    await settle(t);
    expect(await rows(t, "checkins")).toEqual([]);
    const message = await t.run(async (ctx) => await ctx.db.get("messages", dropped));
    expect(message?.extraction).toMatchObject({ status: "done", applied: { dropped: 1 }, droppedReasons: ["emotion[0]: label too long"] });
  });
});
