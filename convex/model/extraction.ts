// The extraction pipeline's state and writes (docs/pipeline.md). The action in
// convex/extraction.ts runs: loadTurnContext (one query, model/turnContext.ts) → the model
// call (settings: model/modelSettings.ts) → finishAttempt (one mutation, here). Everything
// here takes ctx; the rules (prompt, sanitizer, retry policy) live in src/llm/*.
//
// The pipeline's state is the user message's `extraction` field:
//   pending (attempts = failed attempts so far) → done | failed | skipped
// and a final reply exists iff the status is done (messages.by_reply_to is the second
// guard). While an attempt streams, its reply so far is an assistant message with
// replyStatus "streaming" (streamReply); applying makes it final, a failure withdraws it.
// Every scheduled attempt is recorded (model/attempts.ts) until the status leaves pending.
import { ConvexError, v, type Infer } from "convex/values";
import { normalizeLabel } from "../../src/domain";
import type { TokenUsage } from "../../src/llm/client";
import { addUsage } from "../../src/usage";
import { nextDelayMs, shouldRetry, type Failure } from "../../src/llm/failures";
import { LIMITS, type DropLog, type SanitizedTurn, type StarEndpoint } from "../../src/llm/sanitize";
import { rementionSignal } from "../../src/mechanics/stars";
import { TEXT_BOUNDS, truncateText } from "../../src/text";
import { MINUTE } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { appError, invalidTransition } from "../errors";
import {
  vConceptType,
  vConnectionType,
  vDomain,
  vEmotionValence,
  vGrowthDimension,
  vModelFailure,
  vPolarity,
  vTokenUsage,
  type Extraction,
  type Same,
  type ExtractionCounts,
} from "../validators";
import { clearAttempt } from "./attempts";
import { budgetSpent } from "./batching";
import { recordInferredEmotion } from "./checkins";
import { upsertConnection } from "./connections";
import { growthEventsFor, recordGrowth } from "./growth";
import { backoffRandom, configuredModel } from "./modelSettings";
import { addSkillEvidence } from "./skills";
import { createStar, reinforceStar, starByLabel } from "./stars";
import { admissionStatus, scheduleExtraction, startQueuedTurns } from "./turns";
import { findOwned } from "./userTables";

export { NO_MODEL_REASON, scheduleExtraction } from "./turns";
/** A turn the budget refused at call time (model/usage.ts); final, retry when it allows. */
export const BUDGET_EXCEEDED_REASON = "budget exceeded";

// ---------------------------------------------------------------------------------------
// Status

/**
 * A pending message whose status has not moved for this long lost its action (a crash, or
 * a deploy between attempts): nothing will finish it, so the user may retry it. Longer
 * than any live attempt takes: the backoff (≤ 60 s) plus one call (≤ OPENAI_TIMEOUT_MS,
 * at most 5 min).
 */
export const STUCK_PENDING_MS = 15 * MINUTE;

/**
 * Retryable: a failed or skipped user message, or a stuck pending one; and only with a
 * model configured (MODEL_UNAVAILABLE otherwise).
 */
export function assertRetryable(message: Doc<"messages">, now: number): void {
  const extraction = message.extraction;
  const stuck = extraction?.status === "pending" && now - extraction.updatedAt >= STUCK_PENDING_MS;
  if (message.role !== "user" || !(extraction?.status === "failed" || extraction?.status === "skipped" || stuck)) {
    throw invalidTransition(
      `only a failed, skipped or stuck user message can be retried (status: ${extraction?.status ?? "none"})`,
    );
  }
  if (configuredModel() === null) throw appError("MODEL_UNAVAILABLE", "no model is configured to answer messages");
}

/**
 * messages.retry: the attempts reset, and attempt 1 is scheduled when the user has a turn
 * slot (model/turns.ts), else the message is queued behind the turns in flight. A stuck
 * pending message keeps the slot it holds. A late answer of the lost run (if it ever
 * comes) still applies at most once: the reply guards in finishAttempt do not depend on
 * the attempt number.
 */
export async function resetForRetry(ctx: MutationCtx, message: Doc<"messages">, now: number): Promise<void> {
  assertRetryable(message, now);
  const stuck = message.extraction?.status === "pending";
  const extraction: Extraction = stuck
    ? { status: "pending", attempts: 0, updatedAt: now }
    : await admissionStatus(ctx, message.userId, now);
  await ctx.db.patch("messages", message._id, { extraction });
  if (extraction.status === "pending") await scheduleExtraction(ctx, message, 1, 0);
}

