// The only writer of `journeys` (MECHANICS §6): creation, milestones, the status machine
// and the daily velocity/momentum step. The rules are pure (src/mechanics/journeys.ts);
// this file loads, checks ownership, and writes. Plotting also moves the user's phase
// (MECHANICS §8, src/mechanics/phases.ts).
//
// Plotting is automatic: the milestone that gives a discovery journey its first milestone
// plots it in the same transaction (the north star is validated at creation, so canPlot
// holds). There is no separate "plot" call for a client to forget.
import { DOMAINS, type Domain, type JourneyStatus, type Timeframe } from "../../src/domain";
import { milestoneReachedDeltas } from "../../src/mechanics/growth";
import {
  MAX_MILESTONES,
  allMilestonesReached,
  canMoveJourney,
  dayRate,
  updateVelocity,
} from "../../src/mechanics/journeys";
import { canTransitionPhase, phaseAfterJourneyPlotted } from "../../src/mechanics/phases";
import { addDays, localDate, type LocalDate } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, invalidArgument, invalidTransition, notFound } from "../errors";
import type { DomainWeights, Milestone } from "../validators";
import { userText } from "./clientInput";
import { growthEventsFor, recordGrowth } from "./growth";

/**
 * Journeys not yet complete a user may hold at once (CONFLICT beyond). Keeps every per-user
 * read of walking journeys (the LifeState, the daily velocity step) small by construction.
 */
export const MAX_OPEN_JOURNEYS = 10;
const OPEN_STATUSES: readonly JourneyStatus[] = ["discovery", "plotted", "walking", "paused"];

/**
 * Local dates one velocity step covers at most: after a longer gap (the job down for more
 * than a month), only the last 31 dates count; older days are treated as days without an
 * offer (skipped, which leaves velocity and momentum unchanged).
 */
export const MAX_VELOCITY_CATCH_UP = 31;

// ---------------------------------------------------------------------------------------
// Validation

/** Domain weights: each finite and ≥ 0, not all zero (a journey needs a direction). */
export function validDomainWeights(weights: DomainWeights): DomainWeights {
  for (const domain of DOMAINS) {
    const w = weights[domain];
    if (!Number.isFinite(w) || w < 0) {
      throw invalidArgument(`domainWeights.${domain} must be a finite number >= 0, got ${w}`);
    }
  }
  if (DOMAINS.every((domain) => weights[domain] === 0)) {
    throw invalidArgument("domainWeights must not all be 0");
  }
  return { ...weights };
}

/**
 * The domain a journey pulls toward most (ties: the first in DOMAINS order). Growth that a
 * journey's own events write (milestones, experiments) is stamped with it, so the LifeState
 * alignment sees that effort as aligned with the journey.
 */
export function dominantDomain(weights: DomainWeights): Domain {
  return DOMAINS.reduce((best, domain) => (weights[domain] > weights[best] ? domain : best), DOMAINS[0]);
}

// ---------------------------------------------------------------------------------------
// Reads

/** The user's walking journeys (at most MAX_OPEN_JOURNEYS by construction). */
export async function walkingJourneys(ctx: QueryCtx, userId: Id<"users">): Promise<Doc<"journeys">[]> {
  return await ctx.db
    .query("journeys")
    .withIndex("by_user_status", (q) => q.eq("userId", userId).eq("status", "walking"))
    .take(MAX_OPEN_JOURNEYS);
}

