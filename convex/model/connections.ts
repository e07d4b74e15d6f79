// The only writer of `connections` (MECHANICS §2): same-user, self, range and duplicate
// checks around the pure rules in src/mechanics/connections.ts. Also the bounded reads of a
// star's edges that reinforcement, stars.get and the degree cap share.
import type { ConnectionType } from "../../src/domain";
import {
  CONNECTION_CONSTANTS,
  appendEvidence,
  canonicalPair,
  strengthen,
  validateConnection,
} from "../../src/mechanics/connections";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, invalidArgument } from "../errors";
import type { EvidenceQuote } from "../validators";
import { userText } from "./clientInput";
import { loadOwned } from "./userTables";

/**
 * Most connections one star may have, both directions and all types together. Enforced
 * when a connection is created (CONFLICT), so every read of a star's edges below is a
 * complete `take`, and a reinforcement reads at most this many neighbours.
 */
export const MAX_CONNECTIONS_PER_STAR = 100;

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

/** Every connection touching a star, split by the star's end (complete: see the cap above). */
export async function starEdges(
  ctx: QueryCtx,
  starId: Id<"stars">,
): Promise<{ outgoing: Doc<"connections">[]; incoming: Doc<"connections">[] }> {
  const [outgoing, incoming] = await Promise.all([
    ctx.db
      .query("connections")
      .withIndex("by_star", (q) => q.eq("starA", starId))
      .take(MAX_CONNECTIONS_PER_STAR),
    ctx.db
      .query("connections")
      .withIndex("by_star_b", (q) => q.eq("starB", starId))
      .take(MAX_CONNECTIONS_PER_STAR),
  ]);
  return { outgoing, incoming };
}

async function assertRoomForConnection(ctx: QueryCtx, star: Doc<"stars">) {
  const { outgoing, incoming } = await starEdges(ctx, star._id);
  if (outgoing.length + incoming.length >= MAX_CONNECTIONS_PER_STAR) {
    throw appError("CONFLICT", `star "${star.label}" already has ${MAX_CONNECTIONS_PER_STAR} connections`);
  }
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
