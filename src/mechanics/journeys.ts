// Journeys and experiments (MECHANICS §6): status machines, experiment expiry, and the
// daily velocity/momentum update. Pure: `now` is always an argument.
import type { ExperimentStatus, JourneyStatus } from "../domain";
import { clamp } from "../math";
import { nextLocalMidnight } from "../time";

/** Share of yesterday's velocity kept by the daily update. */
export const VELOCITY_DECAY = 0.7;
/** Weight of the closed day's completion rate in the new velocity. */
export const VELOCITY_GAIN = 0.3;
/** Share of momentum kept by the daily update. */
export const MOMENTUM_DECAY = 0.9;
/** Momentum never exceeds this (the fixed point of a perfect streak: 0.9·10 + 1 = 10). */
export const MAX_MOMENTUM = 10;
/** A journey holds at most this many milestones (checked when plotting). */
export const MAX_MILESTONES = 20;

// ---------------------------------------------------------------------------------------
// Journeys

/** The fields a journey's guards read (structural, so Convex documents fit as they are). */
export interface JourneyShape {
  northStar?: { description: string } | null;
  milestones: readonly { id: string; reachedAt?: number }[];
}

/**
 * Status graph: discovery → plotted → walking ⇄ paused, and walking | paused → complete.
 * paused → complete is allowed: the spec's chain reads "walking ⇄ paused → complete", and a
 * journey whose last milestone is reached while paused should not need resuming to close.
 * `complete` is terminal; there is no way back to discovery or plotted.
 */
const JOURNEY_EDGES: Record<JourneyStatus, readonly JourneyStatus[]> = {
  discovery: ["plotted"],
  plotted: ["walking"],
  walking: ["paused", "complete"],
  paused: ["walking", "complete"],
  complete: [],
};

/** True when the status graph has the edge `from → to` (guards are checked separately). */
export function canTransitionJourney(from: JourneyStatus, to: JourneyStatus): boolean {
  return JOURNEY_EDGES[from].includes(to);
}

/** Plotting needs a non-blank north star and 1..MAX_MILESTONES milestones. */
export function canPlot(journey: JourneyShape): boolean {
  const description = journey.northStar?.description.trim() ?? "";
  const count = journey.milestones.length;
  return description.length > 0 && count >= 1 && count <= MAX_MILESTONES;
}

/** Milestones without `reachedAt`. */
export function unreachedMilestones(journey: JourneyShape): number {
  return journey.milestones.filter((m) => m.reachedAt === undefined).length;
}

/** Completion needs at least one milestone, and every one reached. */
export function allMilestonesReached(journey: JourneyShape): boolean {
  return journey.milestones.length > 0 && unreachedMilestones(journey) === 0;
}

/** The full rule for moving `journey` to `to`: the graph edge plus its guard. */
export function canMoveJourney(journey: JourneyShape & { status: JourneyStatus }, to: JourneyStatus): boolean {
  if (!canTransitionJourney(journey.status, to)) return false;
  if (to === "plotted") return canPlot(journey);
  if (to === "complete") return allMilestonesReached(journey);
  return true;
}

// ---------------------------------------------------------------------------------------
// Experiments

const EXPERIMENT_EDGES: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  pending: ["accepted", "completed", "skipped", "expired"],
  accepted: ["completed", "skipped", "expired"],
  completed: [],
  skipped: [],
  expired: [],
};

/** pending and accepted experiments are still open; the others are final. */
export function isExperimentOpen(status: ExperimentStatus): boolean {
  return EXPERIMENT_EDGES[status].length > 0;
}

/**
 * Whether `from → to` is allowed at `now`. From `expiresAt` on (now ≥ expiresAt) only
 * `expired` is accepted, even before the expiry job has run; before it, `expired` is
 * refused (an offer only expires when its local day is over).
 */
export function canTransitionExperiment(
  from: ExperimentStatus,
  to: ExperimentStatus,
  now: number,
  expiresAt: number,
): boolean {
  if (!EXPERIMENT_EDGES[from].includes(to)) return false;
  const dayIsOver = now >= expiresAt;
  return to === "expired" ? dayIsOver : !dayIsOver;
}

/** The status a reader should show: an open experiment past `expiresAt` is expired. */
export function effectiveExperimentStatus(status: ExperimentStatus, now: number, expiresAt: number): ExperimentStatus {
  return isExperimentOpen(status) && now >= expiresAt ? "expired" : status;
}

/** An offer lasts until the user's local midnight after `offeredAt`. */
export function experimentExpiresAt(offeredAt: number, timezone: string): number {
  return nextLocalMidnight(offeredAt, timezone);
}

// ---------------------------------------------------------------------------------------
// Velocity and momentum (the daily job, per walking journey)

/**
 * Completion rate of the local date just closed: completed/offered, clamped to [0, 1]
 * against inconsistent counts. `null` when nothing was offered: the day is skipped.
 */
export function dayRate(completed: number, offered: number): number | null {
  if (offered <= 0) return null;
  return clamp(completed / offered, 0, 1);
}

export interface Velocity {
  velocity: number;
  momentum: number;
}

/** One daily step; a skipped day (`dayRate` null) leaves both numbers unchanged. */
export function updateVelocity(velocity: number, momentum: number, rate: number | null): Velocity {
  if (rate === null) return { velocity, momentum };
  const nextVelocity = VELOCITY_DECAY * velocity + VELOCITY_GAIN * rate;
  const nextMomentum = Math.min(MAX_MOMENTUM, MOMENTUM_DECAY * momentum + nextVelocity);
  return { velocity: nextVelocity, momentum: nextMomentum };
}
