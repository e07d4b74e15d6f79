// Stars: the public reads and corrections of the signed-in user's constellation, and two
// internal writers for callers outside a transaction (the benchmark's seeding, operators'
// `npx convex run`, tests). Thin: validate, authorize, call model/stars.ts, shape the
// answer. docs/constellation-api.md is the client contract.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { ACTIVE_STAR_TYPES, type StarState, type StarType } from "../src/domain";
import type { Doc, Id } from "./_generated/dataModel";
import { internalMutation, type QueryCtx } from "./_generated/server";
import { userMutation, userQuery } from "./functions";
import { constellationConnections, liveEdges } from "./model/connections";
import {
  MAX_ACTIVE_STARS,
  createStar,
  dismissStar,
  editStar,
  reinforceStar,
  writableUser,
} from "./model/stars";
import { loadOwned } from "./model/userTables";
import schema from "./schema";
import {
  mapperOf,
  vConceptType,
  vDomain,
  vPolarity,
} from "./validators";

// ---------------------------------------------------------------------------------------
// Views: what a client receives (never the raw document).

// Chosen lists, not "the document minus internals": stars and connections carry pipeline
// and job bookkeeping (normalizedLabel, sourceMessageId, lastDrainAt) that stays inside.
const starDoc = doc(schema, "stars");
const connectionDoc = doc(schema, "connections");

/** What a renderer needs to draw one star. */
export const vStarView = starDoc.pick(
  "_id", "label", "domain", "polarity", "type", "brightness", "variance", "theta", "radius", "stabilizedAt",
);
export type StarView = Infer<typeof vStarView>;
export const toStarView = mapperOf(vStarView);

/** One star in full: the view plus its text, evidence and history. */
export const vStarDetailView = vStarView.extend(
  starDoc.pick(
    "description", "conceptType", "evidence", "reinforcementCount", "extractedDay",
    "createdAt", "lastUpdatedAt", "lastReinforcedAt", "dismissedAt",
  ).fields,
);
const toStarDetailView = mapperOf(vStarDetailView);

/** An edge between two stars; directed types point from starA to starB. */
export const vConnectionView = connectionDoc.pick("_id", "starA", "starB", "type", "strength");
export type ConnectionView = Infer<typeof vConnectionView>;
export const toConnectionView = mapperOf(vConnectionView);

export const vConnectionDetailView = vConnectionView.extend(connectionDoc.pick("evidence", "createdAt", "updatedAt").fields);
const toConnectionDetailView = mapperOf(vConnectionDetailView);

// ---------------------------------------------------------------------------------------
// Public reads

/** Brightest types first, so a constellation over the cap drops the faintest stars. */
const DRAW_PRIORITY: Record<(typeof ACTIVE_STAR_TYPES)[number], number> = {
  bright: 0,
  flickering: 1,
  dark: 2,
  nascent: 3,
  dim: 4,
};
const CONSTELLATION_TYPE_ORDER: readonly StarType[] = [...ACTIVE_STAR_TYPES].sort(
  (a, b) => DRAW_PRIORITY[a] - DRAW_PRIORITY[b],
);

/**
 * Connections a constellation read returns at most. Read from the live set (one index range
 * whatever the number of stars, where per-star lookups would cost two per star; with
 * `includeDormant`, one per pair of end states); a connection with an end outside the
 * returned stars (only when the star cap cut them) is dropped.
 */
export const MAX_CONSTELLATION_CONNECTIONS = 1_000;

/** Live stars by type, brightest types first; then, on request, dormant ones (never dismissed). */
async function constellationStars(ctx: QueryCtx, userId: Id<"users">, includeDormant: boolean) {
  const ranges: { state: StarState; type: StarType }[] = CONSTELLATION_TYPE_ORDER.map((type) => ({ state: "live", type }));
  if (includeDormant) ranges.push({ state: "dormant", type: "dormant" });
  const stars: Doc<"stars">[] = [];
  let truncated = false;
  for (const { state, type } of ranges) {
    const room = MAX_ACTIVE_STARS - stars.length;
    const page = await ctx.db
      .query("stars")
      .withIndex("by_user_state_type", (q) => q.eq("userId", userId).eq("state", state).eq("type", type))
      .take(room + 1);
    if (page.length > room) truncated = true;
    stars.push(...page.slice(0, room));
    if (truncated) break;
  }
  return { stars, truncated };
}

