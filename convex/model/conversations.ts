// Conversations and user messages: ownership, the conversation state machine
// (active → completed | abandoned; archival is model/retention.ts), storing a user message
// with its pipeline status, and the mirror progression (MECHANICS §8) on completion.
import type { ConversationPhase, UserPhase } from "../../src/domain";
import { DEFAULT_CHARACTER_KEY } from "../../src/llm/characters";
import { mirrorAdvance, MIRROR_DAYS } from "../../src/mechanics/phases";
import { IDLE_MS, isIdle } from "../../src/mechanics/retention";
import { effectiveTimeZone, localDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { invalidTransition } from "../errors";
import { userText } from "./clientInput";
import { internal } from "../_generated/api";
import { rememberMessage } from "./memories";
import { configuredModel } from "./modelSettings";
import { recordInteraction } from "./relationships";
import { admissionStatus, scheduleExtraction } from "./turns";

export function assertActive(conversation: Doc<"conversations">): void {
  if (conversation.status !== "active") {
    throw invalidTransition(`the conversation is ${conversation.status}; only an active one takes messages`);
  }
}

/** Trimmed content, 1..TEXT_BOUNDS.message (8,000) code points: an emoji counts once. */
export function validMessageContent(content: string): string {
  return userText("content", "message", content, { required: true });
}

/**
 * The mirror day a new mirror conversation works on: the one after the last completed
 * (users.mirrorDay counts completed days), at most MIRROR_DAYS. Set by the server, never
 * by the client, since it is what the prompt tells the model.
 */
export function mirrorDayInProgress(user: Doc<"users">): number {
  return Math.min(MIRROR_DAYS, user.mirrorDay + 1);
}

/**
 * Starts a conversation with a character (TARS unless `characterKey` names another, already
 * resolved by model/characters.ts conversationCharacterKey). A mirror conversation records
 * its mirror day (only while the user is onboarding or in the mirror), and the first one
 * moves an onboarding user to `mirror` (MECHANICS §8; docs/mechanics.md "User phases").
 */
export async function startConversation(
  ctx: MutationCtx,
  user: Doc<"users">,
  phase: ConversationPhase,
  now: number,
  characterKey: string = DEFAULT_CHARACTER_KEY,
): Promise<Id<"conversations">> {
  const inMirror = user.currentPhase === "onboarding" || user.currentPhase === "mirror";
  const conversationId = await ctx.db.insert("conversations", {
    userId: user._id,
    phase,
    mirrorDay: phase === "mirror" && inMirror ? mirrorDayInProgress(user) : undefined,
    status: "active",
    messageCount: 0,
    userMessageCount: 0,
    startedAt: now,
    lastMessageAt: now,
    characterKey,
  });
  if (phase === "mirror" && user.currentPhase === "onboarding") {
    await ctx.db.patch("users", user._id, { currentPhase: "mirror" });
  }
  return conversationId;
}

export type CompletionOutcome = { mirrorAdvanced: boolean; mirrorDay: number; currentPhase: UserPhase };

/**
 * active → completed. A conversation with at least 3 user messages counts as an interaction
 * with its character (MECHANICS §10, once per character per local date). A mirror one then
 * advances the user's mirror day, at most once per local date in their timezone, and day 7
 * opens the birth chart (src/mechanics/phases.ts mirrorAdvance decides).
 */
export async function completeConversation(
  ctx: MutationCtx,
  user: Doc<"users">,
  conversation: Doc<"conversations">,
  now: number,
): Promise<CompletionOutcome> {
  if (conversation.status !== "active") {
    throw invalidTransition(`the conversation is ${conversation.status}; only an active one can be completed`);
  }
  await ctx.db.patch("conversations", conversation._id, { status: "completed", completedAt: now });
  await scheduleSummary(ctx, conversation);
  await recordInteraction(ctx, user, conversation, now);
  const unchanged = { mirrorAdvanced: false, mirrorDay: user.mirrorDay, currentPhase: user.currentPhase };
  if (conversation.phase !== "mirror") return unchanged;
  const next = mirrorAdvance(
    { mirrorDay: user.mirrorDay, lastMirrorAdvanceDate: user.lastMirrorAdvanceDate, currentPhase: user.currentPhase },
    conversation.userMessageCount,
    localDate(now, effectiveTimeZone(user)),
  );
  if (next === null) return unchanged;
  await ctx.db.patch("users", user._id, next);
  return { mirrorAdvanced: true, mirrorDay: next.mirrorDay, currentPhase: next.currentPhase };
}

/**
 * Stores a user message in an active conversation with its pipeline status, bumps the
 * conversation's counts and lastMessageAt, and schedules the extraction when the user has
 * a turn slot (queued otherwise, model/turns.ts; skipped when no model is configured). The
 * caller has validated, checked the budget and rate-limited.
 */
export async function storeUserMessage(
  ctx: MutationCtx,
  conversation: Doc<"conversations">,
  content: string,
  now: number,
): Promise<Id<"messages">> {
  assertActive(conversation);
  const extraction = await admissionStatus(ctx, conversation.userId, now);
  const messageId = await ctx.db.insert("messages", {
    userId: conversation.userId,
    conversationId: conversation._id,
    role: "user",
    content,
    createdAt: now,
    extraction,
  });
  await ctx.db.patch("conversations", conversation._id, {
    messageCount: conversation.messageCount + 1,
    userMessageCount: conversation.userMessageCount + 1,
    lastMessageAt: Math.max(conversation.lastMessageAt, now),
  });
  // Remembered at once (pending): the turn embeds it, or the sweep once a model is configured.
  await rememberMessage(ctx, { _id: messageId, userId: conversation.userId, conversationId: conversation._id, content, createdAt: now });
  if (extraction.status === "pending") await scheduleExtraction(ctx, { _id: messageId, userId: conversation.userId }, 1, 0);
  return messageId;
}

// ---------------------------------------------------------------------------------------
// Idle conversations (the abandon job in conversations.ts pages and fans out)

/** Active conversations whose last message is at least IDLE_MS old at `now`, oldest first. */
export function idleConversations(ctx: QueryCtx, now: number) {
  return ctx.db
    .query("conversations")
    .withIndex("by_status_last_message", (q) => q.eq("status", "active").lte("lastMessageAt", now - IDLE_MS));
}

/**
 * Marks one conversation abandoned if it is still active and idle at `now` (a message that
 * arrived after the job read the page keeps it active). Returns whether it changed.
 */
export async function abandonIfIdle(
  ctx: MutationCtx,
  conversationId: Id<"conversations">,
  now: number,
): Promise<boolean> {
  const conversation = await ctx.db.get("conversations", conversationId);
  if (conversation === null || conversation.status !== "active" || !isIdle(conversation.lastMessageAt, now)) {
    return false;
  }
  await ctx.db.patch("conversations", conversationId, { status: "abandoned" });
  await scheduleSummary(ctx, conversation);
  return true;
}

/** A completed or abandoned conversation gets its summary (convex/summaries.ts); id only, only with a model. */
async function scheduleSummary(ctx: MutationCtx, conversation: Doc<"conversations">): Promise<void> {
  if (conversation.userMessageCount === 0 || configuredModel() === null) return;
  await ctx.scheduler.runAfter(0, internal.summaries.summarize, { conversationId: conversation._id });
}
