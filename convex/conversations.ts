// Conversations with a coach character, TARS by default (docs/pipeline.md): start, list, get, complete, and the job that
// abandons conversations idle for 24 hours. Thin: the rules are in model/conversations.ts.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { DEFAULT_CHARACTER_KEY } from "../src/llm/characters";
import { internal } from "./_generated/api";
import { isolated, pageAndFanOut, vCursor, withinBudget } from "./model/batching";
import { conversationCharacterKey } from "./model/characters";
import type { Doc } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";
import { userMutation, userQuery } from "./functions";
import {
  abandonIfIdle,
  completeConversation,
  idleConversations,
  startConversation,
} from "./model/conversations";
import schema from "./schema";
import { loadOwned } from "./model/userTables";
import { mapperOf, vConversationPhase, vUserPhase } from "./validators";

/**
 * A conversation as a client sees it: the document without its owner, and `character`, the
 * key of the character who answers (characters.list; "tars" for conversations from before
 * characters, which have no characterKey).
 */
export const vConversationView = doc(schema, "conversations")
  .omit("_creationTime", "userId", "characterKey")
  .extend({ character: v.string() });
export type ConversationView = Infer<typeof vConversationView>;
const conversationFields = mapperOf(vConversationView.omit("character"));
export function toConversationView(conversation: Doc<"conversations">): ConversationView {
  return { ...conversationFields(conversation), character: conversation.characterKey ?? DEFAULT_CHARACTER_KEY };
}

/**
 * Starts a conversation in a coaching phase with a character (`character`: its key from
 * characters.list; TARS when absent; NOT_FOUND for an unknown one). The first mirror
 * conversation moves an onboarding user to the mirror phase; its mirror day is set by the
 * server.
 */
export const start = userMutation({
  args: { phase: vConversationPhase, character: v.optional(v.string()) },
  returns: v.id("conversations"),
  handler: async (ctx, { phase, character }) => {
    const characterKey = await conversationCharacterKey(ctx, character);
    return await startConversation(ctx, ctx.user, phase, Date.now(), characterKey);
  },
});

/** The caller's conversations, newest first. */
export const list = userQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vConversationView),
  handler: async (ctx, { paginationOpts }) => {
    const page = await ctx.db
      .query("conversations")
      .withIndex("by_user", (q) => q.eq("userId", ctx.user._id))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toConversationView) };
  },
});

export const get = userQuery({
  args: { conversationId: v.id("conversations") },
  returns: vConversationView,
  handler: async (ctx, { conversationId }) =>
    toConversationView(await loadOwned(ctx, "conversations", conversationId, ctx.user._id)),
});

/**
 * active → completed (INVALID_TRANSITION otherwise). Completing a mirror conversation with
 * at least 3 user messages advances the mirror day, at most once per local date.
 */
export const complete = userMutation({
  args: { conversationId: v.id("conversations") },
  returns: v.object({ mirrorAdvanced: v.boolean(), mirrorDay: v.number(), currentPhase: vUserPhase }),
  handler: async (ctx, { conversationId }) => {
    const conversation = await loadOwned(ctx, "conversations", conversationId, ctx.user._id);
    return await completeConversation(ctx, ctx.user, conversation, Date.now());
  },
});

// ---------------------------------------------------------------------------------------
// Internal: the idle job (crons.ts, hourly). A driver pages conversations.by_status_last_message
// (active, lastMessageAt ≤ now − 24 h) and fans each page out in batches (model/batching.ts).

export const abandonIdle = internalMutation({
  args: { now: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    await pageAndFanOut({
      cursor: args.cursor,
      page: (options) => idleConversations(ctx, now).paginate(options),
      batch: (conversationIds) => ctx.scheduler.runAfter(0, internal.conversations.abandonIdleBatch, { conversationIds, now }),
      next: (cursor) => ctx.scheduler.runAfter(0, internal.conversations.abandonIdle, { now, cursor }),
    });
    return null;
  },
});

/**
 * Abandons each conversation still idle; returns how many this transaction abandoned. Each
 * in a sub-transaction (model/batching.ts isolated): one bad row is logged and skipped.
 */
export const abandonIdleBatch = internalMutation({
  args: { conversationIds: v.array(v.id("conversations")), now: v.number() },
  returns: v.number(),
  handler: async (ctx, { conversationIds, now }) => {
    let abandoned = 0;
    await withinBudget(
      ctx,
      conversationIds,
      async (conversationId) => {
        const done = await isolated(ctx, "conversations:abandonIdleBatch", conversationId, internal.conversations.abandonIdleOne, {
          conversationId,
          now,
        });
        if (done === true) abandoned += 1;
        return "done";
      },
      (rest) => ctx.scheduler.runAfter(0, internal.conversations.abandonIdleBatch, { conversationIds: rest, now }),
    );
    return abandoned;
  },
});

/** One conversation of abandonIdleBatch, as its sub-transaction: whether it was abandoned. */
export const abandonIdleOne = internalMutation({
  args: { conversationId: v.id("conversations"), now: v.number() },
  returns: v.boolean(),
  handler: async (ctx, { conversationId, now }) => await abandonIfIdle(ctx, conversationId, now),
});