async function openJourneyCount(ctx: QueryCtx, userId: Id<"users">): Promise<number> {
  const counts = await Promise.all(
    OPEN_STATUSES.map(
      async (status) =>
        (
          await ctx.db
            .query("journeys")
            .withIndex("by_user_status", (q) => q.eq("userId", userId).eq("status", status))
            .take(MAX_OPEN_JOURNEYS)
        ).length,
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** The milestone being worked on: the first unreached one, in plotting order. */
export function activeMilestone(journey: Pick<Doc<"journeys">, "milestones">): Milestone | null {
  return journey.milestones.find((m) => m.reachedAt === undefined) ?? null;
}

// ---------------------------------------------------------------------------------------
// Writes

export type NorthStarInput = { description: string; successCriteria: string; timeframe: Timeframe };

/** A new journey in `discovery`: a north star and a direction, no milestones yet. */
export async function createJourney(
  ctx: MutationCtx,
  user: Doc<"users">,
  input: { northStar: NorthStarInput; domainWeights: DomainWeights },
  now: number,
): Promise<Id<"journeys">> {
  const northStar = {
    description: userText("northStar.description", "northStarDescription", input.northStar.description, {
      required: true,
    }),
    successCriteria: userText("northStar.successCriteria", "successCriteria", input.northStar.successCriteria, {
      required: false,
    }),
    timeframe: input.northStar.timeframe,
  };
  const domainWeights = validDomainWeights(input.domainWeights);
  if ((await openJourneyCount(ctx, user._id)) >= MAX_OPEN_JOURNEYS) {
    throw appError("CONFLICT", `at most ${MAX_OPEN_JOURNEYS} journeys can be open at once; complete one first`);
  }
  return await ctx.db.insert("journeys", {
    userId: user._id,
    status: "discovery",
    northStar,
    domainWeights,
    milestones: [],
    velocity: 0,
    momentum: 0,
    createdAt: now,
  });
}

/** MECHANICS §8: plotting moves a birth_chart user to walk; other phases stay where they are. */
async function advancePhaseOnPlot(ctx: MutationCtx, user: Doc<"users">): Promise<void> {
  const next = phaseAfterJourneyPlotted(user.currentPhase);
  if (next !== null && canTransitionPhase(user.currentPhase, next)) {
    await ctx.db.patch("users", user._id, { currentPhase: next });
  }
}

/**
 * Appends a milestone (ids `m1`, `m2`, ... in order: milestones are never removed, so ids
 * stay unique). The first milestone of a discovery journey plots it. A complete journey
 * takes no more milestones (INVALID_TRANSITION), a full one neither (CONFLICT).
 */
export async function addMilestone(
  ctx: MutationCtx,
  user: Doc<"users">,
  journey: Doc<"journeys">,
  input: { title: string; description?: string },
  now: number,
): Promise<{ milestoneId: string; status: JourneyStatus }> {
  const title = userText("title", "milestoneTitle", input.title, { required: true });
  const description =
    input.description === undefined
      ? undefined
      : userText("description", "milestoneDescription", input.description, { required: false }) || undefined;
  if (journey.status === "complete") throw invalidTransition("a complete journey takes no more milestones");
  if (journey.milestones.length >= MAX_MILESTONES) {
    throw appError("CONFLICT", `a journey holds at most ${MAX_MILESTONES} milestones`);
  }
  const milestoneId = `m${journey.milestones.length + 1}`;
  const milestones = [...journey.milestones, { id: milestoneId, title, description }];
  const plots = journey.status === "discovery" && canMoveJourney({ ...journey, milestones }, "plotted");
  await ctx.db.patch("journeys", journey._id, plots ? { milestones, status: "plotted", plottedAt: now } : { milestones });
  if (plots) await advancePhaseOnPlot(ctx, user);
  return { milestoneId, status: plots ? "plotted" : journey.status };
}

/** The user's moves on the status machine: each one edge of it. */
const MOVES = {
  start: { from: "plotted", to: "walking" },
  pause: { from: "walking", to: "paused" },
  resume: { from: "paused", to: "walking" },
} as const satisfies Record<string, { from: JourneyStatus; to: JourneyStatus }>;
export type JourneyMove = keyof typeof MOVES;

/**
 * start (plotted → walking), pause (walking → paused), resume (paused → walking); anything
 * else is INVALID_TRANSITION. Starting stamps `startedAt` (the LifeState aligns with the
 * walking journey started most recently) and, like plotting, moves a birth_chart user to
 * walk: their journey is plotted.
 */
export async function moveJourney(
  ctx: MutationCtx,
  user: Doc<"users">,
  journey: Doc<"journeys">,
  move: JourneyMove,
  now: number,
): Promise<void> {
  const { from, to } = MOVES[move];
  if (journey.status !== from || !canMoveJourney(journey, to)) {
    throw invalidTransition(`cannot ${move} a ${journey.status} journey`);
  }
  await ctx.db.patch("journeys", journey._id, move === "start" ? { status: to, startedAt: now } : { status: to });
  if (move === "start") await advancePhaseOnPlot(ctx, user);
}

/**
 * Marks a milestone reached (walking or paused journeys only), writes the milestone growth
 * (world_show, stamped with the journey's dominant domain), and completes the journey when
 * it was the last one. A milestone reached twice is INVALID_TRANSITION; an unknown id NOT_FOUND.
 */
export async function reachMilestone(
  ctx: MutationCtx,
  journey: Doc<"journeys">,
  milestoneId: string,
  now: number,
): Promise<{ status: JourneyStatus }> {
  const index = journey.milestones.findIndex((m) => m.id === milestoneId);
  if (index === -1) throw notFound("milestone");
  if (journey.status !== "walking" && journey.status !== "paused") {
    throw invalidTransition(`milestones are reached on a walking or paused journey, not a ${journey.status} one`);
  }
  if (journey.milestones[index].reachedAt !== undefined) throw invalidTransition("this milestone is already reached");
  const milestones = journey.milestones.map((m, i) => (i === index ? { ...m, reachedAt: now } : m));
  const completes = allMilestonesReached({ milestones }) && canMoveJourney({ ...journey, milestones }, "complete");
  await ctx.db.patch(
    "journeys",
    journey._id,
    completes ? { milestones, status: "complete", completedAt: now } : { milestones },
  );
  await recordGrowth(
    ctx,
    journey.userId,
    growthEventsFor("journey", journey._id, milestoneReachedDeltas(), dominantDomain(journey.domainWeights)),
    now,
  );
  return { status: completes ? "complete" : journey.status };
}

// ---------------------------------------------------------------------------------------
// Daily job: velocity and momentum (convex/jobs.ts calls this per walking journey)

/**
 * The first local date the journey's next velocity step covers, up to `closedDate` (the
 * user's date that just ended), or null when the step for `closedDate` is done already.
 * A journey never stepped starts at the date it started; the window is at most
 * MAX_VELOCITY_CATCH_UP dates.
 */
export function velocityWindowStart(
  journey: Doc<"journeys">,
  closedDate: LocalDate,
  timezone: string,
): LocalDate | null {
  const after = journey.lastVelocityDate;
  if (after !== undefined && after >= closedDate) return null;
  const first = after !== undefined ? addDays(after, 1) : localDate(journey.startedAt ?? journey.createdAt, timezone);
  const floor = addDays(closedDate, 1 - MAX_VELOCITY_CATCH_UP);
  return first > floor ? first : floor;
}

/**
 * Applies the velocity step for every local date from `from` to `closedDate`, oldest
 * first, from the journey's offers among `offers` (the caller reads the user's recent
 * offers once for all journeys and the LifeState). Days without an offer are skipped by the
 * formula (dayRate null). Idempotent: `lastVelocityDate` moves to `closedDate`, so a second
 * run finds nothing due (velocityWindowStart null).
 */
export async function updateJourneyVelocity(
  ctx: MutationCtx,
  journey: Doc<"journeys">,
  from: LocalDate,
  closedDate: LocalDate,
  offers: readonly Doc<"experiments">[],
): Promise<void> {
  const byDate = new Map<LocalDate, { offered: number; completed: number }>();
  for (const offer of offers) {
    if (offer.journeyId !== journey._id || offer.offeredDate < from || offer.offeredDate > closedDate) continue;
    const day = byDate.get(offer.offeredDate) ?? { offered: 0, completed: 0 };
    day.offered += 1;
    if (offer.status === "completed") day.completed += 1;
    byDate.set(offer.offeredDate, day);
  }
  let { velocity, momentum } = journey;
  const oldestFirst = [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [, day] of oldestFirst) {
    ({ velocity, momentum } = updateVelocity(velocity, momentum, dayRate(day.completed, day.offered)));
  }
  await ctx.db.patch("journeys", journey._id, { velocity, momentum, lastVelocityDate: closedDate });
}
