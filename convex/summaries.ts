// Conversation summaries (docs/pipeline.md "Memory"): when a conversation completes or is
// abandoned, one action asks its character for a short summary (src/llm/prompts.ts
// buildSummaryMessages), writes it onto the conversation (the app's list preview; archival
// keeps it) and remembers it. Scheduled with the conversation id only.
import { v } from "convex/values";
import { PROMPT_LIMITS, buildSummaryMessages } from "../src/llm/prompts";
import { SUMMARY_SCHEMA, SUMMARY_SCHEMA_NAME } from "../src/llm/schemas";
import { boundText } from "../src/text";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";
import { personaFor } from "./model/characters";
import { rememberSummary, scheduleEmbedding, storeVectors } from "./model/memories";
import { configuredEmbeddings, configuredModel } from "./model/modelSettings";
import { callModelWithBudget, embedWithBudget } from "./model/usage";
import { vMessageRole } from "./validators";

const vSummaryContext = v.object({
  /** Who pays for the calls (model/usage.ts); not sent to the model. */
  userId: v.id("users"),
  character: v.object({ name: v.string(), personality: v.string() }),
  turns: v.array(v.object({ role: vMessageRole, content: v.string() })),
});

/** The character and the conversation's last turns; null when there is nothing to summarize. */
export const summaryContext = internalQuery({
  args: { conversationId: v.id("conversations") },
  returns: v.union(v.null(), vSummaryContext),
  handler: async (ctx, { conversationId }) => {
    const conversation = await ctx.db.get("conversations", conversationId);
    if (conversation === null || conversation.userMessageCount === 0) return null;
    if (conversation.status !== "completed" && conversation.status !== "abandoned") return null;
    const user = await ctx.db.get("users", conversation.userId);
    if (user === null || user.deletionRequestedAt !== undefined) return null;
    const newestFirst = await ctx.db
      .query("messages")
      .withIndex("by_conversation", (q) => q.eq("conversationId", conversationId))
      .order("desc")
      .take(PROMPT_LIMITS.recentTurns);
    const turns = newestFirst.reverse().map((message) => ({ role: message.role, content: message.content }));
    return { userId: conversation.userId, character: await personaFor(ctx, conversation.characterKey), turns };
  },
});

/** Writes the summary onto the conversation and remembers it (with its vector when given). */
export const storeSummary = internalMutation({
  args: { conversationId: v.id("conversations"), summary: v.string(), embedding: v.optional(v.array(v.float64())) },
  returns: v.null(),
  handler: async (ctx, { conversationId, summary, embedding }) => {
    const conversation = await ctx.db.get("conversations", conversationId);
    if (conversation === null) return null;
    const user = await ctx.db.get("users", conversation.userId);
    if (user === null || user.deletionRequestedAt !== undefined) return null;
    const text = boundText("summary", summary.trim());
    await ctx.db.patch("conversations", conversationId, { summary: text });
    const at = conversation.completedAt ?? conversation.lastMessageAt;
    const memoryId = await rememberSummary(ctx, { ...conversation, summary: text }, text, at);
    if (memoryId === null) return null;
    const stored = embedding === undefined ? 0 : await storeVectors(ctx, [{ memoryId, text, embedding }]);
    if (stored === 0) await scheduleEmbedding(ctx, [memoryId]);
    return null;
  },
});

/** One summary: the chat call, then its embedding (both optional: without a model, nothing). */
export const summarize = internalAction({
  args: { conversationId: v.id("conversations") },
  returns: v.null(),
  handler: async (ctx, { conversationId }) => {
    const config = configuredModel();
    if (config === null) return null;
    const context = await ctx.runQuery(internal.summaries.summaryContext, { conversationId });
    if (context === null) return null;
    const { userId, ...prompt } = context;
    const call = await callModelWithBudget(
      ctx,
      { userId, purpose: "summary" },
      { messages: buildSummaryMessages(prompt), schema: SUMMARY_SCHEMA, name: SUMMARY_SCHEMA_NAME },
      config,
    );
    if (call.status === "overBudget") {
      // Background work is deferred, not lost: the same summary once the budget allows.
      await ctx.scheduler.runAfter(call.retryAfterMs, internal.summaries.summarize, { conversationId });
      return null;
    }
    if (call.status !== "called") return null;
    const result = call.result;
    // A failed summary leaves the conversation without one (content-free log line).
    if (!result.ok) {
      console.warn(`conversation summary failed for ${conversationId}: ${result.reason}`);
      return null;
    }
    const summary = boundText("summary", result.data.summary.trim());
    const settings = configuredEmbeddings();
    const embedded = settings === null ? null : await embedWithBudget(ctx, userId, settings, [summary]);
    await ctx.runMutation(internal.summaries.storeSummary, {
      conversationId,
      summary,
      embedding: embedded?.ok ? embedded.vectors[0] : undefined,
    });
    return null;
  },
});
