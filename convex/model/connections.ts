// The only writer of `connections` (MECHANICS §2): same-user, self, range and duplicate
// checks around the pure rules in src/mechanics/connections.ts. Also the live set of
// connections (docs/architecture.md "The live set"): each connection carries the state of
// both of its stars (aState, bState), kept in step by syncConnectionEnds whenever a star's
// state changes, so every read of a star's live edges, and of a user's live connections, is
// an index range that never reaches into history.
import { starState, type ConnectionType, type StarState } from "../../src/domain";
import {
  CONNECTION_CONSTANTS,
  appendEvidence,
  canonicalPair,
  strengthen,
  validateConnection,
} from "../../src/mechanics/connections";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, invalidArgument } from "../errors";
import type { EvidenceQuote } from "../validators";
import { userText } from "./clientInput";
import { loadOwned } from "./userTables";

/**
 * Most connections to live stars one star may have when a connection is created (both
 * directions, all types; CONFLICT beyond). Links to dormant or dismissed stars do not count
 * (docs/mechanics.md §2: the contract sets no cap; this one bounds the live edges that every
 * reinforcement reads). A star can pass it only when dormant neighbours wake, each bringing
 * its link back; STAR_EDGE_READS leaves room for that.
 */
export const MAX_CONNECTIONS_PER_STAR = 100;

/**
 * Rows read per direction of one star's live edges (reinforcement, ceilings, stars.get,
 * evolution counts). The cap keeps a star at or below 100 whenever a connection is created;
 * only wakes of dormant neighbours can lift it, and 2.5× the cap per direction leaves room for
 * that while bounding the read.
 */
export const STAR_EDGE_READS = 250;

/**
 * Connection ends one transaction rewrites when stars change state (a wake, a dormancy, a
 * dismissal). A star's connections to dormant stars are not capped, so a state change pages:
 * the first END_SYNC_BUDGET connections in the changing transaction, the rest in scheduled
 * `connections.syncEnds` pages right after (docs/architecture.md "The live set").
 */
export const END_SYNC_BUDGET = 400;
/** Connections per scheduled `connections.syncEnds` page. */
export const END_SYNC_PAGE = 200;

/** What is left of a transaction's END_SYNC_BUDGET; shared by the state changes of one write. */
export type SyncBudget = { connections: number };
export function newSyncBudget(): SyncBudget {
  return { connections: END_SYNC_BUDGET };
}

export type EvidenceInput = { quote?: string; messageId?: Id<"messages"> };

export type ConnectionInput = {
  starA: Id<"stars">;
  starB: Id<"stars">;
  type: ConnectionType;
  strength?: number;
} & EvidenceInput;

/**
 * A validated evidence quote stamped at `now`, or null when there is none: a quote that is
 * empty after trimming counts as absent (extraction may send ""). A messageId must be one
 * of the user's messages.
 */
export async function evidenceQuote(
  ctx: QueryCtx,
  userId: Id<"users">,
  input: EvidenceInput,
  now: number,
): Promise<EvidenceQuote | null> {
  // TEXT_BOUNDS.quote, the bound the extraction sanitizer truncates quotes to.
  const quote = userText("quote", "quote", input.quote ?? "", { required: false });
  if (quote.length === 0) return null;
  if (input.messageId !== undefined) await loadOwned(ctx, "messages", input.messageId, userId);
  return { quote, at: now, messageId: input.messageId };
}

// ---------------------------------------------------------------------------------------
// A star's live edges

/** One star's connections whose other end is in `partner` state, one direction, optionally one type. */
function partnerEdges(
  ctx: QueryCtx,
  starId: Id<"stars">,
  end: "starA" | "starB",
  partner: StarState,
  type: ConnectionType | undefined,
  limit: number,
) {
  if (end === "starA") {
    return ctx.db
      .query("connections")
      .withIndex("by_star_a_partner", (q) => {
        const range = q.eq("starA", starId).eq("bState", partner);
        return type === undefined ? range : range.eq("type", type);
      })
      .take(limit);
  }
  return ctx.db
    .query("connections")
    .withIndex("by_star_b_partner", (q) => {
      const range = q.eq("starB", starId).eq("aState", partner);
      return type === undefined ? range : range.eq("type", type);
    })
    .take(limit);
}

/**
 * A star's connections to live stars, split by the star's end: for a live star, its live
 * connections; for a dormant one, those that come alive when it wakes. Complete up to
 * STAR_EDGE_READS per direction (see the cap above); links to dormant and dismissed stars
 * (history) are never read.
 */
export async function liveEdges(
  ctx: QueryCtx,
  starId: Id<"stars">,
): Promise<{ outgoing: Doc<"connections">[]; incoming: Doc<"connections">[] }> {
  const [outgoing, incoming] = await Promise.all([
    partnerEdges(ctx, starId, "starA", "live", undefined, STAR_EDGE_READS),
    partnerEdges(ctx, starId, "starB", "live", undefined, STAR_EDGE_READS),
  ]);
  return { outgoing, incoming };
}

