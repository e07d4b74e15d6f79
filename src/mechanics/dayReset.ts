// The day-reset rule (docs/mechanics.md "Day resets and time-zone changes"): when a user's
// per-date work (the daily snapshot, the velocity step of the dates closed, and whatever
// else runs once per local date) is due, whatever zone changes happen in between. After
// Habitica's rule (it keeps the offset of the last day-reset so that a zone change can
// neither repeat nor skip one): the schedule remembers the local date T of the last reset,
// and the next reset is the first instant whose local date in the CURRENT zone is after T.
// Pure: `now` and the zone are arguments.
import { addDays, daysBetween, localDate, nextLocalMidnight, startOfLocalDate, type LocalDate } from "../time";

/**
 * When the reset after `lastResetDate` is due in `timeZone`: the first instant of the next
 * local date. West → east (the new zone is already past it) this lies in the past, so the
 * reset is due at once; east → west it waits until the new zone's date passes the last one.
 */
export function nextResetAt(lastResetDate: LocalDate, timeZone: string): number {
  return startOfLocalDate(addDays(lastResetDate, 1), timeZone);
}

/** What the rollover does at `now`: reset `date` (then due again at `nextResetAt`), or only reschedule. */
export type ResetDecision =
  | { kind: "reset"; date: LocalDate; closedThrough: LocalDate; nextResetAt: number }
  | { kind: "wait"; nextResetAt: number };

/**
 * The rollover's decision at `now` in `timeZone`, for a schedule whose last reset was
 * `lastResetDate` (undefined: none yet). The local date T at `now` is reset only when it is
 * later than the last one: a date at or before it is never reset again. A reset of T runs
 * the work of T (its snapshot) and closes every date up to T − 1 (`closedThrough`, for the
 * velocity step, which keeps its own watermark per journey).
 */
export function dayResetAt(lastResetDate: LocalDate | undefined, now: number, timeZone: string): ResetDecision {
  const today = localDate(now, timeZone);
  if (lastResetDate !== undefined && today <= lastResetDate) {
    return { kind: "wait", nextResetAt: nextResetAt(lastResetDate, timeZone) };
  }
  return { kind: "reset", date: today, closedThrough: addDays(today, -1), nextResetAt: nextResetAt(today, timeZone) };
}

/**
 * When the next reset is due after a change to `timeZone` at `now`. After a first reset it
 * follows the last reset date in the new zone (so re-sending the same zone changes
 * nothing). Before the first one the account's first day is simply today in the zone of
 * the moment: the reset is at its next local midnight, or stays due when it already is.
 */
export function nextResetAfterZoneChange(
  schedule: { lastResetDate?: LocalDate; nextDailyAt: number },
  now: number,
  timeZone: string,
): number {
  if (schedule.lastResetDate !== undefined) return nextResetAt(schedule.lastResetDate, timeZone);
  return schedule.nextDailyAt <= now ? schedule.nextDailyAt : nextLocalMidnight(now, timeZone);
}

/** The most closed dates one reset hands to the per-closed-date work (the longest report window). */
export const MAX_DATES_CLOSED_PER_RESET = 21;

/**
 * The local dates a reset closes, oldest first: every date from the last date reset (it was
 * open until now) through `closedThrough` (T − 1), so a west→east jump that skips a date in
 * the new zone still closes it once; the first reset (no last date) closes only T − 1. At
 * most MAX_DATES_CLOSED_PER_RESET (the newest), so a user whose job was down for a year costs
 * a bounded rollover. A reset of T after a reset of T − 1 closes exactly T − 1.
 */
export function datesClosedByReset(lastResetDate: LocalDate | undefined, closedThrough: LocalDate): LocalDate[] {
  const first = lastResetDate === undefined ? closedThrough : lastResetDate;
  const count = Math.min(daysBetween(first, closedThrough) + 1, MAX_DATES_CLOSED_PER_RESET);
  if (count <= 0) return [];
  return Array.from({ length: count }, (_, i) => addDays(closedThrough, i - (count - 1)));
}
