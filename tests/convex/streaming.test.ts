// Streamed replies (docs/pipeline.md "Streaming"): the turn's one model call streams from
// the loopback server in OpenAI's SSE wire format, the reply so far is written (throttled)
// and visible in messages.list, and the final apply makes it the reply. Failures mid-stream
// follow the retry rules and never leave two replies or a half reply shown as final.
import { describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { STREAM_WRITE_INTERVAL_MS } from "../../src/llm/throttle";
import type { Backend, TestUser } from "../setup";
import { newBackend } from "../setup";
import { DEFAULT_USAGE } from "../support/openaiServer";
import {
  messageDoc,
  pendingMessage,
  repliesTo,
  replyAnswer,
  scheduledJobs,
  settle,
  startChat,
  useLoopbackModel,
} from "../support/turns";

const loopback = useLoopbackModel();
const USAGE = {
  promptTokens: DEFAULT_USAGE.prompt_tokens,
  completionTokens: DEFAULT_USAGE.completion_tokens,
  totalTokens: DEFAULT_USAGE.total_tokens,
};
const LONG_REPLY =
  "That sounds like a heavy week. When you say you keep putting the run off, what usually happens in the hour " +
  "before you would have gone? I am curious whether it is tiredness, or something about the evening itself.";

type Seen = { content: string; replyStatus: string | undefined };

/**
 * Polls messages.list as a client would (each poll is a fresh query, like a reconnecting
 * client) and records every state of the assistant message it sees.
 */
function watchReply(as: TestUser["as"], conversationId: Id<"conversations">) {
  const seen: Seen[] = [];
  let stopped = false;
  const poll = async () => {
    const { page } = await as.query(api.messages.list, { conversationId, paginationOpts: { numItems: 5, cursor: null } });
    const reply = page.find((m) => m.role === "assistant");
    const last = seen.at(-1);
    if (reply && (last?.content !== reply.content || last.replyStatus !== reply.replyStatus)) {
      seen.push({ content: reply.content, replyStatus: reply.replyStatus });
    }
  };
  const polling = (async () => {
    while (!stopped) {
      await poll();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  })();
  return {
    seen,
    stop: async () => {
      stopped = true;
      await polling;
      await poll(); // what the client sees once everything has landed
      return seen;
    },
  };
}

async function noPendingJobs(t: Backend) {
  return (await scheduledJobs(t)).filter((job) => job.state.kind === "pending");
}

describe("a streamed reply", () => {
  it("is visible in messages.list while it is written, grows, and ends as the final reply in one model call", async () => {
    const t = newBackend();
    const { as, conversationId } = await startChat(t);
    loopback.server().enqueue({ ...replyAnswer(LONG_REPLY), chunkChars: 6, chunkDelayMs: 15 });
    const watcher = watchReply(as, conversationId);
    const started = Date.now();
    const messageId = await as.mutation(api.messages.send, { conversationId, content: "I keep skipping my run" });
    await settle(t);
    const elapsed = Date.now() - started;
    const seen = await watcher.stop();

    const requests = loopback.server().requests;
    expect(requests).toHaveLength(1);
    expect(requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    const streaming = seen.filter((state) => state.replyStatus === "streaming");
    expect(streaming.length).toBeGreaterThanOrEqual(2);
    // Every partial is a growing prefix of the final text; the last state is the final reply.
    for (const [index, state] of streaming.entries()) {
      expect(state.content.length).toBeGreaterThan(0);
      expect(state.content.length).toBeLessThan(LONG_REPLY.length);
      expect(LONG_REPLY.startsWith(state.content)).toBe(true);
      if (index > 0) expect(state.content.length).toBeGreaterThan(streaming[index - 1].content.length);
    }
    expect(seen.at(-1)).toEqual({ content: LONG_REPLY, replyStatus: "final" });
    // Throttled: never more partial states than the stream's duration allows.
    expect(streaming.length).toBeLessThanOrEqual(Math.floor(elapsed / STREAM_WRITE_INTERVAL_MS) + 3);

    const replies = await repliesTo(t, messageId);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ content: LONG_REPLY, replyStatus: "final", tokenUsage: USAGE });
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "done", attempts: 1 });
    expect(await t.run(async (ctx) => await ctx.db.get("conversations", conversationId))).toMatchObject({ messageCount: 2 });
    expect(await t.run(async (ctx) => await ctx.db.query("attemptJobs").collect())).toEqual([]);
  });

  it("without streaming (OPENAI_STREAM=false): one whole response, the reply appears at once", async () => {
    const t = newBackend();
    process.env.OPENAI_STREAM = "false";
    const { as, conversationId } = await startChat(t);
    loopback.server().enqueue(replyAnswer(LONG_REPLY));
    const watcher = watchReply(as, conversationId);
    const messageId = await as.mutation(api.messages.send, { conversationId, content: "hello" });
    await settle(t);
    const seen = await watcher.stop();
    const [request] = loopback.server().requests;
    expect((request.body as { stream?: boolean }).stream).toBeUndefined();
    expect(seen).toEqual([{ content: LONG_REPLY, replyStatus: "final" }]);
    expect(await repliesTo(t, messageId)).toHaveLength(1);
  });
});

