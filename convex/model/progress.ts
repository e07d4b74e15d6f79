// Daily progress and streaks (MECHANICS §5): the only writer of dailyProgress and of
// users.essence/streakDays/lastActiveDate. Days are the user's local dates (src/time.ts), so
// every user gets their own midnight and DST days have their real length.
import { applyMissionCompletion, type DayProgress } from "../../src/mechanics/progress";
import { addDays, daysBetween, localDate, nextLocalMidnight, type LocalDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";

/** progress.history looks back at most this many local days (a leap year). */
export const HISTORY_MAX_DAYS = 366;

export async function dayRow(
  ctx: QueryCtx,
  userId: Id<"users">,
  date: LocalDate,
): Promise<Doc<"dailyProgress"> | null> {
  return await ctx.db
    .query("dailyProgress")
    .withIndex("by_user_date", (q) => q.eq("userId", userId).eq("localDate", date))
    .unique();
}

/** The rows of local dates from..to (inclusive), oldest first; at most one per date. */
export async function dayRows(
  ctx: QueryCtx,
  userId: Id<"users">,
  from: LocalDate,
  to: LocalDate,
): Promise<Doc<"dailyProgress">[]> {
  return await ctx.db
    .query("dailyProgress")
    .withIndex("by_user_date", (q) => q.eq("userId", userId).gte("localDate", from).lte("localDate", to))
    .take(daysBetween(from, to) + 1);
}

/** The caller's calendar at `now`: today's local date and when it ends. */
export function calendarAt(user: Doc<"users">, now: number): { localDate: LocalDate; resetsAt: number } {
  return { localDate: localDate(now, user.timezone), resetsAt: nextLocalMidnight(now, user.timezone) };
}

export const EMPTY_DAY: DayProgress = {
  missionsCompleted: 0,
  minutesCompleted: 0,
  essenceEarned: 0,
  dciScore: 0,
  streakDays: 0,
};

export function dayProgressOf(row: Doc<"dailyProgress"> | null): DayProgress {
  if (row === null) return { ...EMPTY_DAY };
  return {
    missionsCompleted: row.missionsCompleted,
    minutesCompleted: row.minutesCompleted,
    essenceEarned: row.essenceEarned,
    dciScore: row.dciScore,
    streakDays: row.streakDays,
  };
}

export type CompletionOutcome = { localDate: LocalDate; day: DayProgress; essence: number; streakDays: number };

/**
 * Books one mission completion on the user's local date at `now`: the day row (counters,
 * DCI, the streak on the day's first completion, from the previous local date's row) and
 * the user's essence, streakDays and lastActiveDate. lastActiveDate only moves forward: a
 * user who moved to an earlier zone and completes "yesterday" keeps the later day's streak.
 */
export async function bookCompletion(
  ctx: MutationCtx,
  user: Doc<"users">,
  completion: { minutes: number; essence: number },
  now: number,
): Promise<CompletionOutcome> {
  const today = localDate(now, user.timezone);
  const current = await dayRow(ctx, user._id, today);
  const previous = current !== null && current.missionsCompleted > 0 ? null : await dayRow(ctx, user._id, addDays(today, -1));
  const day = applyMissionCompletion(
    current === null ? null : dayProgressOf(current),
    completion,
    user.dailyCapacityMinutes,
    previous,
  );
  if (current === null) await ctx.db.insert("dailyProgress", { userId: user._id, localDate: today, ...day });
  else await ctx.db.patch("dailyProgress", current._id, day);

  const movesForward = user.lastActiveDate === undefined || daysBetween(user.lastActiveDate, today) >= 0;
  const essence = user.essence + completion.essence;
  const streakDays = movesForward ? day.streakDays : user.streakDays;
  await ctx.db.patch("users", user._id, {
    essence,
    ...(movesForward ? { streakDays, lastActiveDate: today } : {}),
  });
  return { localDate: today, day, essence, streakDays };
}
