// Journeys: the signed-in user's path toward a north star (MECHANICS §6). Thin: validate,
// authorize, call model/journeys.ts, shape the answer. docs/trajectory-api.md is the client
// contract. Plotting is automatic on the first milestone (see model/journeys.ts).
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { userMutation, userQuery } from "./functions";
import {
  addMilestone as addMilestoneTo,
  createJourney,
  moveJourney,
  type JourneyMove,
  reachMilestone as reachMilestoneOf,
} from "./model/journeys";
import { loadOwned } from "./model/userTables";
import schema from "./schema";
import { mapperOf, vDomainWeights, vJourneyStatus, vNorthStar } from "./validators";

/** A journey as a client sees it (the document without its owner). */
export const vJourneyView = doc(schema, "journeys").omit("_creationTime", "userId");
export type JourneyView = Infer<typeof vJourneyView>;
export const toJourneyView = mapperOf(vJourneyView);

// ---------------------------------------------------------------------------------------
// Reads

export const get = userQuery({
  args: { journeyId: v.id("journeys") },
  returns: vJourneyView,
  handler: async (ctx, { journeyId }) => toJourneyView(await loadOwned(ctx, "journeys", journeyId, ctx.user._id)),
});

/** The user's journeys, newest first; optionally of one status. */
export const mine = userQuery({
  args: { status: v.optional(vJourneyStatus), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vJourneyView),
  handler: async (ctx, { status, paginationOpts }) => {
    const userId = ctx.user._id;
    const query =
      status === undefined
        ? ctx.db.query("journeys").withIndex("by_user", (q) => q.eq("userId", userId))
        : ctx.db.query("journeys").withIndex("by_user_status", (q) => q.eq("userId", userId).eq("status", status));
    const result = await query.order("desc").paginate(paginationOpts);
    return { ...result, page: result.page.map(toJourneyView) };
  },
});

// ---------------------------------------------------------------------------------------
// Writes

/** A new journey in `discovery`. INVALID_ARGUMENT for blank/long text or bad weights. */
export const create = userMutation({
  args: { northStar: vNorthStar, domainWeights: vDomainWeights },
  returns: v.id("journeys"),
  handler: async (ctx, args) => await createJourney(ctx, ctx.user, args, Date.now()),
});

/** Appends a milestone; the first one plots a discovery journey (and moves birth_chart → walk). */
export const addMilestone = userMutation({
  args: { journeyId: v.id("journeys"), title: v.string(), description: v.optional(v.string()) },
  returns: v.object({ milestoneId: v.string(), status: vJourneyStatus }),
  handler: async (ctx, { journeyId, ...input }) => {
    const journey = await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
    return await addMilestoneTo(ctx, ctx.user, journey, input, Date.now());
  },
});

/** Marks a milestone reached; the last one completes the journey. */
export const reachMilestone = userMutation({
  args: { journeyId: v.id("journeys"), milestoneId: v.string() },
  returns: v.object({ status: vJourneyStatus }),
  handler: async (ctx, { journeyId, milestoneId }) => {
    const journey = await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
    return await reachMilestoneOf(ctx, journey, milestoneId, Date.now());
  },
});

/** The three moves share one shape: load the caller's journey, move it. */
function journeyMove(move: JourneyMove) {
  return userMutation({
    args: { journeyId: v.id("journeys") },
    returns: v.null(),
    handler: async (ctx, { journeyId }) => {
      const journey = await loadOwned(ctx, "journeys", journeyId, ctx.user._id);
      await moveJourney(ctx, ctx.user, journey, move, Date.now());
      return null;
    },
  });
}

/** plotted → walking. */
export const start = journeyMove("start");
/** walking → paused. */
export const pause = journeyMove("pause");
/** paused → walking. */
export const resume = journeyMove("resume");
