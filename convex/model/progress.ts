// Daily progress and streaks (MECHANICS §5): the only writer of dailyProgress and of the
// progressStates row (essence, streakDays, lastActiveDate; kept off the users row that every
// call reads, so a completion re-runs only the queries that show them). Days are the user's local dates (src/time.ts), so
// every user gets their own midnight and DST days have their real length.
import { applyMissionCompletion, type DayProgress } from "../../src/mechanics/progress";
import { addDays, daysBetween, effectiveTimeZone, localDate, nextLocalMidnight, type LocalDate } from "../../src/time";
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
  const zone = effectiveTimeZone(user);
  return { localDate: localDate(now, zone), resetsAt: nextLocalMidnight(now, zone) };
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

// ---------------------------------------------------------------------------------------
// The progress state document (one per user)

export type ProgressState = Pick<Doc<"progressStates">, "essence" | "streakDays" | "lastActiveDate">;

/** The user's progressStates row, or null for a users row not migrated yet. */
export async function progressStateRow(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"progressStates"> | null> {
  return await ctx.db
    .query("progressStates")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique();
}

/** The progress fields a users row from before the state documents carries (migrations:quietUsersRow). */
export function legacyProgressState(user: Doc<"users">): Omit<Doc<"progressStates">, "_id" | "_creationTime"> {
  return {
    userId: user._id,
    essence: user.essence ?? 0,
    streakDays: user.streakDays ?? 0,
    lastActiveDate: user.lastActiveDate,
  };
}

/** A new user's progress: no essence, no streak. */
export async function createProgressState(ctx: MutationCtx, userId: Id<"users">): Promise<void> {
  await ctx.db.insert("progressStates", { userId, essence: 0, streakDays: 0 });
}

/** The user's essence and stored streak (users.me, progress.streak). */
export async function progressStateOf(ctx: QueryCtx, user: Doc<"users">): Promise<ProgressState> {
  return (await progressStateRow(ctx, user._id)) ?? legacyProgressState(user);
}

async function progressStateForWrite(ctx: MutationCtx, user: Doc<"users">): Promise<Doc<"progressStates">> {
  const row = await progressStateRow(ctx, user._id);
  if (row !== null) return row;
  const created = await ctx.db.get("progressStates", await ctx.db.insert("progressStates", legacyProgressState(user)));
  if (created === null) throw new Error("progress state vanished inside its own transaction");
  return created;
}

export type CompletionOutcome = { localDate: LocalDate; day: DayProgress; essence: number; streakDays: number };

/**
 * Books one mission completion on the user's local date at `now`: the day row (counters,
 * DCI, the streak on the day's first completion, from the previous local date's row) and
 * the user's progress state (essence, streakDays, lastActiveDate). lastActiveDate only moves forward: a
 * user who moved to an earlier zone and completes "yesterday" keeps the later day's streak.
 */
export async function bookCompletion(
  ctx: MutationCtx,
  user: Doc<"users">,
  completion: { minutes: number; essence: number },
  now: number,
): Promise<CompletionOutcome> {
  const today = localDate(now, effectiveTimeZone(user));
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

  const state = await progressStateForWrite(ctx, user);
  const movesForward = state.lastActiveDate === undefined || daysBetween(state.lastActiveDate, today) >= 0;
  const essence = state.essence + completion.essence;
  const streakDays = movesForward ? day.streakDays : state.streakDays;
  await ctx.db.patch("progressStates", state._id, {
    essence,
    ...(movesForward ? { streakDays, lastActiveDate: today } : {}),
  });
  return { localDate: today, day, essence, streakDays };
}
