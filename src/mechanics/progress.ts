// Missions, daily progress and streaks (MECHANICS §5). Pure: dates are local `YYYY-MM-DD`
// labels computed by the caller from `now` and the user's zone (src/time.ts).
import type { MissionStatus } from "../domain";
import { addDays, daysBetween, type LocalDate } from "../time";

/** Default daily capacity when the user has not set one. */
export const DEFAULT_DAILY_CAPACITY_MINUTES = 60;

/**
 * Allowed mission transitions: pending → active → completed | failed, and pending →
 * completed (done without starting). `completed` and `failed` are terminal, which is what
 * makes the essence reward exactly-once.
 */
export const MISSION_TRANSITIONS: Readonly<Record<MissionStatus, readonly MissionStatus[]>> = Object.freeze({
  pending: Object.freeze(["active", "completed"] as const),
  active: Object.freeze(["completed", "failed"] as const),
  completed: Object.freeze([] as const),
  failed: Object.freeze([] as const),
});

export function canTransitionMission(from: MissionStatus, to: MissionStatus): boolean {
  return MISSION_TRANSITIONS[from].includes(to);
}

/**
 * DCI (daily capacity index) = min(1, minutes / capacity). A capacity that is not a positive
 * number falls back to 60 (no division by zero); negative minutes count as 0.
 */
export function dciScore(minutesCompleted: number, capacityMinutes: number = DEFAULT_DAILY_CAPACITY_MINUTES): number {
  const capacity =
    Number.isFinite(capacityMinutes) && capacityMinutes > 0 ? capacityMinutes : DEFAULT_DAILY_CAPACITY_MINUTES;
  return Math.min(1, Math.max(0, minutesCompleted) / capacity);
}

/** A day's progress row as §5 defines it. */
export interface DayProgress {
  missionsCompleted: number;
  minutesCompleted: number;
  essenceEarned: number;
  dciScore: number;
  streakDays: number;
}

/**
 * Streak set by the first completion of day D: yesterday's streak + 1 when D−1 had a
 * completion, else 1. A D−1 row with zero completions (should not exist) counts as none.
 */
export function streakOnFirstCompletion(
  previousDayProgress: { streakDays: number; missionsCompleted?: number } | null,
): number {
  if (!previousDayProgress || previousDayProgress.missionsCompleted === 0) return 1;
  return previousDayProgress.streakDays + 1;
}

/**
 * The streak a read shows on `today`: the stored streak while it is still alive (last
 * active today or yesterday), 0 once a whole local day has passed without a completion.
 * A last active date after `today` (the user moved west) keeps the streak.
 */
export function currentStreak(
  last: { lastActiveDate: LocalDate; streakDays: number } | null,
  today: LocalDate,
): number {
  if (!last) return 0;
  const yesterday = addDays(today, -1);
  return daysBetween(last.lastActiveDate, yesterday) > 0 ? 0 : last.streakDays;
}

/**
 * The day row after one mission completion: counters add up, DCI is recomputed from the
 * day's total minutes, and the streak is set only on the day's first completion (later
 * completions keep it). `previousDay` is the row of the local date before, if any.
 */
export function applyMissionCompletion(
  dayProgress: DayProgress | null,
  completion: { minutes: number; essence: number },
  capacityMinutes: number = DEFAULT_DAILY_CAPACITY_MINUTES,
  previousDay: { streakDays: number; missionsCompleted?: number } | null = null,
): DayProgress {
  const day = dayProgress ?? { missionsCompleted: 0, minutesCompleted: 0, essenceEarned: 0, dciScore: 0, streakDays: 0 };
  const isFirst = day.missionsCompleted === 0;
  const minutesCompleted = day.minutesCompleted + Math.max(0, completion.minutes);
  return {
    missionsCompleted: day.missionsCompleted + 1,
    minutesCompleted,
    essenceEarned: day.essenceEarned + Math.max(0, completion.essence),
    dciScore: dciScore(minutesCompleted, capacityMinutes),
    streakDays: isFirst ? streakOnFirstCompletion(previousDay) : day.streakDays,
  };
}
