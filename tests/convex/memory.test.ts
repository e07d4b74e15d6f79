// Semantic memory (issue 14, docs/pipeline.md "Memory") end to end against the loopback
// server (tests/support/openaiServer.ts), whose /v1/embeddings answers bag-of-words vectors
// (embeddingFor): similarity is exact, so what is recalled is decided by the test, never by
// convex-test's ranking. Real timers, like the pipeline tests.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { userKind } from "../../convex/model/memories";
import { STAR_DEDUPE_SIMILARITY } from "../../src/memory";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { embeddingFor, startOpenAIServer, type OpenAIServer } from "../support/openaiServer";

const ENV_KEYS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_TIMEOUT_MS", "EXTRACTION_BACKOFF_JITTER"];
const DAY = 86_400_000;
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
});
afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function settle(t: Backend): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await t.finishAllScheduledFunctions(() => {});
    const jobs = (await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect())) as {
      name: string;
      state: { kind: string };
    }[];
    expect(jobs.filter((job) => job.state.kind === "failed").map((job) => job.name)).toEqual([]);
    if (!jobs.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    if (Date.now() > deadline) throw new Error("settle: scheduled functions still open after 20 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type WireStar = { ref: string; label: string; description: string; domain: string; polarity: string; intensity: number; conceptType: string; quote: string };

function answer(newStars: WireStar[] = [], reply = "I hear you.") {
  return { json: { reply, extraction: { newStars, reinforcements: [], connections: [], skillEvidence: [], growthSignals: [] } } };
}

function newStar(ref: string, label: string): WireStar {
  return { ref, label, description: `About ${label}.`, domain: "health", polarity: "light", intensity: 0.6, conceptType: "habit", quote: "q" };
}

/** The context data the chat request carried (the second message). */
function contextOf(request: number): { memories?: { date: string; text: string; kind?: string }[] } {
  const body = server.requests[request].body as { messages: { role: string; content: string }[] };
  const data = body.messages[1].content;
  return JSON.parse(data.slice(data.indexOf("\n") + 1)) as { memories?: { date: string; text: string; kind?: string }[] };
}

/** A companion standing with TARS: the tier allows 3 memories. */
async function companion(t: Backend, user: TestUser): Promise<void> {
  await t.run(async (ctx) => {
    await ctx.db.insert("relationships", { userId: user.userId, characterKey: "tars", interactions: 5, level: 3, createdAt: 0 });
  });
}

/** Plants embedded message memories directly (as earlier turns would have stored them). */
async function plant(t: Backend, userId: Id<"users">, texts: { text: string; createdAt: number }[]): Promise<void> {
  for (let from = 0; from < texts.length; from += 100) {
    await t.run(async (ctx) => {
      for (const [i, { text, createdAt }] of texts.slice(from, from + 100).entries()) {
        const memoryId = await ctx.db.insert("memories", {
          userId,
          kind: "message",
          sourceId: `planted-${from + i}`,
          chunk: 0,
          text,
          createdAt,
          importance: 0.5,
          vectorStatus: "embedded",
          embedAttempts: 0,
        });
        const vectorId = await ctx.db.insert("memoryVectors", {
          userId,
          memoryId,
          kind: "message",
          userKind: userKind(userId, "message"),
          embedding: embeddingFor(text),
        });
        await ctx.db.patch("memories", memoryId, { vectorId });
      }
    });
  }
}

async function memoriesOf(t: Backend, userId: Id<"users">): Promise<Doc<"memories">[]> {
  return await t.run(async (ctx) => await ctx.db.query("memories").withIndex("by_user", (q) => q.eq("userId", userId)).collect());
}

async function starsOf(t: Backend, userId: Id<"users">): Promise<Doc<"stars">[]> {
  return await t.run(async (ctx) => await ctx.db.query("stars").withIndex("by_user", (q) => q.eq("userId", userId)).collect());
}

const FACT = "My grandmother Rosa taught me to bake sourdough bread every Sunday.";
const T_OLD = Date.UTC(2025, 0, 6, 12);

describe("recall in every turn", () => {
  it("a fact planted among hundreds of older messages reaches the prompt when a related message arrives, as the user's dated words; an unrelated one does not pull it", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await companion(t, user);
    const filler = Array.from({ length: 300 }, (_, i) => ({ text: `Worked late on spreadsheet number ${i} again today.`, createdAt: T_OLD + (i + 1) * 3_600_000 }));
    await plant(t, user.userId, [{ text: FACT, createdAt: T_OLD }, ...filler]);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });

    server.enqueue(answer(), answer());
    await user.as.mutation(api.messages.send, { conversationId, content: "I want to bake bread again like grandmother Rosa did." });
    await settle(t);
    expect(server.requests).toHaveLength(1); // one chat call
    expect(server.embeddings.requests).toHaveLength(1); // the message, before it
    const recalled = contextOf(0).memories ?? [];
    expect(recalled[0]).toEqual({ date: "2025-01-06", text: FACT, kind: "user_words" });
    expect(recalled.some((memory) => memory.text.includes("spreadsheet"))).toBe(false);
    // The system prompt carries no memory text (user text travels as data).
    expect((server.requests[0].body as { messages: { content: string }[] }).messages[0].content).not.toContain("Rosa");

    await user.as.mutation(api.messages.send, { conversationId, content: "The weather turned cold and windy." });
    await settle(t);
    expect(contextOf(1).memories ?? []).toEqual([]);
    // Both messages are remembered and embedded by their own turns.
    const mine = (await memoriesOf(t, user.userId)).filter((memory) => !memory.sourceId.startsWith("planted-"));
    expect(mine.map((memory) => [memory.kind, memory.vectorStatus])).toEqual([
      ["message", "embedded"],
      ["message", "embedded"],
    ]);
  });

  it("skips what the recent turns already show, and an acquaintance's prompt carries none", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.enqueue(answer(), answer(), answer());
    await user.as.mutation(api.messages.send, { conversationId, content: "Sourdough bread with Rosa on Sunday." });
    await settle(t);
    await user.as.mutation(api.messages.send, { conversationId, content: "More sourdough bread talk." });
    await settle(t);
    expect(contextOf(1)).not.toHaveProperty("memories"); // acquaintance: the tier allows none
    await companion(t, user);
    await user.as.mutation(api.messages.send, { conversationId, content: "Sourdough bread again." });
    await settle(t);
    // The earlier messages are in the recent turns: not repeated as memories.
    expect(contextOf(2).memories ?? []).toEqual([]);
  });

  it("an embeddings failure: the turn still answers without memories, and the memory is embedded later", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await companion(t, user);
    await plant(t, user.userId, [{ text: FACT, createdAt: T_OLD }]);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.embeddings.fail({ status: 503 });
    server.enqueue(answer());
    const messageId = await user.as.mutation(api.messages.send, { conversationId, content: "Rosa and her sourdough bread." });
    await settle(t);
    expect(contextOf(0).memories ?? []).toEqual([]);
    const sent = await t.run(async (ctx) => await ctx.db.get("messages", messageId));
    expect(sent?.extraction?.status).toBe("done");
    // The retry (attempt 2, backoff pinned to 0) embedded it.
    expect(server.embeddings.requests).toHaveLength(2);
    const memory = (await memoriesOf(t, user.userId)).find((m) => m.sourceId === messageId);
    expect(memory).toMatchObject({ vectorStatus: "embedded", embedAttempts: 1 });
  });

  it("without a key nothing is embedded; the message is remembered pending and the sweep embeds it once a key is set", async () => {
    delete process.env.OPENAI_API_KEY;
    const t = newBackend();
    const user = await createUser(t);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    const messageId = await user.as.mutation(api.messages.send, { conversationId, content: "Rosa and her sourdough bread." });
    await settle(t);
    expect(server.embeddings.requests).toHaveLength(0);
    expect((await memoriesOf(t, user.userId)).map((m) => [m.sourceId, m.vectorStatus])).toEqual([[messageId, "pending"]]);
    // Text search alone answers memory.search.
    const found = await user.as.action(api.memory.search, { query: "sourdough" });
    expect(found).toEqual([{ kind: "message", text: "Rosa and her sourdough bread.", createdAt: expect.any(Number), similarity: null }]);

    process.env.OPENAI_API_KEY = "test-key";
    await t.mutation(internal.memory.sweep, { now: Date.now() + DAY });
    await settle(t);
    expect((await memoriesOf(t, user.userId)).map((m) => m.vectorStatus)).toEqual(["embedded"]);
  });
});

