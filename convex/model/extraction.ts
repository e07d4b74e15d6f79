// The extraction pipeline's reads and writes (docs/pipeline.md). The action in
// convex/extraction.ts runs: loadTurnContext (one query) → the model call → finishAttempt
// (one mutation). Everything here takes ctx; the rules (prompt, sanitizer, retry policy)
// live in src/llm/*.
//
// The pipeline's state is the user message's `extraction` field:
//   pending (attempts = failed attempts so far) → done | failed | skipped
// and a reply exists iff the status is done (messages.by_reply_to is the second guard).
import { ConvexError, v, type Infer } from "convex/values";
import { normalizeLabel } from "../../src/domain";
import { MINUTE } from "../../src/time";
import { modelConfig, type ModelConfig, type TokenUsage } from "../../src/llm/client";
import { nextDelayMs, shouldRetry, type Failure } from "../../src/llm/failures";
import { PROMPT_LIMITS } from "../../src/llm/prompts";
import { LIMITS, type DropLog, type StarEndpoint } from "../../src/llm/sanitize";
import { rementionSignal } from "../../src/mechanics/stars";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import { env, type MutationCtx, type QueryCtx } from "../_generated/server";
import { appError, invalidTransition } from "../errors";
import {
  vConceptType,
  vConnectionType,
  vConversationPhase,
  vDomain,
  vEmotionValence,
  vGrowthDimension,
  vMessageRole,
  vPolarity,
  vStarType,
  vTokenUsage,
  type Extraction,
  type ExtractionCounts,
} from "../validators";
import { recordInferredEmotion } from "./checkins";
import { QUOTE_MAX_CHARS, upsertConnection } from "./connections";
import { growthEventsFor, recordGrowth } from "./growth";
import { addSkillEvidence } from "./skills";
import { createStar, reinforceStar, starByLabel } from "./stars";

export const NO_MODEL_REASON = "no model configured";
export const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_TIMEOUT_MS = 300_000;

/**
 * Rows read from stars.by_user_brightness (descending) to find the 50 brightest
 * non-dormant stars. Dormant stars sit at the bottom (b ≤ MIN + 0.01) except dismissed
 * ones, which keep their brightness; a user who dismissed more than 150 stars brighter
 * than their 50th gets a shorter list, never an unbounded read.
 */
export const STAR_SCAN_LIMIT = 200;

// ---------------------------------------------------------------------------------------
// Settings (deployment environment)

/** Model settings, or null when OPENAI_API_KEY is unset. */
export function configuredModel(): ModelConfig | null {
  return modelConfig(env);
}

/** OPENAI_TIMEOUT_MS: the deadline of one model call (tests shorten it); default 60 s. */
export function modelTimeoutMs(): number {
  const raw = Number(env.OPENAI_TIMEOUT_MS);
  return Number.isInteger(raw) && raw > 0 ? Math.min(raw, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
}

/**
 * The backoff's jitter source: Math.random (full jitter, src/llm/failures.ts) unless
 * EXTRACTION_BACKOFF_JITTER pins the draw to a number in [0, 1] (tests: 0 retries at once,
 * 1 waits the whole ceiling). Only the jitter is pinned; the ceilings and the provider's
 * Retry-After stay as in production.
 */
export function backoffRandom(): () => number {
  const raw = env.EXTRACTION_BACKOFF_JITTER;
  const pinned = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  if (Number.isFinite(pinned) && pinned >= 0 && pinned <= 1) return () => pinned;
  return Math.random;
}

// ---------------------------------------------------------------------------------------
// Status

/**
 * A new user message's status. Without a model the message is kept and marked skipped
 * here, in the mutation, so no action is scheduled just to find that out.
 */
export function initialExtraction(now: number): Extraction {
  if (configuredModel() === null) {
    return { status: "skipped", reason: NO_MODEL_REASON, attempts: 0, updatedAt: now };
  }
  return { status: "pending", attempts: 0, updatedAt: now };
}

/** Schedules attempt `attempt` of a message's extraction; the args are ids, never text. */
export async function scheduleExtraction(
  ctx: MutationCtx,
  messageId: Id<"messages">,
  attempt: number,
  delayMs: number,
): Promise<void> {
  await ctx.scheduler.runAfter(delayMs, internal.extraction.run, { messageId, attempt });
}

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
 * messages.retry: back to pending with the attempts reset, and attempt 1 is scheduled. A
 * late answer of the lost run (if it ever comes) still applies at most once: the reply
 * guards in finishAttempt do not depend on the attempt number.
 */
export async function resetForRetry(ctx: MutationCtx, message: Doc<"messages">, now: number): Promise<void> {
  assertRetryable(message, now);
  await ctx.db.patch("messages", message._id, { extraction: { status: "pending", attempts: 0, updatedAt: now } });
  await scheduleExtraction(ctx, message._id, 1, 0);
}

/** Whether attempt `attempt` may run now: pending, and no attempt ≥ this one recorded yet. */
function isCurrentAttempt(message: Doc<"messages"> | null, attempt: number): message is Doc<"messages"> {
  return (
    message !== null &&
    message.role === "user" &&
    message.extraction?.status === "pending" &&
    message.extraction.attempts === attempt - 1
  );
}

// ---------------------------------------------------------------------------------------
// Context (one internal query)

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
    prompt: v.object({
      phase: vConversationPhase,
      mirrorDay: v.union(v.number(), v.null()),
      stars: v.array(vPromptStar),
      recentTurns: v.array(v.object({ role: vMessageRole, content: v.string() })),
      userMessage: v.string(),
      skillNames: v.array(v.string()),
    }),
    skills: v.array(v.object({ name: v.string(), skillId: v.id("skills") })),
  }),
);
export type TurnContext = Infer<typeof vTurnContext>;

