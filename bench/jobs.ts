// Measuring a job's whole per-user cost. Jobs reschedule themselves with a cursor
// (`scheduler.runAfter(0, self, { cursor })`) when a user's work does not fit one
// transaction, so one transaction is not the cost. The bench world holds every timer
// (clock.ts `holdAllTimers`), so a continuation stays pending in `_scheduled_functions`:
// we read its arguments, cancel the held run, call it ourselves measured, and repeat.
import { makeFunctionReference } from "convex/server";
import type { Backend } from "../demo/backend";
import { measureMutation, sumMetrics, type OpMetrics } from "./measure";

export type JobCost = OpMetrics & { transactions: number };

/** Safety stop: a job that keeps rescheduling itself this often is a bug, not a cost. */
const MAX_TRANSACTIONS = 1_000;

/** The first pending run of one of `udfPaths` whose argument `belongs` to the job measured. */
async function takeContinuation(
  t: Backend,
  udfPaths: readonly string[],
  belongs: (args: Record<string, unknown>) => boolean,
): Promise<{ udfPath: string; args: Record<string, unknown> } | null> {
  return await t.run(async (ctx) => {
    // Bench-side read of a system table; it holds only this world's scheduled runs.
    const pending = (await ctx.db.system.query("_scheduled_functions").collect()).filter(
      (job) => job.state.kind === "pending" && udfPaths.includes(job.name) && belongs(job.args[0] as Record<string, unknown>),
    );
    const next = pending[0];
    if (next === undefined) return null;
    await ctx.scheduler.cancel(next._id);
    return { udfPath: next.name, args: next.args[0] as Record<string, unknown> };
  });
}

/** Cancels every pending run (fan-out from an earlier measurement must not leak into the next). */
export async function cancelPending(t: Backend): Promise<void> {
  await t.run(async (ctx) => {
    const pending = (await ctx.db.system.query("_scheduled_functions").collect()).filter((job) => job.state.kind === "pending");
    for (const job of pending) await ctx.scheduler.cancel(job._id);
  });
}

export type JobSpec = {
  /** The job's entry point, e.g. "decay:user" (module:function, as the scheduler names it). */
  udfPath: string;
  args: Record<string, unknown>;
  /** Functions the job hands its remaining work to (itself included when it pages). */
  follow: readonly string[];
  /** Whether a scheduled run's argument is this job's work (e.g. the same user). */
  belongs: (args: Record<string, unknown>) => boolean;
};

/** Runs the job and every continuation it schedules (see `follow`), summing their cost. */
export async function measureJob(t: Backend, spec: JobSpec): Promise<JobCost> {
  await cancelPending(t);
  const all: OpMetrics[] = [];
  let next: { udfPath: string; args: Record<string, unknown> } | null = { udfPath: spec.udfPath, args: spec.args };
  while (next !== null) {
    if (all.length >= MAX_TRANSACTIONS) throw new Error(`${spec.udfPath} rescheduled work ${MAX_TRANSACTIONS} times`);
    // Internal mutations by name: the scheduler stored exactly these names and arguments.
    const reference = makeFunctionReference<"mutation">(next.udfPath);
    const { metrics } = await measureMutation(t, reference, next.args);
    all.push(metrics);
    next = await takeContinuation(t, spec.follow, spec.belongs);
  }
  return { ...sumMetrics(all), transactions: all.length };
}