export const constellation = userQuery({
  args: { includeDormant: v.optional(v.boolean()) },
  returns: v.object({
    stars: v.array(vStarView),
    connections: v.array(vConnectionView),
    /** True when a cap (MAX_ACTIVE_STARS stars, MAX_CONSTELLATION_CONNECTIONS) cut the answer. */
    truncated: v.boolean(),
  }),
  handler: async (ctx, args) => {
    const userId = ctx.user._id;
    const { stars, truncated: starsCut } = await constellationStars(ctx, userId, args.includeDormant ?? false);
    const shown = new Set<Id<"stars">>(stars.map((star) => star._id));
    const connections = await constellationConnections(ctx, userId, args.includeDormant ?? false, MAX_CONSTELLATION_CONNECTIONS);
    const connectionsCut = connections.length > MAX_CONSTELLATION_CONNECTIONS;
    return {
      stars: stars.map(toStarView),
      connections: connections
        .slice(0, MAX_CONSTELLATION_CONNECTIONS)
        .filter((c) => shown.has(c.starA) && shown.has(c.starB))
        .map(toConnectionView),
      truncated: starsCut || connectionsCut,
    };
  },
});

export const get = userQuery({
  args: { starId: v.id("stars") },
  returns: v.object({ star: vStarDetailView, connections: v.array(vConnectionDetailView) }),
  handler: async (ctx, { starId }) => {
    const star = await loadOwned(ctx, "stars", starId, ctx.user._id);
    const { outgoing, incoming } = await liveEdges(ctx, starId);
    return {
      star: toStarDetailView(star),
      connections: [...outgoing, ...incoming].map(toConnectionDetailView),
    };
  },
});

/**
 * The user's stars of one domain in creation order, dormant ones included (history),
 * dismissed ones left out: a page may hold fewer than numItems stars.
 */
export const byDomain = userQuery({
  args: { domain: vDomain, paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vStarView),
  handler: async (ctx, { domain, paginationOpts }) => {
    const result = await ctx.db
      .query("stars")
      .withIndex("by_user_domain", (q) => q.eq("userId", ctx.user._id).eq("domain", domain))
      .paginate(paginationOpts);
    return {
      ...result,
      page: result.page.filter((star) => star.dismissedAt === undefined).map(toStarView),
    };
  },
});

// ---------------------------------------------------------------------------------------
// Public corrections

export const edit = userMutation({
  args: {
    starId: v.id("stars"),
    label: v.optional(v.string()),
    description: v.optional(v.string()),
    domain: v.optional(vDomain),
  },
  returns: vStarView,
  handler: async (ctx, { starId, ...edit }) => {
    const star = await loadOwned(ctx, "stars", starId, ctx.user._id);
    return toStarView(await editStar(ctx, star, edit));
  },
});

export const dismiss = userMutation({
  args: { starId: v.id("stars") },
  returns: v.null(),
  handler: async (ctx, { starId }) => {
    const star = await loadOwned(ctx, "stars", starId, ctx.user._id);
    await dismissStar(ctx, star, Date.now());
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Internal writers. The extraction pipeline does not call these: it applies a whole turn in
// one mutation (model/extraction.ts) and calls createStar / reinforceStar directly. These
// wrap the same helpers for callers that have no transaction of their own: bench/world.ts
// seeds through them, an operator can `npx convex run stars:create '{...}'`, and the tests
// exercise the physics through them. `now` defaults to the transaction's clock.

export const create = internalMutation({
  args: {
    userId: v.id("users"),
    label: v.string(),
    description: v.string(),
    domain: vDomain,
    polarity: v.optional(vPolarity),
    intensity: v.optional(v.number()),
    conceptType: v.optional(vConceptType),
    sourceMessageId: v.optional(v.id("messages")),
    quote: v.optional(v.string()),
    now: v.optional(v.number()),
  },
  returns: v.id("stars"),
  handler: async (ctx, { userId, now, ...input }) => {
    const user = await writableUser(ctx, userId);
    return await createStar(ctx, user, input, now ?? Date.now());
  },
});

export const reinforce = internalMutation({
  args: {
    userId: v.id("users"),
    starId: v.id("stars"),
    signal: v.number(),
    quote: v.optional(v.string()),
    messageId: v.optional(v.id("messages")),
    now: v.optional(v.number()),
  },
  returns: v.object({ appliedDelta: v.number() }),
  handler: async (ctx, { userId, starId, signal, quote, messageId, now }) => {
    await writableUser(ctx, userId);
    const star = await loadOwned(ctx, "stars", starId, userId);
    const evidence = quote === undefined ? undefined : { quote, messageId };
    return await reinforceStar(ctx, star, signal, now ?? Date.now(), evidence);
  },
});
