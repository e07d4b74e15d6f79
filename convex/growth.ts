// Growth API (MECHANICS §4): the six-dimension profile, one entity's scores, the evolution
// card of every star, and the internal ledger append and rebuild. All ledger writes go
// through model/growth.ts.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer, type ObjectType } from "convex/values";
import { GROWTH_RULES, activeDimensions, profileView } from "../src/mechanics/growth";
import { TEXT_BOUNDS, fitsBound } from "../src/text";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, type QueryCtx } from "./_generated/server";
import { invalidArgument } from "./errors";
import { userQuery } from "./functions";
import {
  REBUILD_EVENTS_PER_PAGE,
  beginGrowthRebuild,
  entityAggregates,
  growthStateOf,
  nonDormantConnectionCount,
  rebuildGrowthPage,
  recordGrowth,
  resolveOwnedEntity,
  summarizeEntity,
  type EntitySummary,
  type GrowthEventInput,
  type RebuildStep,
} from "./model/growth";
import schema from "./schema";
import {
  mapperOf,
  type Same,
  vEvolutionState,
  vGrowthDimension,
  vGrowthEntityType,
  vGrowthProfile,
  vGrowthSource,
} from "./validators";

/** Stars per cards page: each costs ≤ 6 aggregate reads and ≤ 100 connection reads. */
export const CARDS_PAGE_MAX = 25;
/** Events per growth.record call. */
export const RECORD_BATCH_MAX = 100;

const vDimensionView = v.object({ score: v.number(), active: v.boolean(), mastery: v.number(), mastered: v.boolean() });

const vProfileView = v.object({
  rulesVersion: v.string(),
  dimensions: v.object({
    self_know: vDimensionView,
    self_act: vDimensionView,
    self_show: vDimensionView,
    world_know: vDimensionView,
    world_act: vDimensionView,
    world_show: vDimensionView,
  }),
  activeDimensions: v.array(vGrowthDimension),
  /** True while growth.rebuild replays the ledger: the numbers are partial until it ends. */
  rebuilding: v.boolean(),
});

const entitySummaryFields = {
  scores: vGrowthProfile,
  activeDimensions: v.array(vGrowthDimension),
  eventCount: v.number(),
  lastEventAt: v.optional(v.number()),
  lastSource: v.optional(vGrowthSource),
  /** Non-dormant connections (stars only; 0 for other entities). */
  connectionCount: v.number(),
  evolutionState: vEvolutionState,
};

const vEntityView = v.object({ entityType: vGrowthEntityType, entityId: v.string(), ...entitySummaryFields });

// EntitySummary (model/growth.ts) is what fills these fields.
void (true satisfies Same<EntitySummary, ObjectType<typeof entitySummaryFields>>);

/** The star part of a card: what names and draws it. */
const vCardStar = schema.tables.stars.validator.pick("label", "domain", "polarity", "type", "conceptType", "brightness");
const toCardStar = mapperOf(vCardStar);
const vStarCard = vCardStar.extend({ starId: v.id("stars"), ...entitySummaryFields });

/** One ledger row to append: the row without what recordGrowth stamps. */
const vGrowthEventInput = schema.tables.growthEvents.validator.omit("userId", "createdAt");
void (true satisfies Same<GrowthEventInput, Infer<typeof vGrowthEventInput>>);

/** The caller's six dimensions with activation and mastery (their growthStates row). */
export const profile = userQuery({
  args: {},
  returns: vProfileView,
  handler: async (ctx) => {
    const { growthProfile, growthRebuildId } = await growthStateOf(ctx, ctx.user);
    return {
      rulesVersion: GROWTH_RULES.version,
      dimensions: profileView(growthProfile),
      activeDimensions: activeDimensions(growthProfile),
      rebuilding: growthRebuildId !== undefined,
    };
  },
});

/** One entity's scores per dimension, last source and evolution state. */
export const entity = userQuery({
  args: { entityType: vGrowthEntityType, entityId: v.string() },
  returns: vEntityView,
  handler: async (ctx, { entityType, entityId }) => {
    const { star } = await resolveOwnedEntity(ctx, ctx.user._id, entityType, entityId);
    const [rows, connectionCount] = await Promise.all([
      entityAggregates(ctx, ctx.user._id, entityType, entityId),
      star === null ? Promise.resolve(0) : nonDormantConnectionCount(ctx, star),
    ]);
    return { entityType, entityId, ...summarizeEntity(rows, connectionCount) };
  },
});

