// The daily schedule of each user (dailySchedules): when their per-date work (velocity, the
// LifeState snapshot, any later per-date job) is next due, the local date of the last
// day-reset and of the last snapshot, and the LifeState prune watermark. The only writer of
// the table, and the one place that applies the day-reset rule (src/mechanics/dayReset.ts):
// the hourly rollover (jobs.ts), the nightly prune (model/retention.ts) and a time-zone
// change (users.updateSettings) all go through here. No public query reads it, so the
// bookkeeping of the jobs never re-runs a live query.
import { dayResetAt, nextResetAfterZoneChange, type ResetDecision } from "../../src/mechanics/dayReset";
import { effectiveTimeZone, nextLocalMidnight, usableTimeZone, type LocalDate } from "../../src/time";
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
    nextDailyAt: user.nextDailyAt ?? nextDailyAtFor(now, effectiveTimeZone(user)),
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
 * The local date of the user's last day-reset, or undefined before the first. Rows written
 * before the rule was stored carry only the date of their last snapshot, which was the date
 * of their last reset.
 */
export function lastResetDateOf(schedule: Schedule): LocalDate | undefined {
  return schedule.lastResetDate ?? schedule.lastDailyDate;
}

/** The rollover's decision at `now` in the user's zone (docs/mechanics.md "Day resets"). */
export function resetDecision(schedule: Schedule, now: number, timeZone: string): ResetDecision {
  return dayResetAt(lastResetDateOf(schedule), now, timeZone);
}

/**
 * Records a rollover's outcome. A reset moves the last reset date to its date (and the
 * snapshot date, when `snapshotTaken`); either way nextDailyAt moves to the decision's next
 * reset. Writes nothing when nothing changes.
 */
export async function markRolledOver(
  ctx: MutationCtx,
  schedule: Schedule,
  decision: ResetDecision,
  snapshotTaken = false,
): Promise<void> {
  const patch: Partial<Schedule> = {};
  if (decision.nextResetAt !== schedule.nextDailyAt) patch.nextDailyAt = decision.nextResetAt;
  if (decision.kind === "reset") {
    patch.lastResetDate = decision.date;
    if (snapshotTaken) patch.lastDailyDate = decision.date;
  }
  if (Object.keys(patch).length > 0) await ctx.db.patch("dailySchedules", schedule._id, patch);
}

/**
 * A time-zone change at `now`: the next reset follows the last reset date in the new zone
 * (src/mechanics/dayReset.ts nextResetAfterZoneChange), so a re-sent zone changes nothing,
 * west → east makes the reset due at once and east → west waits until the new zone's date
 * passes the last one reset. Zones compared as the jobs compute them (a stale zone is UTC).
 */
export async function rescheduleForTimezone(
  ctx: MutationCtx,
  user: Doc<"users">,
  timezone: string,
  now: number,
): Promise<void> {
  const zone = usableTimeZone(timezone);
  if (zone === effectiveTimeZone(user)) return;
  const schedule = await scheduleForWrite(ctx, user, now);
  const nextDailyAt = nextResetAfterZoneChange(
    { lastResetDate: lastResetDateOf(schedule), nextDailyAt: schedule.nextDailyAt },
    now,
    zone,
  );
  if (nextDailyAt !== schedule.nextDailyAt) await ctx.db.patch("dailySchedules", schedule._id, { nextDailyAt });
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