/**
 * What the model sees for one user message, bounded whatever the history: the 50 brightest
 * non-dormant, non-dismissed stars (by id and label), the 12 turns before the message (each
 * truncated by the prompt builder), and the first 50 skills of the taxonomy. Null when there
 * is nothing to do: the message is gone, answered, failed, or this attempt is stale (a
 * replay, or a later attempt was recorded).
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
  const [stars, recentTurns, skills] = await Promise.all([
    promptStars(ctx, user._id),
    turnsBefore(ctx, message),
    ctx.db.query("skills").withIndex("by_normalized_name").take(PROMPT_LIMITS.skillNames),
  ]);
  return {
    kind: "turn",
    prompt: {
      phase: conversation.phase,
      mirrorDay: conversation.mirrorDay ?? null,
      stars,
      recentTurns,
      userMessage: message.content,
      skillNames: skills.map((skill) => skill.name),
    },
    skills: skills.map((skill) => ({ name: skill.name, skillId: skill._id })),
  };
}

async function promptStars(ctx: QueryCtx, userId: Id<"users">) {
  const brightest = await ctx.db
    .query("stars")
    .withIndex("by_user_brightness", (q) => q.eq("userId", userId))
    .order("desc")
    .take(STAR_SCAN_LIMIT);
  return brightest
    .filter((star) => star.type !== "dormant" && star.dismissedAt === undefined)
    .slice(0, PROMPT_LIMITS.stars)
    .map((star) => ({ id: star._id, label: star.label, domain: star.domain, brightness: star.brightness, type: star.type }));
}

/** The conversation's last turns before `message`, oldest first. */
async function turnsBefore(ctx: QueryCtx, message: Doc<"messages">) {
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
    .map((turn) => ({ role: turn.role, content: turn.content }));
}

// ---------------------------------------------------------------------------------------
// Outcomes (what the action hands to the one mutation)

const vEndpoint = v.union(
  v.object({ kind: v.literal("star"), starId: v.string() }),
  v.object({ kind: v.literal("new"), ref: v.string() }),
);

/** A sanitized turn (src/llm/sanitize.ts SanitizedTurn), field for field. */
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
  emotion: v.optional(v.union(v.null(), v.object({ valence: vEmotionValence, label: v.string(), intensity: v.number() }))),
  dropped: v.object({ count: v.number(), reasons: v.array(v.string()) }),
});
export type CleanTurn = Infer<typeof vCleanTurn>;

