// Local calendar arithmetic in IANA zones (MECHANICS conventions). Pure: `now` is always
// an argument. Uses Intl, which the Convex default runtime provides.

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** `YYYY-MM-DD` */
export type LocalDate = string;

/**
 * The instants this module handles: from the epoch to 9999-12-01T00:00Z. Past year 9999 a
 * local date needs five digits (not a LocalDate), and past 8.64e15 no Date exists; the
 * month of margin covers the next local midnight in any zone and a history's look-back.
 * Nothing Lodestar stores predates 1970 (every timestamp comes from Date.now()).
 */
export const SUPPORTED_INSTANTS = { min: 0, max: Date.UTC(9999, 11, 1) } as const;

/** Whether `instant` (ms) is a finite number inside SUPPORTED_INSTANTS. */
export function isSupportedInstant(instant: number): boolean {
  return Number.isFinite(instant) && instant >= SUPPORTED_INSTANTS.min && instant <= SUPPORTED_INSTANTS.max;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA zone name the runtime knows (e.g. "Asia/Tokyo", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The contract's default zone (MECHANICS conventions): a new account's, and what a stale zone computes in. */
export const DEFAULT_TIME_ZONE = "UTC";

/**
 * The zone to compute in: `timeZone` when the runtime knows it, else DEFAULT_TIME_ZONE. A
 * stored zone can go stale (a name retired from the time-zone database, or a runtime with
 * older data); computing in UTC then keeps every job and call working until the user picks
 * a zone again (users.me shows `timezoneInvalid`; docs/mechanics.md "Stale zones").
 */
export function usableTimeZone(timeZone: string): string {
  return isValidTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
}

/** The user's zone to compute in (usableTimeZone of the stored one): every caller of `user.timezone` goes through here. */
export function effectiveTimeZone(user: { timezone: string }): string {
  return usableTimeZone(user.timezone);
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(instant: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** The user's local date at `instant`, `YYYY-MM-DD`. */
export function localDate(instant: number, timeZone: string): LocalDate {
  const p = localParts(instant, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

function parseLocalDate(date: LocalDate): { year: number; month: number; day: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`Not a local date: ${date}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

/** Calendar arithmetic on a local date (no zone involved: dates are labels). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const { year, month, day } = parseLocalDate(date);
  const shifted = new Date(Date.UTC(year, month - 1, day + days));
  return `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  const a = parseLocalDate(from);
  const b = parseLocalDate(to);
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY);
}

/** ISO-8601 week of a local date, e.g. "2026-W48" (weeks start Monday; week 1 holds Jan 4). */
export function isoWeek(date: LocalDate): string {
  const { year, month, day } = parseLocalDate(date);
  const d = new Date(Date.UTC(year, month - 1, day));
  const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
  d.setUTCDate(d.getUTCDate() - weekday + 3); // the Thursday of this week decides the year
  const weekYear = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7;
  firstThursday.setUTCDate(firstThursday.getUTCDate() - firstWeekday + 3);
  const week = 1 + Math.round((d.getTime() - firstThursday.getTime()) / (7 * DAY));
  return `${weekYear}-W${pad(week)}`;
}

/** Offset of the zone from UTC at `instant`, in ms (local wall clock minus UTC). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * Local midnight after `instant`: the first instant of the next local date. Handles DST
 * and zones whose midnight is skipped (the day then starts at 01:00 local).
 */
export function nextLocalMidnight(instant: number, timeZone: string): number {
  const today = localDate(instant, timeZone);
  const { year, month, day } = parseLocalDate(addDays(today, 1));
  const wallMidnight = Date.UTC(year, month - 1, day);
  const isBoundary = (t: number) => localDate(t, timeZone) !== today && localDate(t - 1, timeZone) === today;
  // Fast path: the offset now, then the offset at the guess (covers DST between the two).
  const first = wallMidnight - offsetAt(instant, timeZone);
  if (first > instant && isBoundary(first)) return first;
  const second = wallMidnight - offsetAt(first, timeZone);
  if (second > instant && isBoundary(second)) return second;
  // Exact fallback: binary search for the first instant whose local date is not `today`.
  let lo = instant;
  let hi = instant + 2 * DAY;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, timeZone) === today) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** First instant of the local date `date` in `timeZone`. */
export function startOfLocalDate(date: LocalDate, timeZone: string): number {
  const { year, month, day } = parseLocalDate(addDays(date, -1));
  // Noon of the previous day is safely inside it in every zone.
  const noonBefore = Date.UTC(year, month - 1, day, 12) - offsetAt(Date.UTC(year, month - 1, day, 12), timeZone);
  return nextLocalMidnight(noonBefore, timeZone);
}
