// The stuck-work sweeper (docs/pipeline.md "Nothing stuck"): attempts whose action died
// (simulated: a scheduled function that never ran, or one that failed) are found past their
// deadline and recovered by the pipeline's own rules; healthy attempts are left alone; two
// sweeps recover once. Crons do not run under convex-test: the tests call the driver.
// Timers are fake while attempts are killed and swept, so no scheduled attempt runs on its
// own; the model is only called with real timers (see tests/convex/pipeline.test.ts why).
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { ATTEMPT_GRACE_MS } from "../../convex/model/attempts";
import { reserveOffer, scheduleGeneration } from "../../convex/model/experiments";
import { scheduleExtraction } from "../../convex/model/extraction";
import { ATTEMPT_LOST } from "../../convex/model/sweeper";
import { MINUTE } from "../../src/time";
import { newBackend, type Backend } from "../setup";
import { insertJourney } from "../support/trajectory";
import {
  messageDoc,
  pendingMessage,
  repliesTo,
  replyAnswer,
  scheduledJobs,
  settle,
  startChat,
  useLoopbackModel,
} from "../support/turns";

const loopback = useLoopbackModel();
afterEach(() => {
  vi.useRealTimers();
});

/** Back to real timers; the pending attempt jobs are canceled, to be run by hand. */
async function realTimersWithoutPendingAttempts(t: Backend) {
  vi.useRealTimers();
  for (const job of await pendingJobs(t)) await t.run(async (ctx) => await ctx.scheduler.cancel(job._id));
}

async function attemptRows(t: Backend): Promise<Doc<"attemptJobs">[]> {
  return await t.run(async (ctx) => await ctx.db.query("attemptJobs").collect());
}

async function attemptOfMessage(t: Backend, messageId: Id<"messages">): Promise<Doc<"attemptJobs">> {
  const row = (await attemptRows(t)).find((r) => r.messageId === messageId);
  if (row === undefined) throw new Error("no attempt row");
  return row;
}

/** Kills an attempt before it runs: its scheduled function is canceled (it never runs). */
async function killBeforeRun(t: Backend, row: Doc<"attemptJobs">) {
  await t.run(async (ctx) => await ctx.scheduler.cancel(row.jobId));
}

/**
 * Schedules attempt 1 of a pending message and kills it in the same transaction: the
 * attempt is recorded, its job never runs (real timers would otherwise run it at once).
 */
async function lostFirstAttempt(t: Backend, messageId: Id<"messages">) {
  await t.run(async (ctx) => {
    const message = await ctx.db.get("messages", messageId);
    if (message === null) throw new Error("no message");
    await scheduleExtraction(ctx, message, 1, 0);
    const row = await ctx.db
      .query("attemptJobs")
      .withIndex("by_message", (q) => q.eq("messageId", messageId))
      .unique();
    await ctx.scheduler.cancel(row!.jobId);
  });
}

/**
 * Kills an attempt that ran: its row now points at a scheduled function that failed (a
 * function that throws, standing in for an action that died mid-call).
 */
async function killByFailure(t: Backend, row: Doc<"attemptJobs">) {
  const failedJob = await t.run(async (ctx) => {
    await ctx.scheduler.cancel(row.jobId);
    // An invalid outcome: the mutation's argument validation throws when it runs.
    const outcome = { kind: "no such outcome" } as unknown as { kind: "skipped"; reason: string };
    return await ctx.scheduler.runAfter(0, internal.extraction.finishAttempt, { messageId: row.messageId!, attempt: 1, outcome });
  });
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  const job = (await scheduledJobs(t)).find((j) => j._id === failedJob);
  expect(job?.state.kind).toBe("failed");
  await t.run(async (ctx) => await ctx.db.patch("attemptJobs", row._id, { jobId: failedJob }));
}

async function pendingJobs(t: Backend) {
  return (await scheduledJobs(t)).filter((job) => job.state.kind === "pending");
}

/**
 * One sweep at `now`: the driver, then the batches it fanned out (run here by hand, so the
 * attempts the sweep schedules stay pending for the test to inspect).
 */
