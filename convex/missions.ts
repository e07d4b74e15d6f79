// Missions API (MECHANICS §5): create, the status moves (INVALID_TRANSITION when the
// machine forbids one) and a paginated list. Completion books essence, growth and the
// day's progress in model/missions.ts.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { userMutation, userQuery } from "./functions";
import { completeMission, createMission, failMission, startMission } from "./model/missions";
import { loadOwned } from "./model/userTables";
import { vDayProgress } from "./progress";
import schema from "./schema";
import { mapperOf, vMissionStatus } from "./validators";

/** A mission as a client sees it (the document without its owner). */
export const vMissionView = doc(schema, "missions").omit("_creationTime", "userId");
const toMissionView = mapperOf(vMissionView);

export const create = userMutation({
  args: schema.tables.missions.validator.pick(
    "title", "description", "durationMinutes", "essenceReward", "attributeType",
  ).fields,
  returns: vMissionView,
  handler: async (ctx, args) => toMissionView(await createMission(ctx, ctx.user._id, args, Date.now())),
});

/** pending → active. */
export const start = userMutation({
  args: { missionId: v.id("missions") },
  returns: vMissionView,
  handler: async (ctx, { missionId }) => {
    const mission = await loadOwned(ctx, "missions", missionId, ctx.user._id);
    return toMissionView(await startMission(ctx, mission, Date.now()));
  },
});

/** active → failed. */
export const fail = userMutation({
  args: { missionId: v.id("missions") },
  returns: vMissionView,
  handler: async (ctx, { missionId }) => {
    const mission = await loadOwned(ctx, "missions", missionId, ctx.user._id);
    return toMissionView(await failMission(ctx, mission, Date.now()));
  },
});

/** pending | active → completed: awards the essence (once), growth, day progress and streak. */
export const complete = userMutation({
  args: { missionId: v.id("missions") },
  returns: v.object({
    mission: vMissionView,
    essenceAwarded: v.number(),
    /** The user's essence after the award. */
    essence: v.number(),
    localDate: v.string(),
    day: vDayProgress,
    /** The user's streak after this completion (progressStates.streakDays). */
    streakDays: v.number(),
  }),
  handler: async (ctx, { missionId }) => {
    const mission = await loadOwned(ctx, "missions", missionId, ctx.user._id);
    const { mission: completed, outcome } = await completeMission(ctx, ctx.user, mission, Date.now());
    return {
      mission: toMissionView(completed),
      essenceAwarded: completed.essenceReward,
      essence: outcome.essence,
      localDate: outcome.localDate,
      day: outcome.day,
      streakDays: outcome.streakDays,
    };
  },
});

/** The caller's missions, newest first, optionally of one status. */
export const list = userQuery({
  args: { status: v.optional(vMissionStatus), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vMissionView),
  handler: async (ctx, { status, paginationOpts }) => {
    const userId = ctx.user._id;
    const query =
      status === undefined
        ? ctx.db.query("missions").withIndex("by_user", (q) => q.eq("userId", userId))
        : ctx.db.query("missions").withIndex("by_user_status", (q) => q.eq("userId", userId).eq("status", status));
    const page = await query.order("desc").paginate(paginationOpts);
    return { ...page, page: page.page.map(toMissionView) };
  },
});