describe("memory.search", () => {
  it("answers from the caller's memories only, whatever the query", async () => {
    const t = newBackend();
    const maya = await createUser(t);
    const other = await createUser(t);
    await plant(t, maya.userId, [{ text: FACT, createdAt: T_OLD }]);
    await plant(t, other.userId, [{ text: "Rosa my neighbour bakes sourdough bread for the whole street.", createdAt: T_OLD }]);
    const results = await maya.as.action(api.memory.search, { query: "What did I say about Rosa and sourdough bread?" });
    expect(results.map((r) => r.text)).toEqual([FACT]);
    expect(results[0].similarity).toBeCloseTo(3 / Math.sqrt(8 * 5), 9); // 3 shared of 8 and 5 content words
    // The other user, asking with Maya's exact words, never sees Maya's memory.
    for (const query of [FACT, "grandmother", "Rosa", "bake"]) {
      const theirs = await other.as.action(api.memory.search, { query });
      expect(theirs.every((r) => !r.text.includes("grandmother"))).toBe(true);
    }
    await expectConvexError(maya.as.action(api.memory.search, { query: "  " }), "INVALID_ARGUMENT");
    await expectConvexError(t.action(api.memory.search, { query: "Rosa" }), "UNAUTHENTICATED");
  });
});

describe("stars deduplicated by meaning and by spelling", () => {
  it(`a reworded star (similarity ≥ ${STAR_DEDUPE_SIMILARITY}) reinforces the existing one; a dismissed concept is not recreated reworded`, async () => {
    const t = newBackend();
    const user = await createUser(t);
    server.embeddings.synonyms.set("mornings", "morning").set("doomscrolling", "scrolling").set("phone", "scrolling");
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.enqueue(answer([newStar("new:1", "Morning energy"), newStar("new:2", "Doomscrolling")]));
    await user.as.mutation(api.messages.send, { conversationId, content: "I have energy early." });
    await settle(t);
    expect(server.embeddings.requests).toHaveLength(2); // the message, then the new stars in one batch
    const [energy, scrolling] = await starsOf(t, user.userId);
    await user.as.mutation(api.stars.dismiss, { starId: scrolling._id });

    server.enqueue(answer([newStar("new:1", "Energy in the mornings"), newStar("new:2", "Phone scrolling"), newStar("new:3", "Mom's Advice")]));
    await user.as.mutation(api.messages.send, { conversationId, content: "Again: energy." });
    await settle(t);
    const stars = await starsOf(t, user.userId);
    expect(stars.map((s) => s.label)).toEqual(["Morning energy", "Doomscrolling", "Mom's Advice"]);
    expect(stars[0]).toMatchObject({ _id: energy._id, reinforcementCount: 1 });
    expect(stars[1]).toMatchObject({ dismissedAt: expect.any(Number), reinforcementCount: 0 });

    // By spelling, with or without embeddings: "moms advice" is "Mom's Advice".
    server.enqueue(answer([newStar("new:1", "moms advice"), newStar("new:2", "Doom-Scrolling")]));
    await user.as.mutation(api.messages.send, { conversationId, content: "Mom said so." });
    await settle(t);
    expect((await starsOf(t, user.userId)).map((s) => [s.label, s.reinforcementCount])).toEqual([
      ["Morning energy", 1],
      ["Doomscrolling", 0],
      ["Mom's Advice", 1],
    ]);
  });
});