/** Whether attempt `attempt` may run now: pending, and no attempt ≥ this one recorded yet. */
export function isCurrentAttempt(message: Doc<"messages"> | null, attempt: number): message is Doc<"messages"> {
  return (
    message !== null &&
    message.role === "user" &&
    message.extraction?.status === "pending" &&
    message.extraction.attempts === attempt - 1
  );
}

// ---------------------------------------------------------------------------------------
// Outcomes (what the action hands to the one mutation)

const vEndpoint = v.union(
  v.object({ kind: v.literal("star"), starId: v.string() }),
  v.object({ kind: v.literal("new"), ref: v.string() }),
);

/** A sanitized turn (src/llm/sanitize.ts SanitizedTurn): the check below keeps the two the same. */
export const vCleanTurn = v.object({
  reply: v.string(),
  newStars: v.array(
    v.object({
      ref: v.string(),
      label: v.string(),
      normalizedLabel: v.string(),
      description: v.string(),
      domain: vDomain,
      polarity: vPolarity,
      intensity: v.number(),
      conceptType: vConceptType,
      quote: v.string(),
    }),
  ),
  reinforcements: v.array(v.object({ starId: v.string(), signal: v.number(), quote: v.string() })),
  connections: v.array(
    v.object({ from: vEndpoint, to: vEndpoint, type: vConnectionType, strength: v.number(), quote: v.string() }),
  ),
  skillEvidence: v.array(
    v.object({
      skillId: v.string(),
      skillName: v.string(),
      domain: vDomain,
      level: v.number(),
      confidence: v.number(),
      quote: v.string(),
    }),
  ),
  growthSignals: v.array(v.object({ dimension: vGrowthDimension, delta: v.number(), quote: v.string() })),
  /** MECHANICS §9: the emotion the message shows, stored as an `inferred` check-in. */
  emotion: v.union(v.null(), v.object({ valence: vEmotionValence, label: v.string(), intensity: v.number() })),
  dropped: v.object({ count: v.number(), reasons: v.array(v.string()) }),
});
export type CleanTurn = Infer<typeof vCleanTurn>;
void (true satisfies Same<SanitizedTurn, CleanTurn>);

export const vAttemptOutcome = v.union(
  v.object({ kind: v.literal("reply"), turn: vCleanTurn, usage: vTokenUsage }),
  vModelFailure,
  v.object({ kind: v.literal("skipped"), reason: v.string() }),
);
export type AttemptOutcome = Infer<typeof vAttemptOutcome>;

/** A new star of the turn whose meaning matches an existing star (model/turnMemory.ts starTwinsForTurn). */
export const vStarTwin = v.object({ ref: v.string(), starId: v.id("stars"), similarity: v.number() });
export type StarTwin = Infer<typeof vStarTwin>;

/**
 * Records one attempt's outcome. Idempotent: a message that is no longer pending, or
 * already has a reply, is left alone (a replayed action changes nothing); a failure is
 * recorded only once per attempt number, so a replayed failing attempt schedules nothing.
 */
export async function finishAttempt(
  ctx: MutationCtx,
  messageId: Id<"messages">,
  attempt: number,
  outcome: AttemptOutcome,
  now: number,
  starTwins: readonly StarTwin[] = [],
): Promise<void> {
  const message = await ctx.db.get("messages", messageId);
  if (message === null || message.role !== "user" || message.extraction?.status !== "pending") return;
  if (outcome.kind === "reply") {
    const replied = await replyOf(ctx, messageId);
    // A streamed reply so far is this turn's own; a final one means it was answered.
    if (replied === null || replied.replyStatus === "streaming") {
      await applyReply(ctx, message, attempt, outcome.turn, outcome.usage, now, replied, starTwins);
    }
    return;
  }
  if (!isCurrentAttempt(message, attempt)) return;
  if (outcome.kind === "skipped") {
    await setStatus(ctx, message, { status: "skipped", reason: outcome.reason, attempts: attempt - 1, updatedAt: now });
    return;
  }
  const failure: Failure = { kind: outcome.failureKind, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs };
  const retry = shouldRetry(failure, attempt);
  await setStatus(
    ctx,
    message,
    { status: retry ? "pending" : "failed", reason: failure.reason, attempts: attempt, updatedAt: now },
    outcome.usage,
  );
  if (retry) await scheduleExtraction(ctx, message, attempt + 1, nextDelayMs(failure, attempt, backoffRandom()));
}

/**
 * Every status change of a user message goes through here. Any status but done withdraws a
 * streamed reply so far (a retry streams its own from the start; a failed message shows no
 * half reply); leaving pending ends the watch on its attempts and frees its turn slot.
 */
