// The only writer of `lifeStates` (MECHANICS §7): loads what the trajectory physics reads,
// calls computeLifeState (src/mechanics/lifeState.ts) and stores the snapshot. Also the
// bounded reads behind lifeStates.current and lifeStates.history. Pruning is in ./retention.
import type { ConnectionType, StarState } from "../../src/domain";
import { unreachedMilestones } from "../../src/mechanics/journeys";
import {
  EFFORT_WINDOW_DAYS,
  activeJourneyWeights,
  computeLifeState,
  gravityInputsFrom,
  load,
  meanLightBrightnessByDomain,
  type GravityConnection,
  type GravityStar,
} from "../../src/mechanics/lifeState";
import { DAY, addDays, effectiveTimeZone, localDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { OPEN_OFFER_WINDOW_MS, openAt, recentOffers } from "./experiments";
import { growthStateOf } from "./growth";
import { walkingJourneys } from "./journeys";

/**
 * Most rows of each kind one computation reads, so a snapshot costs a bounded transaction
 * whatever the user's history (worst case about 7,000 documents, with the
 * offers of model/experiments.ts RECENT_OFFER_READS, and about 10 MiB). A cap that cuts a range
 * changes the numbers only slightly: growth events are read newest first (the oldest carry
 * the least weight: 2^(−7/3.5) = 1/4 at the window's end), and mass saturates long before
 * 200 items (1 − e^(−40)).
 */
export const LIFE_STATE_READ_CAPS = {
  growthEvents: 5_000,
  /** Non-dormant stars; past this, connection ends outside the set are fetched one by one. */
  stars: 500,
  /** Per range of the live set (a type and a pair of end states, see GRAVITY_RANGES). */
  connectionsPerType: 200,
  /** Connection ends read one by one when the star cap cut the set (else none are read). */
  connectionEnds: 200,
  activeMissions: 200,
} as const;

/**
 * The connections gravity can count (MECHANICS §7, docs/mechanics.md choices), as ranges of
 * by_user_states_type: a tension between two live stars; a blocks from a live blocker (the
 * target may sleep); a shadow_mirror with a live end (its dark star: the mirrored star may
 * sleep). Links with no live end at the place that counts are history, never read.
 */
const GRAVITY_RANGES: readonly { type: ConnectionType; aState: StarState; bState: StarState }[] = [
  { type: "tension", aState: "live", bState: "live" },
  ...(["live", "dormant", "dismissed"] as const).map((bState) => ({ type: "blocks" as const, aState: "live" as const, bState })),
  ...(["live", "dormant", "dismissed"] as const).map((bState) => ({ type: "shadow_mirror" as const, aState: "live" as const, bState })),
  { type: "shadow_mirror", aState: "dormant", bState: "live" },
  { type: "shadow_mirror", aState: "dismissed", bState: "live" },
];

// ---------------------------------------------------------------------------------------
// Loading

/** Events with 0 ≤ now − createdAt < 7 days (the formula's window), newest first, capped. */
async function recentGrowthEvents(ctx: QueryCtx, userId: Id<"users">, now: number) {
  return await ctx.db
    .query("growthEvents")
    .withIndex("by_user_created", (q) =>
      q.eq("userId", userId).gt("createdAt", now - EFFORT_WINDOW_DAYS * DAY).lte("createdAt", now),
    )
    .order("desc")
    .take(LIFE_STATE_READ_CAPS.growthEvents);
}

/**
 * Non-dormant stars: the live set (one by_user_state_type range, by type), so history is
 * never read. `complete` is false when the cap cut the set.
 */
async function nonDormantStars(ctx: QueryCtx, userId: Id<"users">) {
  const cap = LIFE_STATE_READ_CAPS.stars;
  const stars = await ctx.db
    .query("stars")
    .withIndex("by_user_state_type", (q) => q.eq("userId", userId).eq("state", "live"))
    .take(cap + 1);
  return { stars: stars.slice(0, cap), complete: stars.length <= cap };
}

/**
 * The gravity connections, as the pure builder reads them: the GRAVITY_RANGES of the live
 * set. Only types that can count are read: none without stars, tension only with two,
 * shadow_mirror only with a shadow star (or when the cap cut the set: an unloaded star may be one).
 * An end outside the loaded set is dormant when the set is complete (every awake star was
 * loaded; stars are only deleted with their account), so it is passed as a dormant
 * placeholder (it keeps blocks targets and mirror partners "known", as the formula's
 * choices want). When the cap cut the set, such ends are read (up to a cap).
 */
async function gravityOf(ctx: QueryCtx, userId: Id<"users">, stars: Doc<"stars">[], complete: boolean) {
  const ranges = GRAVITY_RANGES.filter(
    ({ type }) =>
      stars.length > 0 &&
      (type !== "tension" || stars.length >= 2) &&
      (type !== "shadow_mirror" || !complete || stars.some((s) => s.polarity === "shadow")),
  );
  const connections = (
    await Promise.all(
      ranges.map(({ type, aState, bState }) =>
        ctx.db
          .query("connections")
          .withIndex("by_user_states_type", (q) =>
            q.eq("userId", userId).eq("aState", aState).eq("bState", bState).eq("type", type),
          )
          .take(LIFE_STATE_READ_CAPS.connectionsPerType),
      ),
    )
  ).flat();
  const known = new Map<string, GravityStar>(stars.map((s) => [s._id, gravityStar(s)]));
  let reads = complete ? 0 : LIFE_STATE_READ_CAPS.connectionEnds;
  for (const c of connections) {
    for (const end of [c.starA, c.starB]) {
      if (known.has(end)) continue;
      const star = reads-- > 0 ? await ctx.db.get("stars", end) : null;
      known.set(end, star === null ? { id: end, type: "dormant", polarity: "light", brightness: 0 } : gravityStar(star));
    }
  }
  const edges: GravityConnection[] = connections.map((c) => ({
    type: c.type,
    fromStarId: c.starA,
    toStarId: c.starB,
    strength: c.strength,
  }));
  return gravityInputsFrom([...known.values()], edges);
}

function gravityStar(star: Doc<"stars">): GravityStar {
  return { id: star._id, type: star.type, polarity: star.polarity, brightness: star.brightness };
}

/** L = active missions + open experiments + unreached milestones of walking journeys. */
async function loadCount(
  ctx: QueryCtx,
  userId: Id<"users">,
  walking: readonly Doc<"journeys">[],
  offers: readonly Doc<"experiments">[],
  now: number,
) {
  const missions = await ctx.db
    .query("missions")
    .withIndex("by_user_status", (q) => q.eq("userId", userId).eq("status", "active"))
    .take(LIFE_STATE_READ_CAPS.activeMissions);
  return load({
    activeMissions: missions.length,
    // An offer past its midnight is expired even before the expiry job records it (§6).
    openExperiments: openAt(offers, now).length,
    unreachedMilestones: walking.reduce((sum, j) => sum + unreachedMilestones(j), 0),
  });
}

// ---------------------------------------------------------------------------------------
// Computing and storing

/** What the daily job has read already and shares with the snapshot. */
export type PreloadedJourneys = {
  walking: Doc<"journeys">[];
  /** The user's offers of at least the last OPEN_OFFER_WINDOW_MS (recentOffers). */
  offers: Doc<"experiments">[];
};

/**
 * Computes the user's LifeState at `now` and stores it as a snapshot. The daily job passes
 * the walking journeys and recent offers it read for the velocity step.
 */
export async function snapshotLifeState(
  ctx: MutationCtx,
  user: Doc<"users">,
  now: number,
  source: Doc<"lifeStates">["source"],
  preloaded?: PreloadedJourneys,
): Promise<Doc<"lifeStates">> {
  const [journeys, offers, events, { stars, complete }, { growthProfile }] = await Promise.all([
    preloaded?.walking ?? walkingJourneys(ctx, user._id),
    preloaded?.offers ?? recentOffers(ctx, user._id, now - OPEN_OFFER_WINDOW_MS),
    recentGrowthEvents(ctx, user._id, now),
    nonDormantStars(ctx, user._id),
    growthStateOf(ctx, user),
  ]);
  const [gravity, loadL] = await Promise.all([
    gravityOf(ctx, user._id, stars, complete),
    loadCount(ctx, user._id, journeys, offers, now),
  ]);
  const state = computeLifeState(
    {
      growthEvents: events,
      journeyWeights: activeJourneyWeights(journeys),
      gravity,
      load: loadL,
      meanBrightnessByDomain: meanLightBrightnessByDomain(stars),
      growthProfile,
    },
    now,
  );
  const snapshot = { userId: user._id, timestamp: now, localDate: localDate(now, effectiveTimeZone(user)), source, ...state };
  const stored = await ctx.db.get("lifeStates", await ctx.db.insert("lifeStates", snapshot));
  if (stored === null) throw new Error("snapshot vanished inside its own transaction");
  return stored;
}

// ---------------------------------------------------------------------------------------
// Reads

/** The newest snapshot: one document read, whatever the history. */
export async function currentLifeState(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"lifeStates"> | null> {
  return await ctx.db
    .query("lifeStates")
    .withIndex("by_user_timestamp", (q) => q.eq("userId", userId))
    .order("desc")
    .first();
}

/** Longest history a client can ask for, in local dates. */
export const MAX_HISTORY_DAYS = 366;

/**
 * The trajectory over the `days` local dates ending on the date of `end` (in the user's
 * zone): for each date, its last snapshot at or before `end`, oldest first; dates without
 * one are left out. One `first()` per date, so the cost is `days` documents however many
 * on-demand snapshots a date holds.
 */
export async function lifeStateHistory(
  ctx: QueryCtx,
  user: Doc<"users">,
  days: number,
  end: number,
): Promise<Doc<"lifeStates">[]> {
  const endDate = localDate(end, effectiveTimeZone(user));
  const dates = Array.from({ length: days }, (_, i) => addDays(endDate, i - days + 1));
  const lasts = await Promise.all(
    dates.map((date) =>
      ctx.db
        .query("lifeStates")
        .withIndex("by_user_date", (q) => q.eq("userId", user._id).eq("localDate", date).lte("timestamp", end))
        .order("desc")
        .first(),
    ),
  );
  return lasts.filter((snapshot) => snapshot !== null);
}
