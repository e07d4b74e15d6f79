// Conversations with a coach character, TARS by default (docs/pipeline.md): start, list, get, complete, and the job that
// abandons conversations idle for 24 hours. Thin: the rules are in model/conversations.ts.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { DEFAULT_CHARACTER_KEY } from "../src/llm/characters";
import { internal } from "./_generated/api";
import { fanOut } from "./model/batching";
import { conversationCharacterKey } from "./model/characters";
import type { Doc } from "./_generated/dataModel";
import { internalMutation } from "./_generated/server";
import { userMutation, userQuery } from "./functions";
import {
  abandonIfIdle,
  completeConversation,
  idleConversations,
  ownConversationOrThrow,
  startConversation,
} from "./model/conversations";
import { vConversationPhase, vConversationStatus, vUserPhase } from "./validators";

export const vConversationView = v.object({
  _id: v.id("conversations"),
  phase: vConversationPhase,
  /** Mirror conversations: the mirror day being worked on (1..7). */
  mirrorDay: v.optional(v.number()),
  status: vConversationStatus,
  title: v.optional(v.string()),
  summary: v.optional(v.string()),
  messageCount: v.number(),
  userMessageCount: v.number(),
  startedAt: v.number(),
  lastMessageAt: v.number(),
  completedAt: v.optional(v.number()),
  archivedAt: v.optional(v.number()),
  /** The key of the character who answers (characters.list); "tars" by default. */
  character: v.string(),
});
export type ConversationView = Infer<typeof vConversationView>;

export function toConversationView(c: Doc<"conversations">): ConversationView {
  return {
    _id: c._id,
    phase: c.phase,
    mirrorDay: c.mirrorDay,
    status: c.status,
    title: c.title,
    summary: c.summary,
    messageCount: c.messageCount,
    userMessageCount: c.userMessageCount,
    startedAt: c.startedAt,
    lastMessageAt: c.lastMessageAt,
    completedAt: c.completedAt,
    archivedAt: c.archivedAt,
    character: c.characterKey ?? DEFAULT_CHARACTER_KEY,
  };
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
    toConversationView(await ownConversationOrThrow(ctx, ctx.user._id, conversationId)),
});

/**
 * active → completed (INVALID_TRANSITION otherwise). Completing a mirror conversation with
 * at least 3 user messages advances the mirror day, at most once per local date.
 */
export const complete = userMutation({
  args: { conversationId: v.id("conversations") },
  returns: v.object({ mirrorAdvanced: v.boolean(), mirrorDay: v.number(), currentPhase: vUserPhase }),
  handler: async (ctx, { conversationId }) => {
    const conversation = await ownConversationOrThrow(ctx, ctx.user._id, conversationId);
    return await completeConversation(ctx, ctx.user, conversation, Date.now());
  },
});

// ---------------------------------------------------------------------------------------
// Internal: the idle job (crons.ts, hourly). A driver pages conversations.by_status_last_message
// (active, lastMessageAt ≤ now − 24 h) and fans each page out in batches.

/** Conversations read per driver transaction (small documents). */
export const IDLE_PAGE_SIZE = 200;
/** Conversations per batch mutation (one read and at most one write each). */
export const IDLE_BATCH_SIZE = 50;

const vCursor = v.optional(v.union(v.string(), v.null()));

export const abandonIdle = internalMutation({
  args: { now: v.optional(v.number()), cursor: vCursor },
  returns: v.null(),
  handler: async (ctx, args) => {
    const now = args.now ?? Date.now();
    const page = await idleConversations(ctx, now).paginate({ cursor: args.cursor ?? null, numItems: IDLE_PAGE_SIZE });
    await fanOut(
      page.page.map((conversation) => conversation._id),
      IDLE_BATCH_SIZE,
      (conversationIds) => ctx.scheduler.runAfter(0, internal.conversations.abandonIdleBatch, { conversationIds, now }),
    );
    // The cursor is a position in the index, so rows the batches move out of the range
    // (active → abandoned) do not shift the next page.
    if (!page.isDone) {
      await ctx.scheduler.runAfter(0, internal.conversations.abandonIdle, { now, cursor: page.continueCursor });
    }
    return null;
  },
});

export const abandonIdleBatch = internalMutation({
  args: { conversationIds: v.array(v.id("conversations")), now: v.number() },
  returns: v.number(),
  handler: async (ctx, { conversationIds, now }) => {
    let abandoned = 0;
    for (const conversationId of conversationIds) {
      if (await abandonIfIdle(ctx, conversationId, now)) abandoned += 1;
    }
    return abandoned;
  },
});