describe("failures mid-stream", () => {
  /** Runs attempt 1 by hand while watching, then checks nothing of it is left shown. */
  async function firstAttempt(t: Backend, user: Awaited<ReturnType<typeof startChat>>) {
    const messageId = await pendingMessage(t, user.userId, user.conversationId);
    const watcher = watchReply(user.as, user.conversationId);
    await t.action(internal.extraction.run, { messageId, attempt: 1 });
    const seen = await watcher.stop();
    return { messageId, seen };
  }

  it("a stream cut mid-reply is retried; the partial text is replaced; one reply remains", async () => {
    const t = newBackend();
    const user = await startChat(t);
    loopback
      .server()
      .enqueue({ ...replyAnswer(LONG_REPLY), chunkChars: 5, chunkDelayMs: 15, cutAfterChars: 80 }, replyAnswer("Second try, whole."));
    const { messageId, seen } = await firstAttempt(t, user);
    expect(seen.some((state) => state.replyStatus === "streaming" && LONG_REPLY.startsWith(state.content))).toBe(true);
    expect(seen.some((state) => state.replyStatus === "final")).toBe(false);
    // Between attempts: pending with the reason, the partial withdrawn, attempt 2 scheduled.
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "pending", attempts: 1, reason: "stream interrupted" });
    expect(await repliesTo(t, messageId)).toEqual([]);
    expect((await noPendingJobs(t)).map((job) => job.args)).toEqual([[{ messageId, attempt: 2 }]]);

    await settle(t);
    const replies = await repliesTo(t, messageId);
    expect(replies.map((reply) => [reply.content, reply.replyStatus])).toEqual([["Second try, whole.", "final"]]);
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "done", attempts: 2 });
    expect(loopback.server().requests).toHaveLength(2);
  });

  it("malformed JSON at the end of a stream is retried (malformed: invalid JSON), the shown text withdrawn", async () => {
    const t = newBackend();
    const user = await startChat(t);
    loopback
      .server()
      .enqueue(
        { chunks: ['{"reply":"Half of a tho', "ught that", '", "extraction": {oops'], chunkDelayMs: 300 },
        replyAnswer("A whole thought."),
      );
    const { messageId, seen } = await firstAttempt(t, user);
    expect(seen.map((state) => state.content)).toContain("Half of a thought that");
    const between = await messageDoc(t, messageId);
    expect(between.extraction).toMatchObject({ status: "pending", attempts: 1, reason: "malformed: invalid JSON" });
    expect(between.tokenUsage).toEqual(USAGE); // the usage chunk bills the broken answer
    expect(await repliesTo(t, messageId)).toEqual([]);
    await settle(t);
    expect((await repliesTo(t, messageId)).map((reply) => reply.content)).toEqual(["A whole thought."]);
  });

  it("a stream that stalls past the deadline (OPENAI_TIMEOUT_MS) is a timeout, retried", async () => {
    const t = newBackend();
    // Long enough that the healthy retry is never cut on a busy machine.
    process.env.OPENAI_TIMEOUT_MS = "1500";
    const user = await startChat(t);
    loopback.server().enqueue({ ...replyAnswer(LONG_REPLY), chunkChars: 5, stallAfterChars: 40 }, replyAnswer("Back again."));
    const started = Date.now();
    const { messageId, seen } = await firstAttempt(t, user);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.some((state) => state.replyStatus === "streaming")).toBe(true);
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "pending", attempts: 1, reason: "timeout" });
    expect(await repliesTo(t, messageId)).toEqual([]);
    await settle(t);
    expect((await repliesTo(t, messageId)).map((reply) => reply.content)).toEqual(["Back again."]);
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "done", attempts: 2 });
  });

  it("a refusal arriving in chunks is final: failed, not retried, nothing shown", async () => {
    const t = newBackend();
    const user = await startChat(t);
    loopback.server().enqueue({ refusal: "I can't help with that request.", chunkChars: 4 }, replyAnswer("unused"));
    const { messageId, seen } = await firstAttempt(t, user);
    expect(seen).toEqual([]);
    const failed = await messageDoc(t, messageId);
    expect(failed.extraction).toMatchObject({ status: "failed", attempts: 1, reason: "refusal" });
    expect(failed.tokenUsage).toEqual(USAGE);
    expect(await noPendingJobs(t)).toEqual([]);
    expect(loopback.server().pending()).toBe(1);
  });

  it('finish_reason "length" mid-stream is final: the partial text shown is withdrawn, the message failed', async () => {
    const t = newBackend();
    const user = await startChat(t);
    loopback.server().enqueue({ finishReason: "length", chunkChars: 4, chunkDelayMs: 20 }, replyAnswer("unused"));
    const { messageId, seen } = await firstAttempt(t, user);
    expect(seen.some((state) => state.replyStatus === "streaming" && "I hear you. Tell me mo".startsWith(state.content))).toBe(true);
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({
      status: "failed",
      attempts: 1,
      reason: "finish_reason length",
    });
    expect(await repliesTo(t, messageId)).toEqual([]);
    expect(await noPendingJobs(t)).toEqual([]);
    const { page } = await user.as.query(api.messages.list, {
      conversationId: user.conversationId,
      paginationOpts: { numItems: 5, cursor: null },
    });
    expect(page.map((m) => m.role)).toEqual(["user"]);
  });

  it("a late write of a stale attempt changes nothing (only the current attempt of a pending message writes)", async () => {
    const t = newBackend();
    const user = await startChat(t);
    loopback.server().enqueue(replyAnswer("The real reply."));
    const messageId = await user.as.mutation(api.messages.send, { conversationId: user.conversationId, content: "hi" });
    await settle(t);
    await t.mutation(internal.extraction.streamReply, { messageId, attempt: 1, text: "a stale partial" });
    await t.mutation(internal.extraction.streamReply, { messageId, attempt: 2, text: "a stale partial" });
    expect((await repliesTo(t, messageId)).map((reply) => [reply.content, reply.replyStatus])).toEqual([["The real reply.", "final"]]);
  });
});
