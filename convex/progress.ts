// Daily progress and streak reads (MECHANICS §5). Queries cannot read the clock, so each
// takes the client's `now` (ms): it only picks which local date is "today" for the caller's
// own rows, in the caller's stored time zone. Each answer carries `resetsAt` (the next local
// midnight), when the client should subscribe again with a new `now`.
import { v } from "convex/values";
import { currentStreak } from "../src/mechanics/progress";
import { addDays } from "../src/time";
import { invalidArgument } from "./errors";
import { userQuery } from "./functions";
import {
  HISTORY_MAX_DAYS,
  calendarAt,
  clientNow,
  dayProgressOf,
  dayRow,
  dayRows,
  progressStateOf,
} from "./model/progress";

export const vDayProgress = v.object({
  missionsCompleted: v.number(),
  minutesCompleted: v.number(),
  essenceEarned: v.number(),
  dciScore: v.number(),
  streakDays: v.number(),
});

const vDayView = v.object({ localDate: v.string(), ...vDayProgress.fields });

/** Today's row (zeros before the first completion of the day). */
export const today = userQuery({
  args: { now: v.number() },
  returns: v.object({
    localDate: v.string(),
    resetsAt: v.number(),
    dailyCapacityMinutes: v.number(),
    day: vDayProgress,
  }),
  handler: async (ctx, { now }) => {
    const calendar = calendarAt(ctx.user, clientNow(now));
    const row = await dayRow(ctx, ctx.user._id, calendar.localDate);
    return { ...calendar, dailyCapacityMinutes: ctx.user.dailyCapacityMinutes, day: dayProgressOf(row) };
  },
});

/** The rows of the last `days` local dates up to today, oldest first; days without a completion are absent. */
export const history = userQuery({
  args: { now: v.number(), days: v.number() },
  returns: v.array(vDayView),
  handler: async (ctx, { now, days }) => {
    if (!Number.isInteger(days) || days < 1 || days > HISTORY_MAX_DAYS) {
      throw invalidArgument(`days must be a whole number from 1 to ${HISTORY_MAX_DAYS}`);
    }
    const { localDate } = calendarAt(ctx.user, clientNow(now));
    const rows = await dayRows(ctx, ctx.user._id, addDays(localDate, -(days - 1)), localDate);
    return rows.map((row) => ({ localDate: row.localDate, ...dayProgressOf(row) }));
  },
});

/** The current streak: 0 once a whole local day has passed without a completion. */
export const streak = userQuery({
  args: { now: v.number() },
  returns: v.object({
    streakDays: v.number(),
    lastActiveDate: v.optional(v.string()),
    localDate: v.string(),
    resetsAt: v.number(),
  }),
  handler: async (ctx, { now }) => {
    const calendar = calendarAt(ctx.user, clientNow(now));
    const { lastActiveDate, streakDays } = await progressStateOf(ctx, ctx.user);
    const last = lastActiveDate === undefined ? null : { lastActiveDate, streakDays };
    return { streakDays: currentStreak(last, calendar.localDate), lastActiveDate, ...calendar };
  },
});
