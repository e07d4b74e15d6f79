// Daily progress and streak reads (MECHANICS §5). Queries cannot read the clock, so each
// takes the client's `now` (ms; INVALID_ARGUMENT outside 1970..9999-12-01): it only picks
// which local date is "today" for the caller's own rows, in the caller's stored time zone.
// Each answer carries `resetsAt` (the next local midnight), when the client should
// subscribe again with a new `now`.
import { v, type Infer } from "convex/values";
import { currentStreak, type DayProgress } from "../src/mechanics/progress";
import { addDays } from "../src/time";
import { invalidArgument } from "./errors";
import { userQuery } from "./functions";
import { clientInstant } from "./model/clientInput";
import { HISTORY_MAX_DAYS, calendarAt, dayProgressOf, dayRow, dayRows, progressStateOf } from "./model/progress";
import schema from "./schema";
import { type Same } from "./validators";

/** A day's row as a client sees it (the document without its owner). */
const vDayView = schema.tables.dailyProgress.validator.omit("userId");
/** The day's numbers (src/mechanics/progress.ts DayProgress). */
export const vDayProgress = vDayView.omit("localDate");
void (true satisfies Same<DayProgress, Infer<typeof vDayProgress>>);

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
    const calendar = calendarAt(ctx.user, clientInstant("now", now));
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
    const { localDate } = calendarAt(ctx.user, clientInstant("now", now));
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
    const calendar = calendarAt(ctx.user, clientInstant("now", now));
    const { lastActiveDate, streakDays } = await progressStateOf(ctx, ctx.user);
    const last = lastActiveDate === undefined ? null : { lastActiveDate, streakDays };
    return { streakDays: currentStreak(last, calendar.localDate), lastActiveDate, ...calendar };
  },
});
