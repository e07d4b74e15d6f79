// Retention (MECHANICS §7 snapshot pruning; conversation lifetimes). Pure: `now` is an
// argument, and pruning can run on one page of history at a time.
import { DAY, HOUR, isoWeek } from "../time";
import type { LocalDate } from "../time";

/** Every snapshot younger than this is kept. */
export const KEEP_ALL_DAYS = 7;
/** Up to this age the last snapshot of each local date is kept; beyond it, of each ISO week. */
export const KEEP_DAILY_DAYS = 365;
/** Conversations are due for retention after 12 months, taken as 365 days (not calendar months). */
export const RETENTION_MS = 365 * DAY;
/** An active conversation with no message for 24 hours is abandoned. */
export const IDLE_MS = 24 * HOUR;

export interface SnapshotRow {
  id: string;
  timestamp: number;
  localDate: LocalDate;
}

/**
 * Newest first: timestamp descending, then id descending as a tie-break, so "the last
 * snapshot of a date" is well defined even for equal timestamps.
 */
export function compareNewestFirst(a: SnapshotRow, b: SnapshotRow): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

type Tier = "all" | "daily" | "weekly";

function tierOf(timestamp: number, now: number): Tier {
  const age = now - timestamp;
  if (age < KEEP_ALL_DAYS * DAY) return "all";
  if (age < KEEP_DAILY_DAYS * DAY) return "daily";
  return "weekly";
}

/**
 * The ids to keep at `now`: every snapshot of the last 7 days; older than that, the last
 * snapshot of each local date; older than 365 days, the last snapshot of each ISO week
 * (of its local date). "Last of a date/week" is taken over all snapshots, so a date or a
 * week that straddles a tier boundary keeps only its newest snapshot, which sits in the
 * younger tier. This makes pruning compose: pruning at t, then at t' ≥ t, equals pruning at t'.
 */
export function snapshotsToKeep(snapshots: readonly SnapshotRow[], now: number): Set<string> {
  const sorted = [...snapshots].sort(compareNewestFirst);
  const seenDates = new Set<LocalDate>();
  const seenWeeks = new Set<string>();
  const keep = new Set<string>();
  for (const s of sorted) {
    const week = isoWeek(s.localDate);
    const newestOfDate = !seenDates.has(s.localDate);
    const newestOfWeek = !seenWeeks.has(week);
    seenDates.add(s.localDate);
    seenWeeks.add(week);
    const tier = tierOf(s.timestamp, now);
    if (tier === "all" || (tier === "daily" && newestOfDate) || (tier === "weekly" && newestOfWeek)) keep.add(s.id);
  }
  return keep;
}

/** What the pruning cursor carries between rows and pages: the previous kept snapshot's local date. */
export type PruneKey = LocalDate | null;

/**
 * The streaming form of `snapshotsToKeep`, for a job that pages through one user's
 * history newest → oldest (order `compareNewestFirst`). Start with `null`, pass each
 * answer's `key` to the next row (across pages too). Equals `snapshotsToKeep` whenever
 * local dates never go backwards in time, which holds while the user's timezone is fixed.
 * After a timezone change that moves the date back it may keep an extra snapshot, never
 * fewer: a date seen again later in the stream counts as new.
 */
export function pruneDecision(
  snapshot: SnapshotRow,
  now: number,
  previousKept: PruneKey,
): { keep: boolean; key: PruneKey } {
  const tier = tierOf(snapshot.timestamp, now);
  const keep =
    tier === "all" ||
    previousKept === null ||
    (tier === "daily" && previousKept !== snapshot.localDate) ||
    (tier === "weekly" && isoWeek(previousKept) !== isoWeek(snapshot.localDate));
  return { keep, key: keep ? snapshot.localDate : previousKept };
}

// ---------------------------------------------------------------------------------------
// Conversations

/** 12 months (365 days) after its last message a conversation is due for retention. */
export function isRetentionDue(lastMessageAt: number, now: number): boolean {
  return now - lastMessageAt >= RETENTION_MS;
}

/** 24 hours without a message: an active conversation is abandoned. */
export function isIdle(lastMessageAt: number, now: number): boolean {
  return now - lastMessageAt >= IDLE_MS;
}