async function sweep(t: Backend, now: number) {
  await t.mutation(internal.sweeper.sweepStuck, { now });
  for (;;) {
    const batches = (await scheduledJobs(t)).filter(
      (job) => job.state.kind === "pending" && (job.name === "sweeper:sweepBatch" || job.name === "sweeper:sweepStuck"),
    );
    if (batches.length === 0) return;
    for (const job of batches) {
      await t.run(async (ctx) => await ctx.scheduler.cancel(job._id));
      const args = job.args[0] as never;
      if (job.name === "sweeper:sweepBatch") await t.mutation(internal.sweeper.sweepBatch, args);
      else await t.mutation(internal.sweeper.sweepStuck, args);
    }
  }
}

describe("the stuck-work sweeper", () => {
  it("recovers a message whose attempt never ran, leaves a healthy in-flight one alone, and twice is once", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    process.env.EXTRACTION_BACKOFF_JITTER = "1"; // retries wait their full backoff: 1 s, then 4 s
    const { userId, conversationId } = await startChat(t);
    const lost = await pendingMessage(t, userId, conversationId);
    await lostFirstAttempt(t, lost);
    // The healthy one waits out a backoff: its job is pending for a minute.
    const healthy = await pendingMessage(t, userId, conversationId);
    await t.run(async (ctx) => await scheduleExtraction(ctx, (await ctx.db.get("messages", healthy))!, 1, 60_000));
    const lostRow = await attemptOfMessage(t, lost);
    const healthyRow = await attemptOfMessage(t, healthy);
    expect(lostRow).toMatchObject({ kind: "turn", userId, attempt: 1 });
    // The deadline: due + the call's deadline (OPENAI_TIMEOUT_MS = 5 s here) + the grace.
    expect(lostRow.deadlineAt - lostRow._creationTime).toBeGreaterThanOrEqual(5_000 + ATTEMPT_GRACE_MS - 5);
    expect(lostRow.deadlineAt - lostRow._creationTime).toBeLessThanOrEqual(5_000 + ATTEMPT_GRACE_MS + 50);
    expect(healthyRow.deadlineAt - healthyRow._creationTime).toBeGreaterThanOrEqual(60_000 + 5_000 + ATTEMPT_GRACE_MS - 5);

    // Before the deadline nothing happens, even to the dead attempt.
    await sweep(t, Date.now());
    expect((await messageDoc(t, lost)).extraction).toMatchObject({ status: "pending", attempts: 0 });

    // Past both deadlines: the lost attempt is a failed attempt 1 and attempt 2 is scheduled
    // after the backoff; the healthy one (its job pending) is untouched. Twice is once.
    const later = Date.now() + 10 * MINUTE;
    const healthyBefore = await messageDoc(t, healthy);
    await sweep(t, later);
    await sweep(t, later);
    expect((await messageDoc(t, lost)).extraction).toMatchObject({ status: "pending", attempts: 1, reason: ATTEMPT_LOST });
    expect(await messageDoc(t, healthy)).toEqual(healthyBefore);
    expect(await attemptOfMessage(t, healthy)).toEqual(healthyRow);
    const byMessage = (await pendingJobs(t)).map((job) => job.args[0]);
    expect(byMessage).toHaveLength(2);
    expect(byMessage).toEqual(expect.arrayContaining([{ messageId: healthy, attempt: 1 }, { messageId: lost, attempt: 2 }]));

    // The recovered attempt runs and answers: one reply.
    await realTimersWithoutPendingAttempts(t);
    loopback.server().enqueue(replyAnswer("found you"));
    await t.action(internal.extraction.run, { messageId: lost, attempt: 2 });
    expect((await messageDoc(t, lost)).extraction).toMatchObject({ status: "done", attempts: 2 });
    expect((await repliesTo(t, lost)).map((reply) => reply.content)).toEqual(["found you"]);
    expect(loopback.server().requests).toHaveLength(1);
    expect((await attemptRows(t)).map((row) => row.messageId)).toEqual([healthy]);
  });

  it("a failed scheduled function (the action died mid-call) is recovered; after the last attempt: failed", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    process.env.EXTRACTION_BACKOFF_JITTER = "1";
    const { as, userId, conversationId } = await startChat(t);
    const messageId = await pendingMessage(t, userId, conversationId);
    await lostFirstAttempt(t, messageId);
    await killByFailure(t, await attemptOfMessage(t, messageId));
    await sweep(t, Date.now() + 10 * MINUTE);
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "pending", attempts: 1, reason: ATTEMPT_LOST });

    // Attempts 2 and 3 die too (killed during their backoff): the third loss is final.
    for (const attempt of [2, 3]) {
      const row = await attemptOfMessage(t, messageId);
      expect(row.attempt).toBe(attempt);
      await killBeforeRun(t, row);
      await sweep(t, Date.now() + 10 * MINUTE);
    }
    expect((await messageDoc(t, messageId)).extraction).toMatchObject({ status: "failed", attempts: 3, reason: ATTEMPT_LOST });
    expect(await pendingJobs(t)).toEqual([]);
    expect(await attemptRows(t)).toEqual([]);
    expect(await repliesTo(t, messageId)).toEqual([]);

    // The user can still retry it.
    await as.mutation(api.messages.retry, { messageId });
    await realTimersWithoutPendingAttempts(t);
    loopback.server().enqueue(replyAnswer("at last"));
    await t.action(internal.extraction.run, { messageId, attempt: 1 });
    expect((await repliesTo(t, messageId)).map((reply) => reply.content)).toEqual(["at last"]);
    expect(await attemptRows(t)).toEqual([]);
  });

  it("a row left behind for a message answered meanwhile only loses its row", async () => {
    const t = newBackend();
    const { as, conversationId } = await startChat(t);
    loopback.server().enqueue(replyAnswer("answered"));
    const messageId = await as.mutation(api.messages.send, { conversationId, content: "hello" });
    const row = await attemptOfMessage(t, messageId);
    await settle(t);
    expect(await attemptRows(t)).toEqual([]);
    // Put back as if a write had been lost: it points at a job that finished.
    await t.run(async (ctx) => {
      const { _id, _creationTime, ...fields } = row;
      void [_id, _creationTime];
      await ctx.db.insert("attemptJobs", fields);
    });
    const before = await messageDoc(t, messageId);
    await sweep(t, Date.now() + 10 * MINUTE);
    expect(await messageDoc(t, messageId)).toEqual(before);
    expect(await attemptRows(t)).toEqual([]);
  });

  it("an experiment stuck in generation: the next attempt, then after the last the date is given back", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    process.env.EXTRACTION_BACKOFF_JITTER = "1";
    const { as, userId } = await startChat(t);
    const journeyId = await insertJourney(t, userId);
    // offerToday's own transaction, with attempt 1 killed before it runs.
    await t.run(async (ctx) => {
      const user = (await ctx.db.get("users", userId))!;
      const journey = (await ctx.db.get("journeys", journeyId))!;
      const offeredDate = await reserveOffer(ctx, user, journey, Date.now());
      await scheduleGeneration(ctx, { journeyId, offeredAt: Date.now(), offeredDate }, 1, 0);
      const [job] = await ctx.db.system.query("_scheduled_functions").collect();
      await ctx.scheduler.cancel(job._id);
    });
    expect(await as.query(api.experiments.today, { journeyId })).toMatchObject({ generating: true });
    for (const attempt of [1, 2, 3]) {
      const row = (await attemptRows(t)).find((r) => r.journeyId === journeyId);
      expect(row).toMatchObject({ kind: "experiment", userId, attempt });
      await killBeforeRun(t, row!);
      await sweep(t, Date.now() + 10 * MINUTE);
      expect((await as.query(api.experiments.today, { journeyId })).generating).toBe(attempt < 3);
    }
    expect(await attemptRows(t)).toEqual([]);
    expect(loopback.server().requests).toEqual([]);

    // The date is free again: a new offer is generated and stored.
    vi.useRealTimers();
    loopback.server().enqueue({
      json: { when: "After lunch", will: "walk for ten minutes", at: "around the block", rationale: "Small.", starIds: [] },
    });
    await as.mutation(api.experiments.offerToday, { journeyId });
    // Not settle: the stored offer's expiry job waits for local midnight.
    const until = Date.now() + 10_000;
    while ((await as.query(api.experiments.today, { journeyId })).generating && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await as.query(api.experiments.today, { journeyId })).toMatchObject({
      generating: false,
      experiment: { will: "walk for ten minutes" },
    });
    expect(await attemptRows(t)).toEqual([]);
  });
});