async function setStatus(ctx: MutationCtx, message: Doc<"messages">, extraction: Extraction, usage?: TokenUsage) {
  await ctx.db.patch("messages", message._id, { extraction, tokenUsage: addUsage(message.tokenUsage, usage) });
  if (extraction.status !== "done") await withdrawStreamedReply(ctx, message._id);
  if (extraction.status !== "pending") {
    await clearAttempt(ctx, { kind: "turn", messageId: message._id });
    // A turn that ends frees its slot for the user's next queued one (model/turns.ts).
    await startQueuedTurns(ctx, message.userId, extraction.updatedAt);
  }
}

/** The assistant message that answers `messageId`, streaming or final (at most one). */
export async function replyOf(ctx: MutationCtx, messageId: Id<"messages">): Promise<Doc<"messages"> | null> {
  return await ctx.db
    .query("messages")
    .withIndex("by_reply_to", (q) => q.eq("replyTo", messageId))
    .first();
}

async function withdrawStreamedReply(ctx: MutationCtx, messageId: Id<"messages">): Promise<void> {
  const reply = await replyOf(ctx, messageId);
  if (reply?.replyStatus === "streaming") await ctx.db.delete("messages", reply._id);
}

// ---------------------------------------------------------------------------------------
// Streaming: the reply so far (written by the action's throttled writer, src/llm/throttle.ts)

/**
 * Writes the reply's text so far while attempt `attempt` streams: the first write inserts
 * the assistant message (replyStatus "streaming", replyTo = the user message), later ones
 * replace its content (the whole text: docs/pipeline.md "Streaming" says why not deltas).
 * Only the current attempt of a pending message writes, and never over a final reply, so a
 * late write of a lost or replayed run changes nothing. The text is cut to the reply bound.
 */
export async function streamReply(
  ctx: MutationCtx,
  messageId: Id<"messages">,
  attempt: number,
  text: string,
  now: number,
): Promise<void> {
  const message = await ctx.db.get("messages", messageId);
  if (!isCurrentAttempt(message, attempt)) return;
  const content = truncateText(text, TEXT_BOUNDS.reply);
  const reply = await replyOf(ctx, messageId);
  if (reply === null) {
    await ctx.db.insert("messages", {
      userId: message.userId,
      conversationId: message.conversationId,
      role: "assistant",
      content,
      createdAt: now,
      replyTo: messageId,
      replyStatus: "streaming",
    });
  } else if (reply.replyStatus === "streaming" && reply.content !== content) {
    await ctx.db.patch("messages", reply._id, { content });
  }
}

// ---------------------------------------------------------------------------------------
// Applying a reply (inside finishAttempt's transaction)

/** What one turn applied and dropped; reasons are content-free (list, index, rule). */
class ApplyLog {
  readonly counts: ExtractionCounts;
  readonly reasons: string[];
  readonly starIds = new Set<Id<"stars">>();
  readonly connectionIds = new Set<Id<"connections">>();

  constructor(dropped: DropLog) {
    this.counts = { starsCreated: 0, starsReinforced: 0, connections: 0, skillEvidence: 0, growthEvents: 0, dropped: dropped.count };
    this.reasons = dropped.reasons.slice(0, LIMITS.reasons);
  }

  drop(reason: string): void {
    this.counts.dropped += 1;
    if (this.reasons.length < LIMITS.reasons) this.reasons.push(reason);
  }
}

/** Everything an apply step needs besides its own list: one turn of one user message. */
type ApplyScope = {
  ctx: MutationCtx;
  user: Doc<"users">;
  message: Doc<"messages">;
  log: ApplyLog;
  now: number;
};

/**
 * Runs one item's write, unless the transaction has spent the one job budget
 * (model/batching.ts): reinforcement spills over connections, so one item can read hundreds
 * of rows, and the reply itself must always get stored. The model helpers validate everything before their first write,
 * so a ConvexError they throw (CONFLICT, INVALID_ARGUMENT, NOT_FOUND...) means nothing of
 * that item was written: it is dropped and counted, and the rest of the turn goes on.
 * Any other error is a bug and fails the mutation.
 */
async function guarded({ ctx, log }: ApplyScope, at: string, write: () => Promise<void>): Promise<void> {
  if (await budgetSpent(ctx)) {
    log.drop(`${at}: over the transaction budget`);
    return;
  }
  try {
    await write();
  } catch (error) {
    if (!(error instanceof ConvexError)) throw error;
    const code = (error.data as { code?: unknown } | undefined)?.code;
    log.drop(`${at}: refused (${typeof code === "string" ? code : "error"})`);
  }
}

