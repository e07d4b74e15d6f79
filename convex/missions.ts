// Missions API (MECHANICS §5): create, the status moves (INVALID_TRANSITION when the
// machine forbids one) and a paginated list. Completion books essence, growth and the
// day's progress in model/missions.ts.
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { userMutation, userQuery } from "./functions";
import { completeMission, createMission, failMission, getOwnMission, startMission } from "./model/missions";
import { vDayProgress } from "./progress";
import { vMissionAttribute, vMissionStatus } from "./validators";

export const vMissionView = v.object({
  _id: v.id("missions"),
  title: v.string(),
  description: v.string(),
  durationMinutes: v.number(),
  essenceReward: v.number(),
  attributeType: vMissionAttribute,
  status: vMissionStatus,
  createdAt: v.number(),
  startedAt: v.optional(v.number()),
  completedAt: v.optional(v.number()),
  failedAt: v.optional(v.number()),
  /** A quest's mission: the template key it was revealed from (narrative.mine). */
  questKey: v.optional(v.string()),
});

function toMissionView(mission: Doc<"missions">) {
  return {
    _id: mission._id,
    title: mission.title,
    description: mission.description,
    durationMinutes: mission.durationMinutes,
    essenceReward: mission.essenceReward,
    attributeType: mission.attributeType,
    status: mission.status,
    createdAt: mission.createdAt,
    startedAt: mission.startedAt,
    completedAt: mission.completedAt,
    failedAt: mission.failedAt,
    questKey: mission.questKey,
  };
}

export const create = userMutation({
  args: {
    title: v.string(),
    description: v.string(),
    durationMinutes: v.number(),
    essenceReward: v.number(),
    attributeType: vMissionAttribute,
  },
  returns: vMissionView,
  handler: async (ctx, args) => toMissionView(await createMission(ctx, ctx.user._id, args, Date.now())),
});

/** pending → active. */
export const start = userMutation({
  args: { missionId: v.id("missions") },
  returns: vMissionView,
  handler: async (ctx, { missionId }) => {
    const mission = await getOwnMission(ctx, ctx.user._id, missionId);
    return toMissionView(await startMission(ctx, mission, Date.now()));
  },
});

/** active → failed. */
export const fail = userMutation({
  args: { missionId: v.id("missions") },
  returns: vMissionView,
  handler: async (ctx, { missionId }) => {
    const mission = await getOwnMission(ctx, ctx.user._id, missionId);
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
    /** The user's streak after this completion (users.streakDays). */
    streakDays: v.number(),
  }),
  handler: async (ctx, { missionId }) => {
    const mission = await getOwnMission(ctx, ctx.user._id, missionId);
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