async function starCard(ctx: QueryCtx, star: Doc<"stars">) {
  const [rows, connectionCount] = await Promise.all([
    entityAggregates(ctx, star.userId, "star", star._id),
    nonDormantConnectionCount(ctx, star),
  ]);
  return {
    starId: star._id,
    ...toCardStar(star),
    ...summarizeEntity(rows, connectionCount),
  };
}

/**
 * Every star of the caller with its evolution state, in creation order, a page at a time
 * (at most CARDS_PAGE_MAX stars). Dismissed stars are left out, so a page may hold fewer.
 */
export const cards = userQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vStarCard),
  handler: async (ctx, { paginationOpts }) => {
    const page = await ctx.db
      .query("stars")
      .withIndex("by_user", (q) => q.eq("userId", ctx.user._id))
      .paginate({ ...paginationOpts, numItems: Math.min(paginationOpts.numItems, CARDS_PAGE_MAX) });
    const visible = page.page.filter((star) => star.dismissedAt === undefined);
    return { ...page, page: await Promise.all(visible.map((star) => starCard(ctx, star))) };
  },
});

// ---------------------------------------------------------------------------------------
// Internal

/** Appends events to the ledger (the aggregates follow in the same transaction). */
export const record = internalMutation({
  args: { userId: v.id("users"), events: v.array(vGrowthEventInput) },
  returns: v.number(),
  handler: async (ctx, { userId, events }) => {
    if (events.length > RECORD_BATCH_MAX) throw invalidArgument(`at most ${RECORD_BATCH_MAX} events per call`);
    for (const event of events) {
      if (event.entityId.length === 0 || !fitsBound("growthEntityId", event.entityId)) {
        throw invalidArgument(`entityId must be 1..${TEXT_BOUNDS.growthEntityId} characters`);
      }
    }
    return await recordGrowth(ctx, userId, events, Date.now());
  },
});

function assertPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw invalidArgument("pageSize must be a positive integer");
}

const vRebuildStep = v.union(
  v.object({ phase: v.literal("zero") }),
  v.object({ phase: v.literal("replay"), cursor: v.union(v.string(), v.null()) }),
);

/**
 * Recomputes every aggregate and the profile from the ledger (see model/growth.ts for the
 * design). `started` is false when a rebuild already runs (pass `restart` to supersede it)
 * or the user is gone. `pageSize` exists for tests; it is capped by the model.
 */
export const rebuild = internalMutation({
  args: { userId: v.id("users"), restart: v.optional(v.boolean()), pageSize: v.optional(v.number()) },
  returns: v.object({ started: v.boolean() }),
  handler: async (ctx, { userId, restart, pageSize }) => {
    if (pageSize !== undefined) assertPageSize(pageSize);
    const rebuildId = await beginGrowthRebuild(ctx, userId, Date.now(), restart ?? false);
    if (rebuildId === null) return { started: false };
    const step: RebuildStep = { phase: "zero" };
    await ctx.scheduler.runAfter(0, internal.growth.rebuildPage, {
      userId,
      rebuildId,
      step,
      pageSize: pageSize ?? REBUILD_EVENTS_PER_PAGE,
    });
    return { started: true };
  },
});

/** One page of a rebuild; schedules the next until the ledger is replayed. */
export const rebuildPage = internalMutation({
  args: { userId: v.id("users"), rebuildId: v.number(), step: vRebuildStep, pageSize: v.number() },
  returns: v.null(),
  handler: async (ctx, { userId, rebuildId, step, pageSize }) => {
    assertPageSize(pageSize);
    const next = await rebuildGrowthPage(ctx, userId, rebuildId, step, pageSize);
    if (next !== null) {
      await ctx.scheduler.runAfter(0, internal.growth.rebuildPage, { userId, rebuildId, step: next, pageSize });
    }
    return null;
  },
});
