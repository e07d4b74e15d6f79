// The only writers of star physics (MECHANICS §1): creation, reinforcement with its one-hop
// spillover, the user's corrections (edit, dismiss) and the daily decay and shadow drain.
// Each loads what a formula needs, calls src/mechanics/stars.ts and writes the result.
//
// Invariants kept here:
//  - at most one star per (user, normalizedLabel), dismissed ones included, so the
//    dismissed-label memory is a by_user_label lookup;
//  - a dismissed star is `dormant` for good: it is never reinforced, spilled onto, decayed
//    or drained, and does not boost or block (it counts as a dormant source);
//  - `state` is starState(type, dismissedAt) after every write (writeStar), and a write that
//    changes it moves the star's end of each of its connections in the same transaction
//    (model/connections.ts syncConnectionEnds): the live set stays an index.
import { normalizeLabel, starState, type ConceptType, type Domain, type Polarity } from "../../src/domain";
import { appendEvidence, isSymmetric, shadowMirrorDrainedEnds } from "../../src/mechanics/connections";
import { starCreatedDeltas, starReinforcedDeltas } from "../../src/mechanics/growth";
import {
  ceilingFor,
  createStar as newStarPhysics,
  decay,
  decayWriteNeeded,
  drainDays,
  drainStar,
  growthEdgeMultiplier,
  reinforce,
  rementionSignal,
  spill,
  spilloverDelta,
  thetaFor,
  type StarPhysics,
} from "../../src/mechanics/stars";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, invalidArgument, invalidTransition, notFound } from "../errors";
import { userText } from "./clientInput";
import {
  evidenceQuote,
  incomingFromLive,
  liveEdges,
  newSyncBudget,
  syncConnectionEnds,
  type SyncBudget,
} from "./connections";
import { growthEventsFor, recordGrowth } from "./growth";
import { rememberStar, scheduleEmbedding } from "./memories";
import { loadOwned } from "./userTables";
import { assertNotDeleting } from "./users";

/**
 * Most stars a constellation read returns (non-dormant first, brightest types first). Keeps
 * the reactive query's reads bounded by the active set, whatever the user's history.
 */
export const MAX_ACTIVE_STARS = 500;

/**
 * Writes `patch` onto `star` (as stored now: callers read it fresh, as the physics needs)
 * with the state it leads to; when the state changes, the star's connection ends follow in
 * this transaction (as far as `budget` goes, then scheduled). Every write of type or
 * dismissedAt goes through here.
 */
async function writeStar(
  ctx: MutationCtx,
  star: Doc<"stars">,
  patch: Partial<Doc<"stars">>,
  now: number,
  budget: SyncBudget,
): Promise<void> {
  const state = starState({ ...star, ...patch });
  await ctx.db.patch("stars", star._id, { ...patch, state });
  // `star.state` (not starState(star)): a star the backfill has not reached yet syncs too.
  if (star.state !== state) await syncConnectionEnds(ctx, star._id, state, now, budget);
}

/** The user's brightest live stars (never dormant or dismissed), brightest first: the prompts' star list. */
export async function brightestLiveStars(ctx: QueryCtx, userId: Id<"users">, limit: number): Promise<Doc<"stars">[]> {
  return await ctx.db
    .query("stars")
    .withIndex("by_user_state_brightness", (q) => q.eq("userId", userId).eq("state", "live"))
    .order("desc")
    .take(limit);
}

/** The stored fields a physics step may change (StarPhysics minus identity and layout inputs). */
function physicsPatch(next: StarPhysics) {
  return {
    type: next.type,
    brightness: next.brightness,
    variance: next.variance,
    radius: next.radius,
    lastUpdatedAt: next.lastUpdatedAt,
    lastReinforcedAt: next.lastReinforcedAt,
    // `undefined` removes the field: the formulas clear stabilization this way.
    stabilizedAt: next.stabilizedAt,
  };
}

// ---------------------------------------------------------------------------------------
// Validation and lookups

/** Text bounds: src/text.ts, the same table the extraction sanitizer applies. */
export function validLabel(label: string): { label: string; normalizedLabel: string } {
  const trimmed = userText("label", "starLabel", label, { required: true });
  const normalizedLabel = normalizeLabel(trimmed);
  if (normalizedLabel.length === 0) throw invalidArgument("label must contain a letter or a digit");
  return { label: trimmed, normalizedLabel };
}

export function validDescription(description: string): string {
  return userText("description", "starDescription", description, { required: false });
}

