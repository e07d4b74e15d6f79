// Messages of a conversation (docs/pipeline.md): the live list, sending (which schedules the
// extraction and returns at once) and retrying a failed extraction. Thin: validate,
// authorize, rate-limit, then model/conversations.ts and model/extraction.ts write.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { userMutation, userQuery } from "./functions";
import { assertActive, storeUserMessage, validMessageContent } from "./model/conversations";
import { assertRetryable, resetForRetry } from "./model/extraction";
import { configuredModel } from "./model/modelSettings";
import { assertWithinBudget } from "./model/usage";
import { loadOwned } from "./model/userTables";
import { consumeMessageToken } from "./rateLimits";
import schema from "./schema";
import { mapperOf } from "./validators";

/** A message as a client sees it (the document without its owner). */
export const vMessageView = doc(schema, "messages").omit("_creationTime", "userId");
export type MessageView = Infer<typeof vMessageView>;
export const toMessageView = mapperOf(vMessageView);

/**
 * A conversation's messages, NEWEST FIRST (a chat opens on the latest page and loads older
 * ones as the user scrolls up; the client reverses a page for display). Live: the reply
 * and the status changes arrive through the subscription.
 */
export const list = userQuery({
  args: { conversationId: v.id("conversations"), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vMessageView),
  handler: async (ctx, { conversationId, paginationOpts }) => {
    await loadOwned(ctx, "conversations", conversationId, ctx.user._id);
    const page = await ctx.db
      .query("messages")
      .withIndex("by_conversation", (q) => q.eq("conversationId", conversationId))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toMessageView) };
  },
});

/**
 * Sends a message (1..8,000 characters after trimming) to an active conversation of the
 * caller and returns its id at once; the reply arrives later in `list`. Rate-limited per
 * user (RATE_LIMITED with retryAfterMs, nothing stored) and bounded by the tier's token
 * budget (BUDGET_EXCEEDED with retryAfterMs, nothing stored). Without a model configured
 * the message is kept with status `skipped` (no call, so no budget is asked).
 */
export const send = userMutation({
  args: { conversationId: v.id("conversations"), content: v.string() },
  returns: v.id("messages"),
  handler: async (ctx, { conversationId, content }) => {
    const now = Date.now();
    const text = validMessageContent(content);
    const conversation = await loadOwned(ctx, "conversations", conversationId, ctx.user._id);
    assertActive(conversation);
    if (configuredModel() !== null) await assertWithinBudget(ctx, ctx.user, now);
    await consumeMessageToken(ctx, ctx.user, now);
    return await storeUserMessage(ctx, conversation, text, now);
  },
});

/**
 * Tries a message's extraction again from attempt 1: a failed or skipped one, or one stuck
 * in pending for 15 minutes (INVALID_TRANSITION otherwise; MODEL_UNAVAILABLE without a
 * model; BUDGET_EXCEEDED over the token budget). The conversation must be active. Costs a
 * message of the rate limit.
 */
export const retry = userMutation({
  args: { messageId: v.id("messages") },
  returns: v.null(),
  handler: async (ctx, { messageId }) => {
    const now = Date.now();
    const message = await loadOwned(ctx, "messages", messageId, ctx.user._id);
    assertActive(await loadOwned(ctx, "conversations", message.conversationId, ctx.user._id));
    assertRetryable(message, now);
    await assertWithinBudget(ctx, ctx.user, now);
    await consumeMessageToken(ctx, ctx.user, now);
    await resetForRetry(ctx, message, now);
    return null;
  },
});
