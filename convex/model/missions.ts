// Missions (MECHANICS §5): creation, the status machine (src/mechanics/progress.ts
// MISSION_TRANSITIONS) and completion, which awards essence once, writes the growth event
// and books the day's progress and streak, all in one transaction.
import type { MissionAttribute, MissionStatus } from "../../src/domain";
import { missionCompletedDeltas } from "../../src/mechanics/growth";
import { canTransitionMission } from "../../src/mechanics/progress";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { invalidArgument, invalidTransition } from "../errors";
import { userText } from "./clientInput";
import { growthEventsFor, recordGrowth } from "./growth";
import { onQuestMissionCompleted } from "./narrative";
import { bookCompletion, type CompletionOutcome } from "./progress";

/** Number ranges; the text bounds are src/text.ts's (missionTitle, missionDescription). */
export const MISSION_LIMITS = {
  durationMinutes: { min: 1, max: 600 },
  essenceReward: { min: 0, max: 1_000 },
} as const;

export type MissionInput = {
  title: string;
  description: string;
  durationMinutes: number;
  essenceReward: number;
  attributeType: MissionAttribute;
};

function wholeNumberIn(name: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidArgument(`${name} must be a whole number from ${range.min} to ${range.max}`);
  }
}

/** Trims and checks every field; throws INVALID_ARGUMENT naming the first bad one. */
export function validateMissionInput(input: MissionInput): MissionInput {
  const title = userText("title", "missionTitle", input.title, { required: true });
  const description = userText("description", "missionDescription", input.description, { required: false });
  wholeNumberIn("durationMinutes", input.durationMinutes, MISSION_LIMITS.durationMinutes);
  wholeNumberIn("essenceReward", input.essenceReward, MISSION_LIMITS.essenceReward);
  return { ...input, title, description };
}

/** `questKey`: set only by a quest reveal (model/quests.ts), never by a client. */
export async function createMission(
  ctx: MutationCtx,
  userId: Id<"users">,
  input: MissionInput,
  now: number,
  questKey?: string,
): Promise<Doc<"missions">> {
  const missionId = await ctx.db.insert("missions", {
    userId,
    ...validateMissionInput(input),
    status: "pending",
    createdAt: now,
    ...(questKey === undefined ? {} : { questKey }),
  });
  const mission = await ctx.db.get("missions", missionId);
  if (mission === null) throw new Error("mission vanished inside its own transaction");
  return mission;
}

function assertTransition(mission: Doc<"missions">, to: MissionStatus): void {
  if (!canTransitionMission(mission.status, to)) {
    throw invalidTransition(`a ${mission.status} mission cannot become ${to}`);
  }
}

/** pending → active. */
export async function startMission(ctx: MutationCtx, mission: Doc<"missions">, now: number): Promise<Doc<"missions">> {
  assertTransition(mission, "active");
  const patch = { status: "active" as const, startedAt: now };
  await ctx.db.patch("missions", mission._id, patch);
  return { ...mission, ...patch };
}

/** active → failed (a pending mission cannot fail: it was never attempted). */
export async function failMission(ctx: MutationCtx, mission: Doc<"missions">, now: number): Promise<Doc<"missions">> {
  assertTransition(mission, "failed");
  const patch = { status: "failed" as const, failedAt: now };
  await ctx.db.patch("missions", mission._id, patch);
  return { ...mission, ...patch };
}

/**
 * pending | active → completed. `completed` is terminal, so this runs at most once per
 * mission: the essence, the growth event and the day's progress are booked exactly once.
 * A quest's mission (MECHANICS §10) is booked the same way, plus its story event.
 */
export async function completeMission(
  ctx: MutationCtx,
  user: Doc<"users">,
  mission: Doc<"missions">,
  now: number,
): Promise<{ mission: Doc<"missions">; outcome: CompletionOutcome; growthEvents: number }> {
  assertTransition(mission, "completed");
  // Missions carry no life domain (§4 has no mapping), so their events add thrust, not direction.
  const events = growthEventsFor(
    "mission",
    mission._id,
    missionCompletedDeltas(mission.attributeType, mission.durationMinutes),
  );
  const patch = { status: "completed" as const, completedAt: now };
  await ctx.db.patch("missions", mission._id, patch);
  const outcome = await bookCompletion(
    ctx,
    user,
    { minutes: mission.durationMinutes, essence: mission.essenceReward },
    now,
  );
  const growthEvents = await recordGrowth(ctx, user._id, events, now);
  const completed = { ...mission, ...patch };
  if (completed.questKey !== undefined) await onQuestMissionCompleted(ctx, completed, now);
  return { mission: completed, outcome, growthEvents };
}