/** One of the user's stars by an id from model output, if it still exists and is not dismissed. */
async function liveStar({ ctx, user }: ApplyScope, rawId: string): Promise<Doc<"stars"> | null> {
  const star = await findOwned(ctx, "stars", rawId, user._id);
  return star !== null && star.dismissedAt === undefined ? star : null;
}

async function applyReply(
  ctx: MutationCtx,
  message: Doc<"messages">,
  attempt: number,
  turn: CleanTurn,
  usage: TokenUsage,
  now: number,
  streamed: Doc<"messages"> | null,
  starTwins: readonly StarTwin[],
): Promise<void> {
  const user = await ctx.db.get("users", message.userId);
  const conversation = await ctx.db.get("conversations", message.conversationId);
  if (user === null || conversation === null) return; // erased or archived meanwhile
  if (user.deletionRequestedAt !== undefined) {
    await setStatus(ctx, message, { status: "failed", reason: "account deletion pending", attempts: attempt, updatedAt: now }, usage);
    return;
  }
  const scope: ApplyScope = { ctx, user, message, log: new ApplyLog(turn.dropped), now };
  // Explicit reinforcements first, so they win over re-mentions of the same star.
  await applyReinforcements(scope, turn.reinforcements);
  const refs = await applyNewStars(scope, turn.newStars, starTwins);
  await applyConnections(scope, turn.connections, refs);
  await applySkillEvidence(scope, turn.skillEvidence);
  await applyGrowthSignals(scope, turn.growthSignals);
  const emotion = turn.emotion;
  if (emotion) await guarded(scope, "emotion", async () => void (await recordInferredEmotion(ctx, user, message, emotion, now)));

  const { log } = scope;
  const final = {
    content: turn.reply,
    replyStatus: "final" as const,
    extractedStars: [...log.starIds],
    extractedConnections: [...log.connectionIds],
    tokenUsage: usage,
  };
  // The streamed message becomes the reply (it keeps its place in the conversation).
  if (streamed !== null) await ctx.db.patch("messages", streamed._id, final);
  else {
    await ctx.db.insert("messages", {
      userId: user._id,
      conversationId: conversation._id,
      role: "assistant",
      createdAt: now,
      replyTo: message._id,
      ...final,
    });
  }
  await ctx.db.patch("conversations", conversation._id, {
    messageCount: conversation.messageCount + 1,
    lastMessageAt: Math.max(conversation.lastMessageAt, now),
  });
  await setStatus(
    ctx,
    message,
    {
      status: "done",
      attempts: Math.max(attempt, message.extraction?.attempts ?? 0),
      updatedAt: now,
      applied: log.counts,
      droppedReasons: log.reasons.length > 0 ? log.reasons : undefined,
    },
    usage,
  );
}

// Quotes arrive cut to TEXT_BOUNDS.quote by the sanitizer (src/text.ts), the bound and the
// unit (code points) every writer below checks, so a quote is never a reason to drop an item.

async function applyReinforcements(scope: ApplyScope, items: CleanTurn["reinforcements"]): Promise<void> {
  const { ctx, message, log, now } = scope;
  for (const [index, item] of items.entries()) {
    const at = `reinforcements[${index}]`;
    // Read now, not earlier: a previous item's spillover may have moved this star.
    const star = await liveStar(scope, item.starId);
    if (star === null) log.drop(`${at}: star gone, dismissed or not the user's`);
    else if (log.starIds.has(star._id)) log.drop(`${at}: star already reinforced this turn`);
    else {
      await guarded(scope, at, async () => {
        await reinforceStar(ctx, star, item.signal, now, { quote: item.quote, messageId: message._id });
        log.starIds.add(star._id);
        log.counts.starsReinforced += 1;
      });
    }
  }
}

/**
 * New stars, re-checked against the whole constellation (the model only saw 50): a label
 * the user dismissed is dropped; a label that exists reinforces that star with the
 * sanitizer's re-mention signal instead of creating a twin. Returns ref → star id.
 */
