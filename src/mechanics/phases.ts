// User phases (MECHANICS §8): onboarding → mirror → birth_chart → walk, and the mirror-day
// counter. Pure: the caller passes the user's local date.
import { USER_PHASES } from "../domain";
import type { UserPhase } from "../domain";
import type { LocalDate } from "../time";

/** The mirror lasts 7 days; completing day 7 opens the birth chart. */
export const MIRROR_DAYS = 7;
/** A mirror conversation counts for the day only with at least 3 user messages. */
export const MIN_USER_MESSAGES_FOR_MIRROR = 3;

/** Phases only move forward, one step at a time, in USER_PHASES order. */
export function canTransitionPhase(from: UserPhase, to: UserPhase): boolean {
  return USER_PHASES.indexOf(to) === USER_PHASES.indexOf(from) + 1;
}

export interface MirrorState {
  mirrorDay: number;
  lastMirrorAdvanceDate?: LocalDate;
  currentPhase: UserPhase;
}

/**
 * The user's state after a mirror conversation with `userMessageCount` user messages
 * completed on local date `today`, or null when nothing changes. The day rises by 1 when:
 * the user is in the mirror phase (onboarding → mirror happens when the first mirror
 * conversation starts, not here), the conversation had ≥ 3 user messages, and `today` is
 * after the last advance date (once per local date; a date that went backwards after a
 * timezone change does not count again). mirrorDay stays in 0..7, and the advance that
 * reaches day 7 moves the phase to birth_chart at once.
 */
export function mirrorAdvance(state: MirrorState, userMessageCount: number, today: LocalDate): MirrorState | null {
  if (state.currentPhase !== "mirror") return null;
  if (userMessageCount < MIN_USER_MESSAGES_FOR_MIRROR) return null;
  if (state.lastMirrorAdvanceDate !== undefined && today <= state.lastMirrorAdvanceDate) return null;
  const mirrorDay = Math.min(MIRROR_DAYS, Math.max(0, state.mirrorDay + 1));
  return {
    mirrorDay,
    lastMirrorAdvanceDate: today,
    currentPhase: mirrorDay >= MIRROR_DAYS ? "birth_chart" : "mirror",
  };
}

/** Plotting a journey moves a birth_chart user to walk; any other phase is unchanged (null). */
export function phaseAfterJourneyPlotted(phase: UserPhase): UserPhase | null {
  return phase === "birth_chart" ? "walk" : null;
}