/** The connections of one type pointing into a star from live stars (ceilings, boosts). */
export async function incomingFromLive(
  ctx: QueryCtx,
  starId: Id<"stars">,
  type: ConnectionType,
): Promise<Doc<"connections">[]> {
  return await partnerEdges(ctx, starId, "starB", "live", type, STAR_EDGE_READS);
}

/**
 * Live connections of a live star (0 for a dormant or dismissed one: its links are not live),
 * reading at most `limit` per direction, so the count is a lower bound past that.
 */
export async function liveConnectionCount(ctx: QueryCtx, star: Doc<"stars">, limit: number): Promise<number> {
  if (starState(star) !== "live") return 0;
  const [outgoing, incoming] = await Promise.all([
    partnerEdges(ctx, star._id, "starA", "live", undefined, limit),
    partnerEdges(ctx, star._id, "starB", "live", undefined, limit),
  ]);
  return outgoing.length + incoming.length;
}

async function assertRoomForConnection(ctx: QueryCtx, star: Doc<"stars">) {
  const [outgoing, incoming] = await Promise.all([
    partnerEdges(ctx, star._id, "starA", "live", undefined, MAX_CONNECTIONS_PER_STAR),
    partnerEdges(ctx, star._id, "starB", "live", undefined, MAX_CONNECTIONS_PER_STAR),
  ]);
  if (outgoing.length + incoming.length >= MAX_CONNECTIONS_PER_STAR) {
    throw appError(
      "CONFLICT",
      `star "${star.label}" already has ${MAX_CONNECTIONS_PER_STAR} connections to live stars`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// A user's live connections

/** The user's live connections of one type (both ends live), at most `limit`. */
export async function liveConnectionsOfType(
  ctx: QueryCtx,
  userId: Id<"users">,
  type: ConnectionType,
  limit: number,
): Promise<Doc<"connections">[]> {
  return await ctx.db
    .query("connections")
    .withIndex("by_user_states_type", (q) =>
      q.eq("userId", userId).eq("aState", "live").eq("bState", "live").eq("type", type),
    )
    .take(limit);
}

/** The end-state pairs a constellation read ranges over: live only, or with dormant history. */
const CONSTELLATION_END_STATES: Record<"live" | "withDormant", readonly [StarState, StarState][]> = {
  live: [["live", "live"]],
  withDormant: [
    ["live", "live"],
    ["live", "dormant"],
    ["dormant", "live"],
    ["dormant", "dormant"],
  ],
};

/**
 * The user's connections among live stars (and, with `includeDormant`, among live and
 * dormant ones; never one with a dismissed end), live first, at most `limit + 1` so the
 * caller can tell a cut.
 */
export async function constellationConnections(
  ctx: QueryCtx,
  userId: Id<"users">,
  includeDormant: boolean,
  limit: number,
): Promise<Doc<"connections">[]> {
  const connections: Doc<"connections">[] = [];
  for (const [aState, bState] of CONSTELLATION_END_STATES[includeDormant ? "withDormant" : "live"]) {
    const room = limit + 1 - connections.length;
    if (room <= 0) break;
    connections.push(
      ...(await ctx.db
        .query("connections")
        .withIndex("by_user_states_type", (q) => q.eq("userId", userId).eq("aState", aState).eq("bState", bState))
        .take(room)),
    );
  }
  return connections;
}

// ---------------------------------------------------------------------------------------
// Keeping the ends in step

type Side = "starA" | "starB";

/** The patch that moves one end of `connection` to `state`, or null when it is there already. */
function endPatch(connection: Doc<"connections">, side: Side, state: StarState, now: number) {
  const field = side === "starA" ? "aState" : "bState";
  const before = connection[field];
  if (before === state) return null;
  const patch: Partial<Doc<"connections">> = { [field]: state };
  // docs/mechanics.md shadow drain: a mirror owes drain only while it is live, so an end
  // that wakes restarts the clock (a mirror woken after months does not drain months at once).
  if (connection.type === "shadow_mirror" && state === "live") patch.lastDrainAt = now;
  return patch;
}

/** One side of a star's connections: every one the star is `side` of, in index order. */
function sideQuery(ctx: QueryCtx, starId: Id<"stars">, side: Side) {
  return side === "starA"
    ? ctx.db.query("connections").withIndex("by_star", (q) => q.eq("starA", starId))
    : ctx.db.query("connections").withIndex("by_star_b_partner", (q) => q.eq("starB", starId));
}

/**
 * Moves this star's end of each of its connections to `state`, in the caller's transaction,
 * as far as `budget` allows; the rest is scheduled (`connections.syncEnds`, which pages until
 * every end agrees with the star). Called by model/stars.ts after every write that changes a
 * star's state, with the state just written.
 */
export async function syncConnectionEnds(
  ctx: MutationCtx,
  starId: Id<"stars">,
  state: StarState,
  now: number,
  budget: SyncBudget,
): Promise<void> {
  let complete = true;
  for (const side of ["starA", "starB"] as const) {
    if (budget.connections <= 0) {
      complete = false;
      break;
    }
    const room = budget.connections;
    const connections = await sideQuery(ctx, starId, side).take(room + 1);
    if (connections.length > room) complete = false;
    const mine = connections.slice(0, room);
    budget.connections -= mine.length;
    for (const connection of mine) {
      const patch = endPatch(connection, side, state, now);
      if (patch !== null) await ctx.db.patch("connections", connection._id, patch);
    }
  }
  if (!complete) await ctx.scheduler.runAfter(0, internal.connections.syncEnds, { starId, now });
}

/**
 * One scheduled page of syncConnectionEnds: reads the star as it is now (so a later state
 * change wins), moves up to END_SYNC_PAGE ends of one side, and says where to go on (null:
 * every end agrees). Idempotent: an end already in step is not written.
 */
export async function syncConnectionEndsPage(
  ctx: MutationCtx,
  starId: Id<"stars">,
  now: number,
  side: Side,
  cursor: string | null,
): Promise<{ side: Side; cursor: string | null } | null> {
  const star = await ctx.db.get("stars", starId);
  if (star === null) return null; // erased with its account: its connections go with it
  const state = starState(star);
  const page = await sideQuery(ctx, starId, side).paginate({ cursor, numItems: END_SYNC_PAGE });
  for (const connection of page.page) {
    const patch = endPatch(connection, side, state, now);
    if (patch !== null) await ctx.db.patch("connections", connection._id, patch);
  }
  if (!page.isDone) return { side, cursor: page.continueCursor };
  return side === "starA" ? { side: "starB", cursor: null } : null;
}

/**
 * Creates a connection, or strengthens the existing one of the same (type, pair) and appends
 * the quote (newest 10 kept). On re-detection `strength` is validated but not used: the
 * contract's strengthening rule decides the new value.
 */
export async function upsertConnection(
  ctx: MutationCtx,
  userId: Id<"users">,
  input: ConnectionInput,
  now: number,
): Promise<Id<"connections">> {
  const rule = validateConnection(input);
  if (rule === "SELF_CONNECTION") throw invalidArgument("a star cannot be connected to itself");
  if (rule === "INVALID_ARGUMENT") {
    throw invalidArgument(`strength must be a number from 0 to 1, got ${input.strength}`);
  }
  const [a, b] = await Promise.all([
    loadOwned(ctx, "stars", input.starA, userId),
    loadOwned(ctx, "stars", input.starB, userId),
  ]);
  for (const star of [a, b]) {
    if (star.dismissedAt !== undefined) {
      throw appError("INVALID_TRANSITION", `star "${star.label}" was dismissed and cannot be connected`);
    }
  }
  if (input.type === "shadow_mirror" && a.polarity !== "shadow" && b.polarity !== "shadow") {
    throw invalidArgument("a shadow_mirror connection needs a shadow star at one end");
  }
  const evidence = await evidenceQuote(ctx, userId, input, now);
  const { starA, starB } = canonicalPair(input.type, input.starA, input.starB);
  const [first, second] = starA === a._id ? [a, b] : [b, a];
  const existing = await ctx.db
    .query("connections")
    .withIndex("by_star", (q) => q.eq("starA", starA).eq("starB", starB).eq("type", input.type))
    .unique();
  if (existing !== null) {
    await ctx.db.patch("connections", existing._id, {
      strength: strengthen(existing.strength),
      evidence: evidence === null ? existing.evidence : appendEvidence(existing.evidence, evidence),
      updatedAt: now,
    });
    return existing._id;
  }
  await assertRoomForConnection(ctx, a);
  await assertRoomForConnection(ctx, b);
  return await ctx.db.insert("connections", {
    userId,
    starA,
    starB,
    type: input.type,
    strength: input.strength ?? CONNECTION_CONSTANTS.DEFAULT_STRENGTH,
    evidence: evidence === null ? [] : [evidence],
    createdAt: now,
    updatedAt: now,
    // The drain owes nothing for the time before the mirror existed.
    lastDrainAt: input.type === "shadow_mirror" ? now : undefined,
    aState: starState(first),
    bState: starState(second),
  });
}

/** Deletes one of the user's connections; the stars and their history stay. */
export async function removeConnection(
  ctx: MutationCtx,
  userId: Id<"users">,
  connectionId: Id<"connections">,
): Promise<void> {
  await loadOwned(ctx, "connections", connectionId, userId);
  await ctx.db.delete("connections", connectionId);
}
