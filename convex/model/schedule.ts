// The daily schedule of each user (dailySchedules): when their daily jobs (velocity, the
// LifeState snapshot) are next due, the date of the last snapshot and the LifeState prune
// watermark. The only writer of the table, and the one place that decides when a user's day
// turns over: the hourly rollover (jobs.ts), the nightly prune (model/retention.ts) and a
// time-zone change (users.updateSettings) all go through here. No public query reads it, so
// the bookkeeping of the jobs never re-runs a live query.
import { nextLocalMidnight, type LocalDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";

export type Schedule = Doc<"dailySchedules">;

/** When the daily jobs of a user in `timezone` are due next after `now`: their next local midnight. */
export function nextDailyAtFor(now: number, timezone: string): number {
  return nextLocalMidnight(now, timezone);
}

/** The user's schedule, or null for a row created before the per-user state documents. */
export async function scheduleOf(ctx: QueryCtx, userId: Id<"users">): Promise<Schedule | null> {
  return await ctx.db
    .query("dailySchedules")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique();
}

/** A new user's schedule: due at their first local midnight. */
export async function createSchedule(
  ctx: MutationCtx,
  userId: Id<"users">,
  timezone: string,
  now: number,
): Promise<void> {
  await ctx.db.insert("dailySchedules", { userId, nextDailyAt: nextDailyAtFor(now, timezone) });
}

/** The schedule fields a users row from before the state documents carries (migrations:quietUsersRow). */
export function legacySchedule(user: Doc<"users">, now: number): Omit<Schedule, "_id" | "_creationTime"> {
  return {
    userId: user._id,
    nextDailyAt: user.nextDailyAt ?? nextDailyAtFor(now, user.timezone),
    lastDailyDate: user.lastDailyDate,
    lifeStatesPrunedAt: user.lifeStatesPrunedAt,
  };
}

/** The user's schedule, created from the legacy fields of a row not migrated yet. */
export async function scheduleForWrite(ctx: MutationCtx, user: Doc<"users">, now: number): Promise<Schedule> {
  const existing = await scheduleOf(ctx, user._id);
  if (existing !== null) return existing;
  const created = await ctx.db.get("dailySchedules", await ctx.db.insert("dailySchedules", legacySchedule(user, now)));
  if (created === null) throw new Error("schedule vanished inside its own transaction");
  return created;
}

/** The schedules due at `now` (nextDailyAt ≤ now), for the hourly rollover to page through. */
export function dueSchedules(ctx: QueryCtx, now: number) {
  return ctx.db.query("dailySchedules").withIndex("by_next_daily", (q) => q.lte("nextDailyAt", now));
}

export function isDailyDue(schedule: Schedule, now: number): boolean {
  return schedule.nextDailyAt <= now;
}

/**
 * After a rollover at `now`: due again at the user's next local midnight. `snapshotDate` is
 * the local date the daily snapshot belongs to (absent when none was due, e.g. an account
 * pending deletion).
 */
export async function markRolledOver(
  ctx: MutationCtx,
  schedule: Schedule,
  timezone: string,
  now: number,
  snapshotDate?: LocalDate,
): Promise<void> {
  await ctx.db.patch("dailySchedules", schedule._id, {
    nextDailyAt: nextDailyAtFor(now, timezone),
    ...(snapshotDate === undefined ? {} : { lastDailyDate: snapshotDate }),
  });
}

/** A time-zone change at `now`: the daily jobs follow the user's new midnight from then on. */
export async function rescheduleForTimezone(
  ctx: MutationCtx,
  user: Doc<"users">,
  timezone: string,
  now: number,
): Promise<void> {
  const schedule = await scheduleForWrite(ctx, user, now);
  await ctx.db.patch("dailySchedules", schedule._id, { nextDailyAt: nextDailyAtFor(now, timezone) });
}

/** The LifeState prune watermark, read only (a dry run must not create the schedule row). */
export async function lifeStatesPrunedAt(ctx: QueryCtx, user: Doc<"users">): Promise<number | undefined> {
  const schedule = await scheduleOf(ctx, user._id);
  return schedule === null ? user.lifeStatesPrunedAt : schedule.lifeStatesPrunedAt;
}

/** Moves the LifeState prune watermark to `now` (never back: a late page of an older run must not undo a newer one). */
export async function markLifeStatesPruned(ctx: MutationCtx, schedule: Schedule, now: number): Promise<void> {
  if ((schedule.lifeStatesPrunedAt ?? -Infinity) < now) {
    await ctx.db.patch("dailySchedules", schedule._id, { lifeStatesPrunedAt: now });
  }
}