export const vAttemptOutcome = v.union(
  v.object({ kind: v.literal("reply"), turn: vCleanTurn, usage: vTokenUsage }),
  v.object({
    kind: v.literal("failure"),
    failureKind: v.union(v.literal("retryable"), v.literal("final")),
    reason: v.string(),
    retryAfterMs: v.optional(v.number()),
    usage: v.optional(vTokenUsage),
  }),
  v.object({ kind: v.literal("skipped"), reason: v.string() }),
);
export type AttemptOutcome = Infer<typeof vAttemptOutcome>;

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
): Promise<void> {
  const message = await ctx.db.get("messages", messageId);
  if (message === null || message.role !== "user" || message.extraction?.status !== "pending") return;
  if (outcome.kind === "reply") {
    const replied = await ctx.db
      .query("messages")
      .withIndex("by_reply_to", (q) => q.eq("replyTo", messageId))
      .first();
    if (replied === null) await applyReply(ctx, message, attempt, outcome.turn, outcome.usage, now);
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
  if (retry) await scheduleExtraction(ctx, messageId, attempt + 1, nextDelayMs(failure, attempt, backoffRandom()));
}

async function setStatus(ctx: MutationCtx, message: Doc<"messages">, extraction: Extraction, usage?: TokenUsage) {
  await ctx.db.patch("messages", message._id, { extraction, tokenUsage: addUsage(message.tokenUsage, usage) });
}

/** The user message's tokenUsage is the total billed over all its attempts. */
function addUsage(total: TokenUsage | undefined, usage: TokenUsage | undefined): TokenUsage | undefined {
  if (usage === undefined) return total;
  if (total === undefined) return usage;
  return {
    promptTokens: total.promptTokens + usage.promptTokens,
    completionTokens: total.completionTokens + usage.completionTokens,
    totalTokens: total.totalTokens + usage.totalTokens,
  };
}

// ---------------------------------------------------------------------------------------
// Applying a reply (inside finishAttempt's transaction)

/**
 * Half of Convex's per-transaction limits: once the extraction's writes (reinforcement
 * spills over connections, so one item can read hundreds of rows) have used any of these,
 * the remaining items are dropped and counted, so the reply itself always gets stored.
 */
export const APPLY_BUDGET = {
  documentsRead: 16_000,
  documentsWritten: 8_000,
  databaseQueries: 2_048,
  bytesRead: 8 << 20,
  bytesWritten: 8 << 20,
} as const;

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

async function budgetSpent(ctx: MutationCtx): Promise<boolean> {
  const metrics = await ctx.meta.getTransactionMetrics();
  return (Object.keys(APPLY_BUDGET) as (keyof typeof APPLY_BUDGET)[]).some(
    (limit) => metrics[limit].used >= APPLY_BUDGET[limit],
  );
}

/**
 * Runs one item's write. The model helpers validate everything before their first write,
 * so a ConvexError they throw (CONFLICT, INVALID_ARGUMENT, NOT_FOUND...) means nothing of
 * that item was written: it is dropped and counted, and the rest of the turn goes on.
 * Any other error is a bug and fails the mutation.
 */
async function guarded(ctx: MutationCtx, log: ApplyLog, at: string, write: () => Promise<void>): Promise<void> {
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

/**
 * The sanitizer bounds quotes in code points, model/connections.ts in UTF-16 units: an
 * emoji-heavy quote can pass one and fail the other. Quotes are evidence for display, so
 * they are cut (like the sanitizer does), never a reason to drop the item.
 */
export function fitQuote(quote: string): string {
  if (quote.length <= QUOTE_MAX_CHARS) return quote;
  const chars = Array.from(quote);
  let cut = "";
  for (const char of chars) {
    if (cut.length + char.length > QUOTE_MAX_CHARS - 1) break;
    cut += char;
  }
  return `${cut.trimEnd()}…`;
}

/** One of the user's stars by an id from model output, if it still exists and is not dismissed. */
async function liveStar(ctx: QueryCtx, userId: Id<"users">, rawId: string): Promise<Doc<"stars"> | null> {
  const id = ctx.db.normalizeId("stars", rawId);
  const star = id === null ? null : await ctx.db.get("stars", id);
  return star !== null && star.userId === userId && star.dismissedAt === undefined ? star : null;
}

async function applyReply(
  ctx: MutationCtx,
  message: Doc<"messages">,
  attempt: number,
  turn: CleanTurn,
  usage: TokenUsage,
  now: number,
): Promise<void> {
  const user = await ctx.db.get("users", message.userId);
  const conversation = await ctx.db.get("conversations", message.conversationId);
  if (user === null || conversation === null) return; // erased or archived meanwhile
  if (user.deletionRequestedAt !== undefined) {
    await setStatus(ctx, message, { status: "failed", reason: "account deletion pending", attempts: attempt, updatedAt: now }, usage);
    return;
  }
  const log = new ApplyLog(turn.dropped);
  // Explicit reinforcements first, so they win over re-mentions of the same star.
  await applyReinforcements(ctx, user, message, turn, log, now);
  const refs = await applyNewStars(ctx, user, message, turn, log, now);
  await applyConnections(ctx, user, message, turn, refs, log, now);
  await applySkillEvidence(ctx, user, message, turn, log, now);
  await applyGrowthSignals(ctx, user, turn, log, now);
  const emotion = turn.emotion;
  if (emotion) await guarded(ctx, log, "emotion", async () => void (await recordInferredEmotion(ctx, user, message, emotion, now)));

  await ctx.db.insert("messages", {
    userId: user._id,
    conversationId: conversation._id,
    role: "assistant",
    content: turn.reply,
    createdAt: now,
    replyTo: message._id,
    extractedStars: [...log.starIds],
    extractedConnections: [...log.connectionIds],
    tokenUsage: usage,
  });
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

async function applyReinforcements(
  ctx: MutationCtx,
  user: Doc<"users">,
  message: Doc<"messages">,
  turn: CleanTurn,
  log: ApplyLog,
  now: number,
): Promise<void> {
  for (const [index, item] of turn.reinforcements.entries()) {
    const at = `reinforcements[${index}]`;
    // Read now, not earlier: a previous item's spillover may have moved this star.
    const star = await liveStar(ctx, user._id, item.starId);
    if (star === null) log.drop(`${at}: star gone, dismissed or not the user's`);
    else if (log.starIds.has(star._id)) log.drop(`${at}: star already reinforced this turn`);
    else {
      await guarded(ctx, log, at, async () => {
        await reinforceStar(ctx, star, item.signal, now, { quote: fitQuote(item.quote), messageId: message._id });
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
  ctx: MutationCtx,
  user: Doc<"users">,
  message: Doc<"messages">,
  turn: CleanTurn,
  log: ApplyLog,
  now: number,
): Promise<Map<string, Id<"stars">>> {
  const refs = new Map<string, Id<"stars">>();
  for (const [index, item] of turn.newStars.entries()) {
    const at = `newStars[${index}]`;
    const existing = await starByLabel(ctx, user._id, normalizeLabel(item.label));
    const quote = fitQuote(item.quote);
    if (existing?.dismissedAt !== undefined) log.drop(`${at}: label was dismissed`);
    else if (existing !== null) {
      refs.set(item.ref, existing._id);
      if (log.starIds.has(existing._id)) log.drop(`${at}: star already reinforced this turn`);
      else {
        await guarded(ctx, log, at, async () => {
          const signal = rementionSignal(item.intensity);
          await reinforceStar(ctx, existing, signal, now, { quote, messageId: message._id });
          log.starIds.add(existing._id);
          log.counts.starsReinforced += 1;
        });
      }
    } else {
      await guarded(ctx, log, at, async () => {
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
            quote,
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

async function applyConnections(
  ctx: MutationCtx,
  user: Doc<"users">,
  message: Doc<"messages">,
  turn: CleanTurn,
  refs: ReadonlyMap<string, Id<"stars">>,
  log: ApplyLog,
  now: number,
): Promise<void> {
  const resolve = async (end: StarEndpoint): Promise<Id<"stars"> | null> => {
    if (end.kind === "new") return refs.get(end.ref) ?? null;
    return (await liveStar(ctx, user._id, end.starId))?._id ?? null;
  };
  for (const [index, item] of turn.connections.entries()) {
    const at = `connections[${index}]`;
    const [starA, starB] = await Promise.all([resolve(item.from), resolve(item.to)]);
    if (starA === null || starB === null) log.drop(`${at}: end gone, dismissed, dropped or not the user's`);
    else if (starA === starB) log.drop(`${at}: self-connection`);
    else {
      await guarded(ctx, log, at, async () => {
        const connectionId = await upsertConnection(
          ctx,
          user._id,
          { starA, starB, type: item.type, strength: item.strength, quote: fitQuote(item.quote), messageId: message._id },
          now,
        );
        log.connectionIds.add(connectionId);
        log.counts.connections += 1;
      });
    }
  }
}

async function applySkillEvidence(
  ctx: MutationCtx,
  user: Doc<"users">,
  message: Doc<"messages">,
  turn: CleanTurn,
  log: ApplyLog,
  now: number,
): Promise<void> {
  for (const [index, item] of turn.skillEvidence.entries()) {
    const at = `skillEvidence[${index}]`;
    const skillId = ctx.db.normalizeId("skills", item.skillId);
    if (skillId === null) {
      log.drop(`${at}: unknown skill`);
      continue;
    }
    await guarded(ctx, log, at, async () => {
      const evidenceId = await addSkillEvidence(
        ctx,
        user._id,
        {
          skillId,
          level: item.level,
          confidence: item.confidence,
          source: "interview",
          sourceRef: message._id,
          notes: fitQuote(item.quote),
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
async function applyGrowthSignals(
  ctx: MutationCtx,
  user: Doc<"users">,
  turn: CleanTurn,
  log: ApplyLog,
  now: number,
): Promise<void> {
  for (const [index, signal] of turn.growthSignals.entries()) {
    await guarded(ctx, log, `growthSignals[${index}]`, async () => {
      const delta = { dimKey: signal.dimension, delta: signal.delta, source: "extraction_signal" as const };
      log.counts.growthEvents += await recordGrowth(ctx, user._id, growthEventsFor("user", user._id, [delta]), now);
    });
  }
}
