// Shared by the streaming and sweeper suites: the loopback model's environment, a scripted
// strict-schema answer, and waits on the real scheduler (real timers: see
// tests/convex/pipeline.test.ts for why a pipeline test cannot fake the clock).
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { createUser, type Backend } from "../setup";
import { startOpenAIServer, type OpenAIServer } from "./openaiServer";

const ENV_KEYS = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENAI_MODEL",
  "OPENAI_TIMEOUT_MS",
  "OPENAI_STREAM",
  "EXTRACTION_BACKOFF_JITTER",
];

/** Starts the loopback server for the file and points the model settings at it per test. */
export function useLoopbackModel(): { server: () => OpenAIServer } {
  let server: OpenAIServer | undefined;
  let saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server?.reset();
    saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
    process.env.OPENAI_API_KEY = "test-key";
    process.env.OPENAI_BASE_URL = server?.baseURL;
    delete process.env.OPENAI_MODEL;
    delete process.env.OPENAI_STREAM;
    process.env.OPENAI_TIMEOUT_MS = "5000";
    process.env.EXTRACTION_BACKOFF_JITTER = "0";
  });
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  return {
    server: () => {
      if (server === undefined) throw new Error("the loopback server is not started");
      return server;
    },
  };
}

/** A strict-schema answer with this reply and an empty extraction. */
export function replyAnswer(reply: string) {
  return {
    json: {
      reply,
      extraction: { newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [] },
    },
  };
}

export type ScheduledJob = {
  _id: Id<"_scheduled_functions">;
  name: string;
  args: unknown[];
  scheduledTime: number;
  state: { kind: string };
};

export async function scheduledJobs(t: Backend): Promise<ScheduledJob[]> {
  return (await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect())) as ScheduledJob[];
}

/** Runs scheduled functions (real timers) until none is pending or running; none may fail. */
export async function settle(t: Backend, { allowFailed = false } = {}): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await t.finishAllScheduledFunctions(() => {});
    const jobs = await scheduledJobs(t);
    if (!allowFailed) expect(jobs.filter((job) => job.state.kind === "failed").map((job) => job.name)).toEqual([]);
    if (!jobs.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    if (Date.now() > deadline) throw new Error("settle: scheduled functions still open after 20 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function startChat(t: Backend) {
  const user = await createUser(t);
  const conversationId = await user.as.mutation(api.conversations.start, { phase: "discovery" });
  return { ...user, conversationId };
}

export async function messageDoc(t: Backend, id: Id<"messages">): Promise<Doc<"messages">> {
  const doc = await t.run(async (ctx) => await ctx.db.get("messages", id));
  if (doc === null) throw new Error(`message ${id} is gone`);
  return doc;
}

export async function repliesTo(t: Backend, id: Id<"messages">): Promise<Doc<"messages">[]> {
  return await t.run(
    async (ctx) =>
      await ctx.db
        .query("messages")
        .withIndex("by_reply_to", (q) => q.eq("replyTo", id))
        .collect(),
  );
}

/** A pending user message written directly (nothing scheduled), for driving attempts by hand. */
export async function pendingMessage(t: Backend, userId: Id<"users">, conversationId: Id<"conversations">) {
  return await t.run(async (ctx) => {
    const messageId = await ctx.db.insert("messages", {
      userId,
      conversationId,
      role: "user",
      content: "hello",
      createdAt: Date.now(),
      extraction: { status: "pending", attempts: 0, updatedAt: Date.now() },
    });
    const conversation = await ctx.db.get("conversations", conversationId);
    if (conversation === null) throw new Error("no conversation");
    await ctx.db.patch("conversations", conversationId, {
      messageCount: conversation.messageCount + 1,
      userMessageCount: conversation.userMessageCount + 1,
    });
    return messageId;
  });
}