async function applyNewStars(
  scope: ApplyScope,
  items: CleanTurn["newStars"],
  starTwins: readonly StarTwin[],
): Promise<Map<string, Id<"stars">>> {
  const { ctx, user, message, log, now } = scope;
  const refs = new Map<string, Id<"stars">>();
  for (const [index, item] of items.entries()) {
    const at = `newStars[${index}]`;
    const existing = (await starByLabel(ctx, user._id, normalizeLabel(item.label))) ?? (await meaningTwin(scope, item, starTwins));
    if (existing?.dismissedAt !== undefined) log.drop(`${at}: label was dismissed`);
    else if (existing !== null) {
      refs.set(item.ref, existing._id);
      if (log.starIds.has(existing._id)) log.drop(`${at}: star already reinforced this turn`);
      else {
        await guarded(scope, at, async () => {
          const signal = rementionSignal(item.intensity);
          await reinforceStar(ctx, existing, signal, now, { quote: item.quote, messageId: message._id });
          log.starIds.add(existing._id);
          log.counts.starsReinforced += 1;
        });
      }
    } else {
      await guarded(scope, at, async () => {
        const starId = await createStar(
          ctx,
          user,
          {
            label: item.label,
            description: item.description,
            domain: item.domain,
            polarity: item.polarity,
            intensity: item.intensity,
            conceptType: item.conceptType,
            sourceMessageId: message._id,
            quote: item.quote,
          },
          now,
        );
        refs.set(item.ref, starId);
        log.starIds.add(starId);
        log.counts.starsCreated += 1;
      });
    }
  }
  return refs;
}

/**
 * Dedupe by meaning: the user's star (live or dismissed) whose embedding matched this new
 * star's at or above STAR_DEDUPE_SIMILARITY (src/memory.ts), found by the action before this
 * transaction (model/turnMemory.ts). Re-read and owner-checked here; null when there is none.
 * The caller treats it exactly like a label match: reinforced as a re-mention, or dropped
 * when the user dismissed it (a dismissed concept is not recreated under another wording).
 */
async function meaningTwin(
  { ctx, user }: ApplyScope,
  item: CleanTurn["newStars"][number],
  starTwins: readonly StarTwin[],
): Promise<Doc<"stars"> | null> {
  const twin = starTwins.find((candidate) => candidate.ref === item.ref);
  if (twin === undefined) return null;
  return await findOwned(ctx, "stars", twin.starId, user._id);
}

async function applyConnections(
  scope: ApplyScope,
  items: CleanTurn["connections"],
  refs: ReadonlyMap<string, Id<"stars">>,
): Promise<void> {
  const { ctx, user, message, log, now } = scope;
  const resolve = async (end: StarEndpoint): Promise<Id<"stars"> | null> => {
    if (end.kind === "new") return refs.get(end.ref) ?? null;
    return (await liveStar(scope, end.starId))?._id ?? null;
  };
  for (const [index, item] of items.entries()) {
    const at = `connections[${index}]`;
    const [starA, starB] = await Promise.all([resolve(item.from), resolve(item.to)]);
    if (starA === null || starB === null) log.drop(`${at}: end gone, dismissed, dropped or not the user's`);
    else if (starA === starB) log.drop(`${at}: self-connection`);
    else {
      await guarded(scope, at, async () => {
        const connectionId = await upsertConnection(
          ctx,
          user._id,
          { starA, starB, type: item.type, strength: item.strength, quote: item.quote, messageId: message._id },
          now,
        );
        log.connectionIds.add(connectionId);
        log.counts.connections += 1;
      });
    }
  }
}

async function applySkillEvidence(scope: ApplyScope, items: CleanTurn["skillEvidence"]): Promise<void> {
  const { ctx, user, message, log, now } = scope;
  for (const [index, item] of items.entries()) {
    const at = `skillEvidence[${index}]`;
    const skillId = ctx.db.normalizeId("skills", item.skillId);
    if (skillId === null) {
      log.drop(`${at}: unknown skill`);
      continue;
    }
    await guarded(scope, at, async () => {
      const evidenceId = await addSkillEvidence(
        ctx,
        user._id,
        {
          skillId,
          level: item.level,
          confidence: item.confidence,
          source: "interview",
          sourceRef: message._id,
          notes: item.quote,
        },
        now,
      );
      if (evidenceId === null) log.drop(`${at}: unknown skill`);
      else log.counts.skillEvidence += 1;
    });
  }
}

/**
 * Growth signals are about the user as a whole, not one star: entityType "user",
 * entityId = the user id, source "extraction_signal", no domain. One append per signal, so
 * a refused one is dropped alone.
 */
async function applyGrowthSignals(scope: ApplyScope, items: CleanTurn["growthSignals"]): Promise<void> {
  const { ctx, user, log, now } = scope;
  for (const [index, signal] of items.entries()) {
    await guarded(scope, `growthSignals[${index}]`, async () => {
      const delta = { dimKey: signal.dimension, delta: signal.delta, source: "extraction_signal" as const };
      log.counts.growthEvents += await recordGrowth(ctx, user._id, growthEventsFor("user", user._id, [delta]), now);
    });
  }
}