function assertUnitInterval(name: string, x: number | undefined, lo: number) {
  if (x === undefined) return;
  if (!Number.isFinite(x) || x < lo || x > 1) throw invalidArgument(`${name} must be a number from ${lo} to 1, got ${x}`);
}

/** The user's star with this normalized label, dismissed or not (unique by construction). */
export async function starByLabel(
  ctx: QueryCtx,
  userId: Id<"users">,
  normalizedLabel: string,
): Promise<Doc<"stars"> | null> {
  return await ctx.db
    .query("stars")
    .withIndex("by_user_label", (q) => q.eq("userId", userId).eq("normalizedLabel", normalizedLabel))
    .unique();
}

/**
 * The user an internal writer (the extraction pipeline) names: it must exist and not be
 * pending deletion, since a row written during the erasure could be left behind it.
 */
export async function writableUser(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"users">> {
  const user = await ctx.db.get("users", userId);
  if (user === null) throw notFound("user");
  assertNotDeleting(user);
  return user;
}

function assertNotDismissed(star: Doc<"stars">, action: string) {
  if (star.dismissedAt !== undefined) {
    throw invalidTransition(`star "${star.label}" was dismissed by the user and cannot be ${action}`);
  }
}

// ---------------------------------------------------------------------------------------
// Creation

export type CreateStarInput = {
  label: string;
  description: string;
  domain: Domain;
  polarity?: Polarity;
  intensity?: number;
  conceptType?: ConceptType;
  sourceMessageId?: Id<"messages">;
  quote?: string;
};

/**
 * Creates a star, or reinforces the user's existing star with the same normalized label
 * (signal = rementionSignal(intensity), the rule the extraction sanitizer applies too).
 * A dismissed label is refused with CONFLICT, so extraction never recreates it.
 */
export async function createStar(
  ctx: MutationCtx,
  user: Doc<"users">,
  input: CreateStarInput,
  now: number,
): Promise<Id<"stars">> {
  const { label, normalizedLabel } = validLabel(input.label);
  const description = validDescription(input.description);
  assertUnitInterval("intensity", input.intensity, 0);
  if (input.sourceMessageId !== undefined) await loadOwned(ctx, "messages", input.sourceMessageId, user._id);

  const existing = await starByLabel(ctx, user._id, normalizedLabel);
  if (existing !== null) {
    if (existing.dismissedAt !== undefined) {
      throw appError("CONFLICT", `the user dismissed "${existing.label}"; it is not created again`);
    }
    const signal = rementionSignal(input.intensity);
    const evidence = input.quote === undefined ? undefined : { quote: input.quote, messageId: input.sourceMessageId };
    await reinforceStar(ctx, existing, signal, now, evidence);
    return existing._id;
  }

  // sourceMessageId was checked above; the quote is stamped with it.
  const quote = await evidenceQuote(ctx, user._id, { quote: input.quote }, now);
  const extractedDay = user.currentPhase === "mirror" ? user.mirrorDay : 0;
  const physics = newStarPhysics({
    label,
    domain: input.domain,
    polarity: input.polarity,
    intensity: input.intensity,
    mirrorDay: extractedDay,
    now,
  });
  const starId = await ctx.db.insert("stars", {
    ...physics,
    userId: user._id,
    description,
    conceptType: input.conceptType,
    sourceMessageId: input.sourceMessageId,
    evidence: quote === null ? [] : [{ ...quote, messageId: input.sourceMessageId }],
    reinforcementCount: 0,
    state: starState(physics),
  });
  // Its memory (label and description): the turn that created it stores the vector.
  const created = await ctx.db.get("stars", starId);
  if (created !== null) await rememberStar(ctx, created);
  await recordGrowth(
    ctx,
    user._id,
    growthEventsFor("star", starId, starCreatedDeltas(input.conceptType), input.domain),
    now,
  );
  return starId;
}

// ---------------------------------------------------------------------------------------
// Reinforcement and spillover

async function starsById(ctx: QueryCtx, ids: readonly Id<"stars">[]): Promise<Map<Id<"stars">, Doc<"stars">>> {
  const unique = [...new Set(ids)];
  const stars = await Promise.all(unique.map((id) => ctx.db.get("stars", id)));
  return new Map(stars.filter((s) => s !== null).map((s) => [s._id, s]));
}

/**
 * Ceiling and growth_edge multiplier from the connections pointing into a star from live
 * stars, read with their source stars as they are now (so a source reinforced earlier in
 * this transaction counts with its new brightness). Dormant sources (dismissed ones
 * included) neither block nor boost, so links from them are not even read.
 */
async function incomingInfluence(ctx: QueryCtx, incoming: readonly Doc<"connections">[], signal: number) {
  const relevant = incoming.filter((c) => c.type === "blocks" || c.type === "growth_edge");
  const sources = await starsById(
    ctx,
    relevant.map((c) => c.starA),
  );
  const blockers = [];
  const growthEdges = [];
  for (const connection of relevant) {
    const source = sources.get(connection.starA);
    if (source === undefined) continue;
    if (connection.type === "blocks") blockers.push(source);
    else if (source.type !== "dormant") {
      growthEdges.push({ sourceBrightness: source.brightness, strength: connection.strength });
    }
  }
  return { ceiling: ceilingFor(blockers), growthEdgeMultiplier: growthEdgeMultiplier(growthEdges, signal) };
}

async function ceilingOf(ctx: QueryCtx, starId: Id<"stars">): Promise<number> {
  const blocks = await incomingFromLive(ctx, starId, "blocks");
  return (await incomingInfluence(ctx, blocks, 0)).ceiling;
}

/**
 * MECHANICS §1 reinforcement: boost and ceiling from the star's incoming growth_edge and
 * blocks connections, the step, evidence (newest 10) and count, then one hop of spillover
 * over resonance and tension in both directions onto live neighbours, each with its own
 * ceiling and `lastUpdatedAt` only. All in the caller's transaction. A dormant star wakes
 * (its connections to live stars come alive with it); a dormant neighbour gets no spill
 * (docs/mechanics.md: frozen, like in decay). A dismissed star is refused with
 * INVALID_TRANSITION before anything is written (a caller applying many items may catch it
 * per item).
 */
export async function reinforceStar(
  ctx: MutationCtx,
  star: Doc<"stars">,
  signal: number,
  now: number,
  evidence?: { quote: string; messageId?: Id<"messages"> },
): Promise<{ appliedDelta: number }> {
  assertNotDismissed(star, "reinforced");
  if (!Number.isFinite(signal) || signal < -1 || signal > 1) {
    throw invalidArgument(`signal must be a number from -1 to 1, got ${signal}`);
  }
  const quote = evidence === undefined ? null : await evidenceQuote(ctx, star.userId, evidence, now);
  const budget = newSyncBudget();
  const { outgoing, incoming } = await liveEdges(ctx, star._id);
  const influence = await incomingInfluence(ctx, incoming, signal);
  const { next, appliedDelta } = reinforce(star, signal, influence, now);
  const patch = {
    ...physicsPatch(next),
    evidence: quote === null ? star.evidence : appendEvidence(star.evidence, quote),
    reinforcementCount: star.reinforcementCount + 1,
  };
  await writeStar(ctx, star, patch, now, budget);

  // One hop, no cascades: each neighbour is read fresh (after this star's write and any
  // earlier spill onto it, e.g. a pair joined by both resonance and tension).
  const spills = [
    ...outgoing.filter((c) => isSymmetric(c.type)).map((c) => ({ connection: c, neighbourId: c.starB })),
    ...incoming.filter((c) => isSymmetric(c.type)).map((c) => ({ connection: c, neighbourId: c.starA })),
  ];
  for (const { connection, neighbourId } of spills) {
    if (spilloverDelta(connection.type, connection.strength, appliedDelta) === 0) continue;
    const neighbour = await ctx.db.get("stars", neighbourId);
    // Live when the edges were read; an earlier spill of this loop may have put it to sleep.
    if (neighbour === null || starState(neighbour) !== "live") continue;
    const ceiling = await ceilingOf(ctx, neighbourId);
    const spilled = spill(neighbour, connection.type, connection.strength, appliedDelta, ceiling, now);
    if (spilled !== null) await writeStar(ctx, neighbour, physicsPatch(spilled.next), now, budget);
  }

  await recordGrowth(
    ctx,
    star.userId,
    growthEventsFor("star", star._id, starReinforcedDeltas(star.conceptType, signal), star.domain),
    now,
  );
  return { appliedDelta };
}

// ---------------------------------------------------------------------------------------
// The user's corrections

export type StarEdit = { label?: string; description?: string; domain?: Domain };

/**
 * A user correcting an extracted star: label, description, domain. The angle follows the
 * new label and domain; brightness and history are untouched. A label that another of the
 * user's stars has (dismissed ones included) is refused with CONFLICT.
 */
export async function editStar(ctx: MutationCtx, star: Doc<"stars">, edit: StarEdit): Promise<Doc<"stars">> {
  assertNotDismissed(star, "edited");
  const patch: Partial<Doc<"stars">> = {};
  if (edit.label !== undefined) {
    const { label, normalizedLabel } = validLabel(edit.label);
    if (normalizedLabel !== star.normalizedLabel) {
      const twin = await starByLabel(ctx, star.userId, normalizedLabel);
      if (twin !== null) {
        const why = twin.dismissedAt === undefined ? "another star has this label" : "the user dismissed this label";
        throw appError("CONFLICT", `cannot rename to "${label}": ${why}`);
      }
    }
    patch.label = label;
    patch.normalizedLabel = normalizedLabel;
  }
  if (edit.description !== undefined) patch.description = validDescription(edit.description);
  if (edit.domain !== undefined) patch.domain = edit.domain;
  const edited = { ...star, ...patch };
  patch.theta = thetaFor(edited.domain, edited.normalizedLabel);
  await ctx.db.patch("stars", star._id, patch);
  // The memory follows the new label and description (embedded again, outside any turn).
  await scheduleEmbedding(ctx, [await rememberStar(ctx, { ...edited, theta: patch.theta })]);
  return { ...edited, theta: patch.theta };
}

/**
 * The user rejects a star: dormant at once, for good. Brightness, evidence and connections
 * are kept (history); the label stays on the row, which is the memory createStar consults.
 * Dismissing twice changes nothing.
 */
export async function dismissStar(ctx: MutationCtx, star: Doc<"stars">, now: number): Promise<void> {
  if (star.dismissedAt !== undefined) return;
  await writeStar(ctx, star, { dismissedAt: now, type: "dormant" }, now, newSyncBudget());
  // Kept as dismissed_star: never recalled, still compared with new stars (dedupe by meaning).
  await rememberStar(ctx, { ...star, dismissedAt: now, type: "dormant" });
}

// ---------------------------------------------------------------------------------------
// Daily job: decay and shadow drain (convex/decay.ts pages and schedules)

/**
 * Decays one star to `now`; no write when nothing worth writing changed. Returns whether it
 * wrote. A star that goes dormant takes its connections out of the live set (`budget` is
 * the job transaction's, shared by its stars).
 */
export async function decayStar(
  ctx: MutationCtx,
  star: Doc<"stars">,
  now: number,
  budget: SyncBudget = newSyncBudget(),
): Promise<boolean> {
  if (star.dismissedAt !== undefined) return false;
  const next = decay(star, now);
  if (!decayWriteNeeded(star, next)) return false;
  await writeStar(ctx, star, physicsPatch(next), now, budget);
  return true;
}

/**
 * Shadow drain of one live shadow_mirror at `now`, run after the user's decay (so "dark" is
 * the type as of `now`). The drained end loses (1 − 0.01·strength)^days of its excess over
 * MIN, days since the mirror's lastDrainAt. Choices:
 *  - a dormant end is never drained (dormant stars are frozen, like in decay); the job
 *    reads live mirrors only, and a mirror whose end wakes restarts its clock then
 *    (syncConnectionEnds), so a dark star that wakes after months does not drain months at once;
 *  - a mirror with no dark end at `now` owes nothing for the elapsed days: lastDrainAt
 *    moves to `now`;
 *  - a drain too small to write (decayWriteNeeded) writes nothing and keeps lastDrainAt,
 *    so the days accumulate and a later run drains them exactly (composition);
 *  - lastDrainAt === now (second run at the same now) is a no-op.
 */
export async function drainShadowMirror(
  ctx: MutationCtx,
  mirror: Doc<"connections">,
  now: number,
  budget: SyncBudget = newSyncBudget(),
): Promise<void> {
  const lastDrainAt = mirror.lastDrainAt ?? mirror.createdAt;
  const days = drainDays(lastDrainAt, now);
  if (days === 0) return;
  const [a, b] = await Promise.all([ctx.db.get("stars", mirror.starA), ctx.db.get("stars", mirror.starB)]);
  if (a === null || b === null) return;
  const ends = { starA: a, starB: b };
  const drained = shadowMirrorDrainedEnds(a.type, b.type)
    .map((end) => ends[end])
    .filter((star) => star.type !== "dormant")
    .map((star) => ({ star, next: drainStar(star, mirror.strength, days, now) }));
  if (drained.length > 0 && !drained.some(({ star, next }) => decayWriteNeeded(star, next))) return;
  for (const { star, next } of drained) {
    // A drain can put a star to sleep (faint and unreinforced for 30 days): writeStar syncs.
    await writeStar(ctx, star, { brightness: next.brightness, radius: next.radius, type: next.type }, now, budget);
  }
  await ctx.db.patch("connections", mirror._id, { lastDrainAt: now });
}
