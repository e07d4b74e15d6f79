// What the model sees for one user message (docs/pipeline.md "Context"): the one internal
// query of an extraction attempt loads it, bounded whatever the history. The star and turn
// loaders are separate functions so a change to which stars a prompt shows is one edit.
import { v, type Infer } from "convex/values";
import { PROMPT_LIMITS, type PromptStar } from "../../src/llm/prompts";
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { vConversationPhase, vDomain, vMessageRole, vRelationshipTier, vStarType } from "../validators";
import { isCurrentAttempt } from "./extraction";
import { companionContext } from "./relationships";
import { brightestLiveStars } from "./stars";

const vPromptStar = v.object({
  id: v.string(),
  label: v.string(),
  domain: vDomain,
  brightness: v.number(),
  type: vStarType,
});

export const vTurnContext = v.union(
  v.object({ kind: v.literal("skip"), reason: v.string() }),
  v.object({
    kind: v.literal("turn"),
    /** Who pays for the call (the usage ledger, model/usage.ts). */
    userId: v.id("users"),
    prompt: v.object({
      phase: vConversationPhase,
      mirrorDay: v.union(v.number(), v.null()),
      stars: v.array(vPromptStar),
      recentTurns: v.array(v.object({ role: vMessageRole, content: v.string() })),
      userMessage: v.string(),
      skillNames: v.array(v.string()),
      character: v.object({ name: v.string(), personality: v.string() }),
      relationship: v.object({ level: v.number(), tier: vRelationshipTier }),
      memories: v.array(
        v.object({
          date: v.string(),
          text: v.string(),
          kind: v.optional(v.union(v.literal("user_words"), v.literal("insight"), v.literal("summary"))),
        }),
      ),
    }),
    /** Semantic memory's inputs (model/recall.ts): whose memories, and which messages the prompt already shows. */
    recall: v.object({ userId: v.id("users"), timezone: v.string(), shownMessageIds: v.array(v.string()) }),
    skills: v.array(v.object({ name: v.string(), skillId: v.id("skills") })),
  }),
);
export type TurnContext = Infer<typeof vTurnContext>;

/**
 * The context of attempt `attempt` for one user message: the 50 brightest non-dormant,
 * non-dismissed stars (by id and label), the 12 turns before the message (each truncated
 * by the prompt builder), the first 50 skills of the taxonomy, and the conversation's
 * character with what its relationship tier allows (model/relationships.ts companionContext:
 * persona, level, up to 6 memories). Null when there is
 * nothing to do: the message is gone, answered, failed, or this attempt is stale (a replay,
 * or a later attempt was recorded).
 */
export async function loadTurnContext(
  ctx: QueryCtx,
  messageId: Id<"messages">,
  attempt: number,
): Promise<TurnContext | null> {
  const message = await ctx.db.get("messages", messageId);
  if (!isCurrentAttempt(message, attempt)) return null;
  const [user, conversation] = await Promise.all([
    ctx.db.get("users", message.userId),
    ctx.db.get("conversations", message.conversationId),
  ]);
  if (user === null || conversation === null) return null;
  if (user.deletionRequestedAt !== undefined) return { kind: "skip", reason: "account deletion pending" };
  const [stars, recentTurns, skills, companion] = await Promise.all([
    promptStars(ctx, user._id),
    recentTurnsBefore(ctx, message),
    promptSkills(ctx),
    companionContext(ctx, user, conversation),
  ]);
  return {
    kind: "turn",
    userId: user._id,
    prompt: {
      phase: conversation.phase,
      mirrorDay: conversation.mirrorDay ?? null,
      stars,
      recentTurns: recentTurns.map(({ role, content }) => ({ role, content })),
      userMessage: message.content,
      skillNames: skills.map((skill) => skill.name),
      ...companion,
    },
    skills: skills.map((skill) => ({ name: skill.name, skillId: skill._id })),
    recall: { userId: user._id, timezone: user.timezone, shownMessageIds: [message._id, ...recentTurns.map((turn) => turn.id)] },
  };
}

/** The prompt's star list: the user's 50 brightest live stars (never dormant, never dismissed), from the live set. */
export async function promptStars(ctx: QueryCtx, userId: Id<"users">): Promise<PromptStar[]> {
  const brightest = await brightestLiveStars(ctx, userId, PROMPT_LIMITS.stars);
  return brightest.map((star) => ({ id: star._id, label: star.label, domain: star.domain, brightness: star.brightness, type: star.type }));
}

/** The conversation's last turns before `message`, oldest first (at most 12). */
export async function recentTurnsBefore(ctx: QueryCtx, message: Doc<"messages">) {
  const newestFirst = await ctx.db
    .query("messages")
    .withIndex("by_conversation", (q) =>
      q.eq("conversationId", message.conversationId).lte("createdAt", message.createdAt),
    )
    .order("desc")
    .take(PROMPT_LIMITS.recentTurns + 1);
  return newestFirst
    .filter((turn) => turn._id !== message._id)
    .slice(0, PROMPT_LIMITS.recentTurns)
    .reverse()
    .map((turn) => ({ id: turn._id as string, role: turn.role, content: turn.content }));
}

/** The skills the model may name: the first 50 of the taxonomy, by normalized name. */
async function promptSkills(ctx: QueryCtx): Promise<Doc<"skills">[]> {
  return await ctx.db.query("skills").withIndex("by_normalized_name").take(PROMPT_LIMITS.skillNames);
}