describe("data rights", () => {
  it("an archived message's memory goes with it; the summary-free conversation keeps nothing of it; erasure takes memories and vectors", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.enqueue(answer());
    await user.as.mutation(api.messages.send, { conversationId, content: "Rosa and her sourdough bread." });
    await settle(t);
    expect(await memoriesOf(t, user.userId)).toHaveLength(1);
    await t.run(async (ctx) => {
      await ctx.db.patch("conversations", conversationId, { lastMessageAt: 0 });
    });
    await t.mutation(internal.jobs.archiveConversations, {});
    await settle(t);
    expect(await memoriesOf(t, user.userId)).toHaveLength(0);
    expect(await t.run(async (ctx) => (await ctx.db.query("memoryVectors").collect()).length)).toBe(0);
  });
});

describe("conversation summaries", () => {
  it("on complete and on abandon, the character summarizes: the preview on the conversation and a memory, embedded", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const done = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.enqueue(answer());
    await user.as.mutation(api.messages.send, { conversationId: done, content: "Rosa taught me sourdough." });
    await settle(t);
    await user.as.mutation(api.conversations.complete, { conversationId: done });
    await settle(t);
    expect(server.summaries.requests).toHaveLength(1);
    expect(server.requests).toHaveLength(1); // the summary never took a scripted turn
    const summary = "You talked about Rosa taught me sourdough.";
    expect((await user.as.query(api.conversations.get, { conversationId: done })).summary).toBe(summary);
    const remembered = (await memoriesOf(t, user.userId)).find((m) => m.kind === "summary");
    expect(remembered).toMatchObject({ sourceId: done, text: summary, vectorStatus: "embedded" });

    const idle = await user.as.mutation(api.conversations.start, { phase: "discovery" });
    server.enqueue(answer());
    await user.as.mutation(api.messages.send, { conversationId: idle, content: "Thinking about the gym." });
    await settle(t);
    await t.mutation(internal.conversations.abandonIdle, { now: Date.now() + 2 * DAY });
    await settle(t);
    expect((await user.as.query(api.conversations.get, { conversationId: idle })).summary).toBe("You talked about Thinking about the gym.");

    // Archival keeps the summary (and its memory); the messages' memories go.
    await t.run(async (ctx) => {
      await ctx.db.patch("conversations", done, { lastMessageAt: 0 });
    });
    await t.mutation(internal.jobs.archiveConversations, {});
    await settle(t);
    const archived = await user.as.query(api.conversations.get, { conversationId: done });
    expect(archived).toMatchObject({ status: "archived", summary });
    const left = await memoriesOf(t, user.userId);
    expect(left.filter((m) => m.sourceId === done).map((m) => m.kind)).toEqual(["summary"]);
  });
});
