// Fixtures for the trajectory tests (journeys, experiments, LifeStates, jobs): rows written
// straight into the in-memory backend so each test states only what differs, plus helpers
// to run a job to the end and to compare the database before and after.
import { vi } from "vitest";
import { DAY } from "../../src/time";
import type { Doc, Id, TableNames } from "../../convex/_generated/dataModel";
import type { Backend } from "../setup";

export { DAY };

type NewDoc<T extends TableNames> = Omit<Doc<T>, "_id" | "_creationTime">;

/** A walking, health-only journey with three unreached milestones, started at `startedAt`. */
export function journeyDoc(
  userId: Id<"users">,
  fields: Partial<NewDoc<"journeys">> & { startedAt?: number } = {},
): NewDoc<"journeys"> {
  const startedAt = fields.startedAt ?? Date.UTC(2026, 0, 1);
  return {
    userId,
    status: "walking",
    northStar: { description: "Run a marathon", successCriteria: "Finish in under 4 hours", timeframe: "1_year" },
    domainWeights: { health: 1, wealth: 0, relationships: 0, purpose: 0, soul: 0 },
    milestones: [
      { id: "m1", title: "Run 5 km" },
      { id: "m2", title: "Run 10 km" },
      { id: "m3", title: "Run a half marathon" },
    ],
    velocity: 0,
    momentum: 0,
    createdAt: startedAt,
    plottedAt: startedAt,
    startedAt,
    ...fields,
  };
}

export async function insertJourney(
  t: Backend,
  userId: Id<"users">,
  fields: Partial<NewDoc<"journeys">> = {},
): Promise<Id<"journeys">> {
  return await t.run(async (ctx) => await ctx.db.insert("journeys", journeyDoc(userId, fields)));
}

/** An experiment offered at `offeredAt` on `offeredDate`, expiring at `expiresAt`. */
export function experimentDoc(
  userId: Id<"users">,
  journeyId: Id<"journeys">,
  fields: Pick<NewDoc<"experiments">, "offeredAt" | "offeredDate" | "expiresAt"> & Partial<NewDoc<"experiments">>,
): NewDoc<"experiments"> {
  return {
    userId,
    journeyId,
    milestoneId: "m1",
    when: "after my morning coffee",
    will: "put on my running shoes",
    at: "by the front door",
    starIds: [],
    status: "pending",
    ...fields,
  };
}

/** A user row (not through Clerk, so without its state documents): fast seeding for the jobs' scale tests. */
export function plainUserDoc(clerkId: string, fields: Partial<NewDoc<"users">> = {}): NewDoc<"users"> {
  return {
    clerkId,
    email: `${clerkId}@example.com`,
    createdAt: 0,
    currentPhase: "walk",
    mirrorDay: 7,
    tier: "free",
    timezone: "UTC",
    dailyCapacityMinutes: 60,
    clerkUpdatedAt: 0,
    ...fields,
  };
}

export async function userRow(t: Backend, userId: Id<"users">): Promise<Doc<"users">> {
  const user = await t.run(async (ctx) => await ctx.db.get("users", userId));
  if (user === null) throw new Error(`user ${userId} is gone`);
  return user;
}

export async function journeyRow(t: Backend, id: Id<"journeys">): Promise<Doc<"journeys">> {
  const journey = await t.run(async (ctx) => await ctx.db.get("journeys", id));
  if (journey === null) throw new Error(`journey ${id} is gone`);
  return journey;
}

export async function experimentRow(t: Backend, id: Id<"experiments">): Promise<Doc<"experiments">> {
  const experiment = await t.run(async (ctx) => await ctx.db.get("experiments", id));
  if (experiment === null) throw new Error(`experiment ${id} is gone`);
  return experiment;
}

/** Every row of a table (test-only scan). */
export async function rows<T extends TableNames>(t: Backend, table: T): Promise<Doc<T>[]> {
  return await t.run(async (ctx) => await ctx.db.query(table).collect());
}

/** The tables a job may touch, as plain data, to compare before and after a run. */
export async function dump(t: Backend, tables: readonly TableNames[]) {
  return await t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of tables) out[table] = await ctx.db.query(table).collect();
    return out;
  });
}

/** Scheduled functions by name and final state, e.g. { "jobs:dailyRolloverUsers": { success: 3 } }. */
export async function jobStates(t: Backend): Promise<Record<string, Record<string, number>>> {
  const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
  const states: Record<string, Record<string, number>> = {};
  for (const job of jobs) {
    states[job.name] ??= {};
    states[job.name][job.state.kind] = (states[job.name][job.state.kind] ?? 0) + 1;
  }
  return states;
}

/**
 * Starts a job at the fake clock `now` (`start` calls the cron's target: crons do not run
 * under convex-test) and runs every job it schedules, to the end.
 */
export async function runJob(t: Backend, now: number, start: () => Promise<unknown>) {
  vi.useFakeTimers();
  vi.setSystemTime(now);
  await start();
  // Only what is due now: runAllTimers would also fire future jobs (an offer's midnight).
  await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0), 10_000);
  vi.useRealTimers();
}
