// The only writer of the growth ledger (MECHANICS §4). Each append updates, in the same
// transaction, the per-(entity, dimension) aggregate and the user's growth profile (their
// growthStates row, so the users row every call reads stays quiet), using the same fold
// (src/mechanics/growth.ts applyGrowthEvent) that growth.rebuild replays.
import { EMPTY_GROWTH_PROFILE, GROWTH_DIMENSIONS } from "../../src/domain";
import type {
  Domain,
  EvolutionState,
  GrowthDimension,
  GrowthEntityType,
  GrowthProfile,
  GrowthSource,
} from "../../src/domain";
import {
  activeDimensions,
  aggregateKey,
  applyGrowthEvent,
  applyToProfile,
  evolutionState,
  isValidDelta,
  type GrowthAggregate,
  type GrowthDelta,
  type GrowthEvent,
} from "../../src/mechanics/growth";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { invalidArgument, notFound } from "../errors";
import { liveConnectionCount } from "./connections";
import { loadOwned } from "./userTables";

// ---------------------------------------------------------------------------------------
// The growth state document (one per user): the profile and the rebuild mark

export type GrowthState = Pick<Doc<"growthStates">, "growthProfile" | "growthRebuildId">;

/** The user's growthStates row, or null for a users row not migrated yet. */
export async function growthStateRow(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"growthStates"> | null> {
  return await ctx.db
    .query("growthStates")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique();
}

/** The growth fields a users row from before the state documents carries (migrations:quietUsersRow). */
export function legacyGrowthState(user: Doc<"users">): Omit<Doc<"growthStates">, "_id" | "_creationTime"> {
  return {
    userId: user._id,
    growthProfile: user.growthProfile ?? { ...EMPTY_GROWTH_PROFILE },
    growthRebuildId: user.growthRebuildId,
  };
}

/** A new user's growth state: every dimension at 0. */
export async function createGrowthState(ctx: MutationCtx, userId: Id<"users">): Promise<void> {
  await ctx.db.insert("growthStates", { userId, growthProfile: { ...EMPTY_GROWTH_PROFILE } });
}

/** The user's profile and rebuild mark (growth.profile, the LifeState). */
export async function growthStateOf(ctx: QueryCtx, user: Doc<"users">): Promise<GrowthState> {
  return (await growthStateRow(ctx, user._id)) ?? legacyGrowthState(user);
}

/** The row to write, created from the legacy fields of a users row not migrated yet; null when the user is gone. */
async function growthStateForWrite(ctx: MutationCtx, userId: Id<"users">): Promise<Doc<"growthStates"> | null> {
  const row = await growthStateRow(ctx, userId);
  if (row !== null) return row;
  const user = await ctx.db.get("users", userId);
  if (user === null) return null;
  return await ctx.db.get("growthStates", await ctx.db.insert("growthStates", legacyGrowthState(user)));
}

// ---------------------------------------------------------------------------------------
// Appends

/** One ledger row to append (userId and createdAt are stamped by recordGrowth). */
export type GrowthEventInput = Omit<GrowthEvent, "createdAt">;

/** Stamps an entity onto the deltas a src/ rule produced. */
export function growthEventsFor(
  entityType: GrowthEntityType,
  entityId: string,
  deltas: readonly GrowthDelta[],
  domain?: Domain,
): GrowthEventInput[] {
  return deltas.map((d) => ({ entityType, entityId, dimKey: d.dimKey, delta: d.delta, source: d.source, domain }));
}

/**
 * Appends events in order and keeps both aggregates exact. Refuses the whole batch
 * (nothing written) if any delta is not finite or exceeds |1|. While a rebuild runs
 * (growthStates.growthRebuildId set) only the ledger is written: the rebuild replays to the end
 * of the ledger and folds these events in, in ledger order.
 */
export async function recordGrowth(
  ctx: MutationCtx,
  userId: Id<"users">,
  events: readonly GrowthEventInput[],
  now: number,
): Promise<number> {
  if (events.length === 0) return 0;
  for (const event of events) {
    if (!isValidDelta(event.delta)) {
      throw invalidArgument(`growth delta must be finite with |delta| <= 1, got ${event.delta}`);
    }
  }
  const state = await growthStateForWrite(ctx, userId);
  if (state === null) throw new Error(`recordGrowth: user ${userId} does not exist`);
  const rebuilding = state.growthRebuildId !== undefined;
  let profile = state.growthProfile;
  for (const input of events) {
    const event: GrowthEvent = { ...input, createdAt: now };
    await ctx.db.insert("growthEvents", { userId, ...event });
    if (rebuilding) continue;
    const current = await loadAggregate(ctx, userId, event);
    const next = applyGrowthEvent(current === null ? null : aggregateOf(current), event);
    if (current === null) await ctx.db.insert("growthProgress", { userId, ...next });
    else await ctx.db.patch("growthProgress", current._id, next);
    profile = applyToProfile(profile, event);
  }
  if (!rebuilding) await ctx.db.patch("growthStates", state._id, { growthProfile: profile });
  return events.length;
}

// ---------------------------------------------------------------------------------------
// Reads

async function loadAggregate(
  ctx: QueryCtx,
  userId: Id<"users">,
  key: Pick<GrowthEvent, "entityType" | "entityId" | "dimKey">,
): Promise<Doc<"growthProgress"> | null> {
  return await ctx.db
    .query("growthProgress")
    .withIndex("by_user_entity", (q) =>
      q.eq("userId", userId).eq("entityType", key.entityType).eq("entityId", key.entityId).eq("dimKey", key.dimKey),
    )
    .unique();
}

/** The fold's view of a stored row (no system fields, no userId). */
function aggregateOf(row: Doc<"growthProgress">): GrowthAggregate {
  return {
    entityType: row.entityType,
    entityId: row.entityId,
    dimKey: row.dimKey,
    score: row.score,
    eventCount: row.eventCount,
    lastEventAt: row.lastEventAt,
    lastSource: row.lastSource,
  };
}

/** An entity's aggregates: at most one per dimension, so six rows by construction. */
export async function entityAggregates(
  ctx: QueryCtx,
  userId: Id<"users">,
  entityType: GrowthEntityType,
  entityId: string,
): Promise<Doc<"growthProgress">[]> {
  return await ctx.db
    .query("growthProgress")
    .withIndex("by_user_entity", (q) =>
      q.eq("userId", userId).eq("entityType", entityType).eq("entityId", entityId),
    )
    .take(GROWTH_DIMENSIONS.length);
}

/** Connections read per direction when counting a star's; evolution needs at most 5. */
export const CONNECTION_SCAN_LIMIT = 50;

/**
 * Non-dormant connections of a star (MECHANICS §4): its live connections, both ends live (a
 * dormant end makes the connection dormant, as in the LifeState gravity; a dismissed one
 * too), read from the live set, so links to stars that went to sleep are never read. At most
 * CONNECTION_SCAN_LIMIT per direction: a lower bound past that, far above the 5 evolution needs.
 */
export async function nonDormantConnectionCount(ctx: QueryCtx, star: Doc<"stars">): Promise<number> {
  return await liveConnectionCount(ctx, star, CONNECTION_SCAN_LIMIT);
}

export type EntitySummary = {
  scores: GrowthProfile;
  activeDimensions: GrowthDimension[];
  eventCount: number;
  lastEventAt?: number;
  lastSource?: GrowthSource;
  connectionCount: number;
  evolutionState: EvolutionState;
};

/**
 * An entity's growth as a frontend draws it, from its aggregates (src/ decides active and
 * evolution). The last source is that of the newest aggregate; on a tie, the later
 * dimension in canonical order.
 */
export function summarizeEntity(rows: readonly Doc<"growthProgress">[], connectionCount: number): EntitySummary {
  const scores: GrowthProfile = { ...EMPTY_GROWTH_PROFILE };
  let eventCount = 0;
  let newest: Doc<"growthProgress"> | null = null;
  const ordered = [...rows].sort((a, b) => GROWTH_DIMENSIONS.indexOf(a.dimKey) - GROWTH_DIMENSIONS.indexOf(b.dimKey));
  for (const row of ordered) {
    scores[row.dimKey] = row.score;
    eventCount += row.eventCount;
    if (newest === null || row.lastEventAt >= newest.lastEventAt) newest = row;
  }
  const active = activeDimensions(scores);
  return {
    scores,
    activeDimensions: active,
    eventCount,
    lastEventAt: newest?.lastEventAt,
    lastSource: newest?.lastSource,
    connectionCount,
    evolutionState: evolutionState(active.length, connectionCount),
  };
}

/** Entity types backed by a user-owned document, by table. */
const OWNED_ENTITY_TABLES = {
  star: "stars",
  mission: "missions",
  experiment: "experiments",
  journey: "journeys",
} as const;

/**
 * Checks that `entityId` names an entity of the caller (NOT_FOUND otherwise, whether it is
 * missing, malformed or someone else's) and returns the star when it is one, for its
 * connections. Skills are global: any existing skill is the caller's to score.
 */
export async function resolveOwnedEntity(
  ctx: QueryCtx,
  userId: Id<"users">,
  entityType: GrowthEntityType,
  entityId: string,
): Promise<{ star: Doc<"stars"> | null }> {
  const missing = notFound(entityType);
  if (entityType === "user") {
    if (entityId !== userId) throw missing;
    return { star: null };
  }
  if (entityType === "skill") {
    const skillId = ctx.db.normalizeId("skills", entityId);
    if (skillId === null || (await ctx.db.get("skills", skillId)) === null) throw missing;
    return { star: null };
  }
  if (entityType === "star") return { star: await loadOwned(ctx, "stars", entityId, userId) };
  await loadOwned(ctx, OWNED_ENTITY_TABLES[entityType], entityId, userId);
  return { star: null };
}

// ---------------------------------------------------------------------------------------
// Rebuild (growth.rebuild): recompute every aggregate and the profile from the ledger.
//
// Design: zero, then replay in place, paged through the scheduler.
// 1. begin: mark the user's growth state (growthRebuildId) and zero the profile, in one transaction.
//    From then on recordGrowth appends to the ledger only.
// 2. zero pages: delete the user's growthProgress rows, a page at a time.
// 3. replay pages: walk growthEvents by_user_created (ledger order) with a cursor, folding
//    each event into its aggregate row and the profile with applyGrowthEvent/applyToProfile,
//    the live path's own step functions in the live path's order, so the result is
//    bit-identical. The page that reaches the end of the ledger clears the mark in the same
//    transaction, so an append lands either before it (replayed) or after it (live path);
//    Convex's serializable transactions rule out a third case.
// While it runs, reads see partial aggregates (growth.profile reports `rebuilding`).
// Exactness assumes createdAt never decreases along insertion order (recordGrowth stamps
// `now`); two events of one aggregate with the clock going backwards between them would be
// folded in a different order by the replay (a difference in the last bits of the sum).

/** Worst case per replay page: N events read, N aggregates read, N + 1 writes. */
export const REBUILD_EVENTS_PER_PAGE = 500;
/** Deletes per zero page (each reads and writes one row). */
export const REBUILD_ROWS_PER_ZERO_PAGE = 1_000;

export type RebuildStep = { phase: "zero" } | { phase: "replay"; cursor: string | null };

/**
 * Marks the user as rebuilding and zeroes the profile. Returns the rebuild's id, or null
 * when the user is gone or a rebuild already runs (unless `restart`, which supersedes it:
 * pages of the old one then stop on their own).
 */
export async function beginGrowthRebuild(
  ctx: MutationCtx,
  userId: Id<"users">,
  now: number,
  restart: boolean,
): Promise<number | null> {
  const state = await growthStateForWrite(ctx, userId);
  if (state === null) return null;
  if (state.growthRebuildId !== undefined && !restart) return null;
  const rebuildId = Math.max(now, (state.growthRebuildId ?? 0) + 1);
  await ctx.db.patch("growthStates", state._id, { growthRebuildId: rebuildId, growthProfile: { ...EMPTY_GROWTH_PROFILE } });
  return rebuildId;
}

/** One page of a rebuild; returns the next step, or null when done (or superseded). */
export async function rebuildGrowthPage(
  ctx: MutationCtx,
  userId: Id<"users">,
  rebuildId: number,
  step: RebuildStep,
  pageSize: number,
): Promise<RebuildStep | null> {
  const state = await growthStateRow(ctx, userId);
  if (state === null || state.growthRebuildId !== rebuildId) return null; // erased, or restarted
  if (step.phase === "zero") {
    const size = Math.min(pageSize, REBUILD_ROWS_PER_ZERO_PAGE);
    const rows = await ctx.db
      .query("growthProgress")
      .withIndex("by_user_entity", (q) => q.eq("userId", userId))
      .take(size);
    await Promise.all(rows.map((row) => ctx.db.delete("growthProgress", row._id)));
    return rows.length < size ? { phase: "replay", cursor: null } : { phase: "zero" };
  }
  const page = await ctx.db
    .query("growthEvents")
    .withIndex("by_user_created", (q) => q.eq("userId", userId))
    .paginate({ cursor: step.cursor, numItems: Math.min(pageSize, REBUILD_EVENTS_PER_PAGE) });
  const profile = await replayEvents(ctx, userId, page.page, state.growthProfile);
  if (page.isDone) {
    await ctx.db.patch("growthStates", state._id, { growthProfile: profile, growthRebuildId: undefined });
    return null;
  }
  await ctx.db.patch("growthStates", state._id, { growthProfile: profile });
  return { phase: "replay", cursor: page.continueCursor };
}

/** Folds a page of ledger rows into their aggregate rows (one write each) and the profile. */
async function replayEvents(
  ctx: MutationCtx,
  userId: Id<"users">,
  rows: readonly Doc<"growthEvents">[],
  startProfile: GrowthProfile,
): Promise<GrowthProfile> {
  const touched = new Map<string, { rowId: Id<"growthProgress"> | null; aggregate: GrowthAggregate | null }>();
  let profile = startProfile;
  for (const row of rows) {
    const event: GrowthEvent = {
      entityType: row.entityType,
      entityId: row.entityId,
      dimKey: row.dimKey,
      delta: row.delta,
      source: row.source,
      createdAt: row.createdAt,
      domain: row.domain,
    };
    const key = aggregateKey(event);
    let entry = touched.get(key);
    if (entry === undefined) {
      const stored = await loadAggregate(ctx, userId, event);
      entry = { rowId: stored?._id ?? null, aggregate: stored === null ? null : aggregateOf(stored) };
      touched.set(key, entry);
    }
    entry.aggregate = applyGrowthEvent(entry.aggregate, event);
    profile = applyToProfile(profile, event);
  }
  for (const { rowId, aggregate } of touched.values()) {
    if (aggregate === null) continue;
    if (rowId === null) await ctx.db.insert("growthProgress", { userId, ...aggregate });
    else await ctx.db.patch("growthProgress", rowId, aggregate);
  }
  return profile;
}
