// The trajectory's scheduled jobs (convex/jobs.ts) on the in-memory backend under Convex's
// real transaction limits. Crons do not run under convex-test, so each test calls the
// cron's target with an explicit `now` and runs what it schedules to the end. Covered: the
// daily rollover (snapshot, velocity and momentum over a scripted week, catch-up), the
// expiry sweep, pruning over 400 simulated days (and nightly pruning reading only what crossed
// a tier line, the same at 1,000 and 3,000 snapshots), conversation archival, a second run the
// same day changing nothing, and each job on 2,000 users.
import { afterEach, describe, expect, it, vi } from "vitest";
import { internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { TRANSACTION_BUDGET } from "../../convex/model/batching";
import { MESSAGES_PER_STEP } from "../../convex/model/retention";
import { snapshotsToKeep, type SnapshotRow } from "../../src/mechanics/retention";
import { addDays, localDate, nextLocalMidnight, startOfLocalDate } from "../../src/time";
import { createUser, newBackend, type Backend } from "../setup";
import { insertStars, star } from "../support/constellation";
import {
  DAY,
  dump,
  experimentDoc,
  insertJourney,
  jobStates,
  journeyDoc,
  journeyRow,
  plainUserDoc,
  rows,
  runJob,
} from "../support/trajectory";
import { patchSchedule, scheduleRow } from "../support/userState";

afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The rollover's cron minute on a local date: 00:23 local. */
function rolloverAt(date: string, timezone: string): number {
  return startOfLocalDate(date, timezone) + 23 * MINUTE;
}

async function rollover(t: Backend, now: number) {
  await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
}

describe("daily rollover", () => {
  it("snapshots each due user once per local date and moves nextDailyAt to the next midnight", async () => {
    const t = newBackend();
    const tz = "Asia/Kolkata";
    const due = await createUser(t, { timezone: tz });
    const notDue = await createUser(t, { timezone: tz });
    const leaving = await createUser(t, { timezone: tz });
    const now = rolloverAt("2026-07-15", tz);
    await t.run(async (ctx) => {
      await patchSchedule(ctx, due.userId, { nextDailyAt: startOfLocalDate("2026-07-15", tz) });
      await patchSchedule(ctx, notDue.userId, { nextDailyAt: startOfLocalDate("2026-07-16", tz) });
      await patchSchedule(ctx, leaving.userId, { nextDailyAt: startOfLocalDate("2026-07-15", tz) });
      await ctx.db.patch("users", leaving.userId, { deletionRequestedAt: now - DAY });
    });
    await rollover(t, now);

    const snapshots = await rows(t, "lifeStates");
    expect(snapshots.map((s) => [s.userId, s.timestamp, s.localDate, s.source])).toEqual([
      [due.userId, now, "2026-07-15", "daily"],
    ]);
    expect(await scheduleRow(t, due.userId)).toMatchObject({
      lastDailyDate: "2026-07-15",
      nextDailyAt: startOfLocalDate("2026-07-16", tz),
    });
    // An account pending deletion only moves on; nobody else is touched.
    expect(await scheduleRow(t, leaving.userId)).toMatchObject({ nextDailyAt: nextLocalMidnight(now, tz) });
    expect((await scheduleRow(t, leaving.userId)).lastDailyDate).toBeUndefined();
    expect((await scheduleRow(t, notDue.userId)).lastDailyDate).toBeUndefined();

    // A second run the same day (an hour later) changes nothing.
    const before = await dump(t, ["users", "dailySchedules", "lifeStates", "journeys"]);
    await rollover(t, now + HOUR);
    expect(await dump(t, ["users", "dailySchedules", "lifeStates", "journeys"])).toEqual(before);

    // Due again the same local date (a timezone change resets nextDailyAt): no second snapshot.
    await t.run(async (ctx) => await patchSchedule(ctx, due.userId, { nextDailyAt: now }));
    await rollover(t, now + 2 * HOUR);
    expect(await rows(t, "lifeStates")).toHaveLength(1);
    expect((await scheduleRow(t, due.userId)).nextDailyAt).toBe(startOfLocalDate("2026-07-16", tz));
  });

  it("moves velocity and momentum over a scripted week (rates 1, 0, skip, 1, 1, 0, 1)", async () => {
    const t = newBackend();
    const tz = "Europe/Berlin";
    const { userId } = await createUser(t, { timezone: tz });
    const dates = ["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29"];
    // 03-29 is the day Berlin moves to summer time (23 hours).
    const outcomes: (Doc<"experiments">["status"] | null)[] = [
      "completed",
      "skipped",
      null, // no offer: the day is skipped
      "completed",
      "completed",
      "expired",
      "completed",
    ];
    const journeyId = await insertJourney(t, userId, { startedAt: startOfLocalDate(dates[0], tz) });
    await t.run(async (ctx) => {
      await patchSchedule(ctx, userId, { nextDailyAt: startOfLocalDate("2026-03-24", tz) });
      for (const [i, date] of dates.entries()) {
        const status = outcomes[i];
        if (status === null) continue;
        const offeredAt = startOfLocalDate(date, tz) + 8 * HOUR;
        const expiresAt = nextLocalMidnight(offeredAt, tz);
        await ctx.db.insert("experiments", experimentDoc(userId, journeyId, { offeredAt, offeredDate: date, expiresAt, status }));
      }
    });
    // Hand-computed: v' = 0.7v + 0.3r, m' = min(10, 0.9m + v').
    const expected = [
      [0.3, 0.3],
      [0.21, 0.48],
      [0.21, 0.48],
      [0.447, 0.879],
      [0.6129, 1.404],
      [0.42903, 1.69263],
      [0.600321, 2.123688],
    ];
    for (const [i, date] of dates.entries()) {
      const next = new Date(Date.parse(`${date}T12:00:00Z`) + DAY).toISOString().slice(0, 10);
      await rollover(t, rolloverAt(next, tz));
      const journey = await journeyRow(t, journeyId);
      expect([journey.velocity, journey.momentum, journey.lastVelocityDate], date).toEqual([
        expect.closeTo(expected[i][0], 12),
        expect.closeTo(expected[i][1], 12),
        date,
      ]);
    }
    expect((await rows(t, "lifeStates")).map((s) => s.localDate)).toEqual([
      "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30",
    ]);
  });

  it("catches up missed days in date order, as daily runs would", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const journeyId = await insertJourney(t, userId, { lastVelocityDate: "2026-04-30", velocity: 0.5, momentum: 2 });
    await t.run(async (ctx) => {
      await patchSchedule(ctx, userId, { nextDailyAt: Date.UTC(2026, 4, 1) });
      const offer = (day: number, status: Doc<"experiments">["status"]) =>
        experimentDoc(userId, journeyId, {
          offeredAt: Date.UTC(2026, 4, day, 9),
          offeredDate: `2026-05-0${day}`,
          expiresAt: Date.UTC(2026, 4, day + 1),
          status,
        });
      await ctx.db.insert("experiments", offer(1, "completed"));
      await ctx.db.insert("experiments", offer(3, "expired"));
      await ctx.db.insert("experiments", offer(4, "completed")); // today: not closed yet
    });
    await rollover(t, Date.UTC(2026, 4, 4, 0, 23));
    // 05-01 rate 1: v = 0.65, m = 2.45; 05-02 skipped; 05-03 rate 0: v = 0.455, m = 2.66.
    const journey = await journeyRow(t, journeyId);
    expect(journey.velocity).toBeCloseTo(0.455, 12);
    expect(journey.momentum).toBeCloseTo(0.9 * (0.9 * 2 + 0.65) + 0.455, 12);
    expect(journey.lastVelocityDate).toBe("2026-05-03");
  });
});

describe("experiment expiry sweep", () => {
  it("expires open offers past their midnight and nothing else; a second run changes nothing", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const journeyId = await insertJourney(t, userId);
    const now = Date.UTC(2026, 8, 2, 0, 41);
    const ids = await t.run(async (ctx) => {
      const at = (status: Doc<"experiments">["status"], expiresAt: number) =>
        ctx.db.insert(
          "experiments",
          experimentDoc(userId, journeyId, { offeredAt: expiresAt - 10 * HOUR, offeredDate: "2026-09-01", expiresAt, status }),
        );
      return {
        pending: await at("pending", Date.UTC(2026, 8, 2)),
        accepted: await at("accepted", now),
        completed: await at("completed", Date.UTC(2026, 8, 2)),
        tomorrow: await at("pending", now + 1),
      };
    });
    await runJob(t, now, () => t.mutation(internal.jobs.expireExperiments, { now }));
    const byId = new Map((await rows(t, "experiments")).map((e) => [e._id, e]));
    expect(byId.get(ids.pending)).toMatchObject({ status: "expired", expiredAt: Date.UTC(2026, 8, 2) });
    expect(byId.get(ids.accepted)).toMatchObject({ status: "expired", expiredAt: now });
    expect(byId.get(ids.completed)?.status).toBe("completed");
    expect(byId.get(ids.tomorrow)?.status).toBe("pending");
    const before = await dump(t, ["experiments"]);
    await runJob(t, now, () => t.mutation(internal.jobs.expireExperiments, { now }));
    expect(await dump(t, ["experiments"])).toEqual(before);
  });
});

describe("LifeState pruning", () => {
  it("keeps exactly what MECHANICS §7 says, every day of 400 simulated days", async () => {
    const t = newBackend();
    const tz = "America/New_York";
    const { userId } = await createUser(t, { timezone: tz });
    const all: SnapshotRow[] = [];
    // Three snapshots a day at 00:30, 09:00 and 18:00 New York time, then the prune job at
    // 23:00, from Monday 2025-04-28 to Monday 2026-06-01 (400 days, two DST changes).
    let date = "2025-04-28";
    for (let day = 0; day < 400; day++) {
      const start = startOfLocalDate(date, tz);
      const times = [30 * MINUTE, 9 * HOUR, 18 * HOUR].map((offset) => start + offset);
      const ids = await t.run(async (ctx) => {
        const out: Id<"lifeStates">[] = [];
        for (const timestamp of times) out.push(await ctx.db.insert("lifeStates", snapshot(userId, timestamp, date)));
        return out;
      });
      times.forEach((timestamp, i) => all.push({ id: ids[i], timestamp, localDate: date }));
      const now = start + 23 * HOUR;
      await runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now }));
      const kept = (await rows(t, "lifeStates")).map((s) => s._id).sort();
      expect(kept, `day ${day} (${date})`).toEqual([...snapshotsToKeep(all, now)].sort());
      date = localDate(start + 36 * HOUR, tz);
    }
    expect(date).toBe("2026-06-02");
    // The worked example of docs/mechanics.md: 21 (last 7 days) + 358 (one per date) + 5
    // (one per ISO week beyond 365 days) = 384 of 1,200.
    expect(all).toHaveLength(1_200);
    expect(await rows(t, "lifeStates")).toHaveLength(384);
  });

  it("pages a user whose decided history is too long to prune inline", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const now = Date.UTC(2026, 0, 1, 4, 47);
    const all: SnapshotRow[] = [];
    // 1,300 daily snapshots, two a day (12:00 and 13:00 UTC): 650 days of history.
    await t.run(async (ctx) => {
      for (let i = 0; i < 1_300; i++) {
        const timestamp = now - Math.floor(i / 2) * DAY - (i % 2 === 0 ? 16 : 15) * HOUR;
        const day = localDate(timestamp, "UTC");
        all.push({ id: await ctx.db.insert("lifeStates", snapshot(userId, timestamp, day)), timestamp, localDate: day });
      }
    });
    await runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now }));
    const kept = (await rows(t, "lifeStates")).map((s) => s._id).sort();
    expect(kept).toEqual([...snapshotsToKeep(all, now)].sort());
    expect((await jobStates(t))["jobs:pruneLifeStatesUser"]).toEqual({ success: 2 }); // 1,300 rows, 1,000 a page
  });
});

describe("LifeState pruning, night after night", () => {
  /**
   * A user with `size` snapshots (two a day, Berlin time), pruned once by the cron's job;
   * then three nights, each adding the day's two snapshots and pruning that user alone.
   * Returns the documents each later night read (convex-test folds the nested mutation's
   * metrics into the t.run around it).
   */
  async function nightlyReads(size: number): Promise<number[]> {
    const t = newBackend();
    const tz = "Europe/Berlin";
    const { userId } = await createUser(t, { timezone: tz });
    const first = Date.UTC(2026, 2, 10, 4, 47);
    const all: SnapshotRow[] = [];
    const insert = async (timestamps: number[]) => {
      await t.run(async (ctx) => {
        for (const timestamp of timestamps) {
          const day = localDate(timestamp, tz);
          all.push({ id: await ctx.db.insert("lifeStates", snapshot(userId, timestamp, day)), timestamp, localDate: day });
        }
      });
    };
    const twoADay = (before: number, days: number) =>
      Array.from({ length: 2 * days }, (_, i) => before - Math.floor(i / 2) * DAY - (i % 2 === 0 ? 5 : 11) * HOUR);
    for (let from = 0; from < size / 2; from += 250) await insert(twoADay(first - from * DAY, Math.min(250, size / 2 - from)));
    await runJob(t, first, () => t.mutation(internal.jobs.pruneLifeStates, { now: first }));
    expect((await rows(t, "lifeStates")).map((s) => s._id).sort()).toEqual([...snapshotsToKeep(all, first)].sort());

    const reads: number[] = [];
    for (let night = 1; night <= 3; night++) {
      const now = first + night * DAY;
      await insert(twoADay(now, 1));
      reads.push(
        await t.run(async (ctx) => {
          const before = await ctx.meta.getTransactionMetrics();
          await ctx.runMutation(internal.jobs.pruneLifeStatesUser, { userId, now });
          const after = await ctx.meta.getTransactionMetrics();
          return after.documentsRead.used - before.documentsRead.used;
        }),
      );
      expect((await rows(t, "lifeStates")).map((s) => s._id).sort(), `night ${night}`).toEqual(
        [...snapshotsToKeep(all, now)].sort(),
      );
      expect((await scheduleRow(t, userId)).lifeStatesPrunedAt).toBe(now);
    }
    // Each night finished inline: nothing was handed to a paging job.
    expect(await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect())).toSatisfy(
      (jobs: { name: string; state: { kind: string } }[]) => jobs.every((job) => job.state.kind !== "pending"),
    );
    return reads;
  }

  it("reads only what crossed a tier line since the last prune, whatever the history's length", async () => {
    const small = await nightlyReads(1_000);
    const large = await nightlyReads(3_000);
    expect(large).toEqual(small);
    for (const read of small) expect(read).toBeLessThan(50);
  });

  it("a second run the same night reads the user and their schedule, and stops", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const now = Date.UTC(2026, 2, 10, 4, 47);
    await t.run(async (ctx) => {
      for (let i = 0; i < 20; i++) await ctx.db.insert("lifeStates", snapshot(userId, now - i * DAY - HOUR, localDate(now - i * DAY - HOUR, "UTC")));
    });
    await runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now }));
    const before = await dump(t, ["lifeStates", "users", "dailySchedules"]);
    const read = await t.run(async (ctx) => {
      const start = await ctx.meta.getTransactionMetrics();
      await ctx.runMutation(internal.jobs.pruneLifeStatesUser, { userId, now });
      return (await ctx.meta.getTransactionMetrics()).documentsRead.used - start.documentsRead.used;
    });
    expect(read).toBe(2); // the users row and the watermark's dailySchedules row
    expect(await dump(t, ["lifeStates", "users", "dailySchedules"])).toEqual(before);
  });
});

describe("conversation retention", () => {
  it("archives conversations idle for 12 months: messages deleted in batches, summaries and stars kept", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const now = Date.UTC(2026, 10, 5, 5, 13);
    const conversation = (status: Doc<"conversations">["status"], lastMessageAt: number) => ({
      userId,
      phase: "walk" as const,
      status,
      title: `a ${status} talk`,
      summary: "We talked about running.",
      messageCount: 0,
      userMessageCount: 0,
      startedAt: lastMessageAt - HOUR,
      lastMessageAt,
    });
    const ids = await t.run(async (ctx) => ({
      old: await ctx.db.insert("conversations", { ...conversation("completed", now - 366 * DAY), messageCount: 450 }),
      abandoned: await ctx.db.insert("conversations", conversation("abandoned", now - 365 * DAY)),
      recent: await ctx.db.insert("conversations", conversation("active", now - 364 * DAY)),
      archived: await ctx.db.insert("conversations", { ...conversation("archived", now - 900 * DAY), archivedAt: now - 500 * DAY }),
    }));
    const messageIds = await t.run(async (ctx) => {
      const out: Id<"messages">[] = [];
      const add = async (conversationId: Id<"conversations">, n: number, at: number) => {
        for (let i = 0; i < n; i++) {
          out.push(await ctx.db.insert("messages", { userId, conversationId, role: "user", content: `m${i}`, createdAt: at }));
        }
      };
      await add(ids.old, 2 * MESSAGES_PER_STEP + 50, now - 366 * DAY);
      await add(ids.abandoned, 3, now - 365 * DAY);
      await add(ids.recent, 4, now - 364 * DAY);
      return out;
    });
    const [starId] = await insertStars(t, userId, [{ label: "running", sourceMessageId: messageIds[0] }]);
    const starBefore = await star(t, starId);

    await runJob(t, now, () => t.mutation(internal.jobs.archiveConversations, { now }));
    const conversations = new Map((await rows(t, "conversations")).map((c) => [c._id, c]));
    for (const id of [ids.old, ids.abandoned]) {
      expect(conversations.get(id)).toMatchObject({ status: "archived", archivedAt: now, summary: "We talked about running." });
    }
    expect(conversations.get(ids.old)?.messageCount).toBe(450);
    expect(conversations.get(ids.recent)?.status).toBe("active");
    expect(conversations.get(ids.archived)?.archivedAt).toBe(now - 500 * DAY);
    const left = await rows(t, "messages");
    expect(left.map((m) => m.conversationId)).toEqual(Array(4).fill(ids.recent));
    expect(await star(t, starId)).toEqual(starBefore);

    const before = await dump(t, ["conversations", "messages"]);
    await runJob(t, now + HOUR, () => t.mutation(internal.jobs.archiveConversations, { now: now + HOUR }));
    expect(await dump(t, ["conversations", "messages"])).toEqual(before);
  });
});

describe("batch budget", () => {
  it("a batch that spends its budget hands the rest to a fresh transaction", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const now = Date.UTC(2026, 10, 5, 5, 13);
    // 4,500 messages: deleting 4,000 (TRANSACTION_BUDGET.documentsWritten) spends the first
    // transaction; the second finishes this conversation and archives the other one.
    const [big, small] = await t.run(async (ctx) => {
      const ids: Id<"conversations">[] = [];
      for (const count of [TRANSACTION_BUDGET.documentsWritten + 500, 1]) {
        const conversationId = await ctx.db.insert("conversations", {
          userId,
          phase: "walk",
          status: "completed",
          messageCount: count,
          userMessageCount: count,
          startedAt: now - 500 * DAY,
          lastMessageAt: now - 400 * DAY,
        });
        for (let i = 0; i < count; i++) {
          await ctx.db.insert("messages", { userId, conversationId, role: "user", content: "x", createdAt: now - 400 * DAY });
        }
        ids.push(conversationId);
      }
      return ids;
    });
    await runJob(t, now, () => t.mutation(internal.jobs.archiveConversationsBatch, { conversationIds: [big, small], now }));
    expect(await rows(t, "messages")).toEqual([]);
    expect((await rows(t, "conversations")).map((c) => [c._id, c.status])).toEqual([
      [big, "archived"],
      [small, "archived"],
    ]);
    expect((await jobStates(t))["jobs:archiveConversationsBatch"]).toEqual({ success: 1 });
  });
});

// ---------------------------------------------------------------------------------------
// Dry runs of the destructive jobs: they walk as a real run, count, and delete nothing.

/**
 * Runs a job with console.log captured and sums the counts of its dry-run lines
 * (model/batching.ts logDryRun), e.g. { conversations: 4, messages: 703, lines: 7 }.
 */
async function dryRunTotals(run: () => Promise<void>): Promise<Record<string, number>> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  let calls: unknown[][];
  try {
    await run();
  } finally {
    calls = [...log.mock.calls];
    log.mockRestore();
  }
  const totals: Record<string, number> = { lines: 0 };
  for (const [line] of calls) {
    if (typeof line !== "string" || !line.startsWith('{"dryRun":true')) continue;
    const { dryRun: _dryRun, job: _job, ...counts } = JSON.parse(line) as Record<string, number>;
    totals.lines += 1;
    for (const [name, count] of Object.entries(counts)) totals[name] = (totals[name] ?? 0) + count;
  }
  return totals;
}

describe("dry runs", () => {
  it("conversation retention: a dry run deletes nothing and counts what the real run then deletes", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const now = Date.UTC(2026, 10, 5, 5, 13);
    const seed = async (status: Doc<"conversations">["status"], lastMessageAt: number, messages: number) =>
      await t.run(async (ctx) => {
        const conversationId = await ctx.db.insert("conversations", {
          userId,
          phase: "walk",
          status,
          messageCount: messages,
          userMessageCount: messages,
          startedAt: lastMessageAt - HOUR,
          lastMessageAt,
        });
        for (let i = 0; i < messages; i++) {
          await ctx.db.insert("messages", { userId, conversationId, role: "user", content: `m${i}`, createdAt: lastMessageAt });
        }
        return conversationId;
      });
    // One batch per status. Completed: a small one first (counted whole), then one of 450
    // messages that does not fit after it and is paged over three transactions; abandoned:
    // 250 messages, two pages; active: none. Not due: a recent one and an archived one.
    await seed("completed", now - 400 * DAY, 3);
    await seed("completed", now - 390 * DAY, 450);
    await seed("abandoned", now - 380 * DAY, 250);
    await seed("active", now - 370 * DAY, 0);
    await seed("active", now - 300 * DAY, 5);
    await seed("archived", now - 900 * DAY, 0);

    const before = await dump(t, ["conversations", "messages"]);
    const dry = await dryRunTotals(() =>
      runJob(t, now, () => t.mutation(internal.jobs.archiveConversations, { now, dryRun: true })),
    );
    expect(await dump(t, ["conversations", "messages"])).toEqual(before);
    // 3 batches; the 450 conversation takes 3 more transactions after the first, the 250 one 1 more.
    expect(dry).toEqual({ lines: 7, conversations: 4, messages: 3 + 450 + 250 });

    await runJob(t, now, () => t.mutation(internal.jobs.archiveConversations, { now }));
    const archived = (await rows(t, "conversations")).filter((c) => c.archivedAt === now);
    expect(archived).toHaveLength(dry.conversations);
    expect((await rows(t, "messages")).length).toBe(before.messages.length - dry.messages);
  });

  it("LifeState pruning: a dry run deletes nothing and counts what the real run then deletes", async () => {
    const t = newBackend();
    const first = Date.UTC(2026, 0, 1, 4, 47);
    const now = first + 30 * DAY;
    const twoADay = (userId: Id<"users">, before: number, days: number) =>
      Array.from({ length: 2 * days }, (_, i) => {
        const timestamp = before - Math.floor(i / 2) * DAY - (i % 2 === 0 ? 16 : 15) * HOUR;
        return snapshot(userId, timestamp, localDate(timestamp, "UTC"));
      });
    const insert = async (docs: ReturnType<typeof snapshot>[]) => {
      for (let i = 0; i < docs.length; i += 500) {
        await t.run(async (ctx) => {
          for (const doc of docs.slice(i, i + 500)) await ctx.db.insert("lifeStates", doc);
        });
      }
    };
    // Never pruned, 650 days: paged by the user's own job. Pruned at `first`, then 30 days
    // more: the daily and the weekly window, inline. A short history: inline, one window.
    const paged = (await createUser(t)).userId;
    const nightly = (await createUser(t)).userId;
    const short = (await createUser(t)).userId;
    await insert(twoADay(paged, now, 650));
    await insert(twoADay(nightly, first, 400));
    await runJob(t, first, () => t.mutation(internal.jobs.pruneLifeStatesUser, { userId: nightly, now: first }));
    await insert([...twoADay(nightly, now, 30), ...twoADay(short, now, 12)]);

    const before = await dump(t, ["lifeStates", "users"]);
    const dry = await dryRunTotals(() => runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now, dryRun: true })));
    expect(await dump(t, ["lifeStates", "users"])).toEqual(before);
    expect(dry.snapshots).toBeGreaterThan(650);

    await runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now }));
    expect(before.lifeStates.length - (await rows(t, "lifeStates")).length).toBe(dry.snapshots);
    // The dry run's count is exactly what §7 drops at `now`, user by user.
    const histories = new Map<Id<"users">, SnapshotRow[]>();
    for (const s of before.lifeStates as Doc<"lifeStates">[]) {
      histories.set(s.userId, [...(histories.get(s.userId) ?? []), { id: s._id, timestamp: s.timestamp, localDate: s.localDate }]);
    }
    const kept = [...histories.values()].reduce((sum, history) => sum + snapshotsToKeep(history, now).size, 0);
    expect(dry.snapshots).toBe(before.lifeStates.length - kept);
  });
});

// ---------------------------------------------------------------------------------------
// Scale: each job on 2,000 users, under the real transaction limits.

const SCALE_USERS = 2_000;
const ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Pacific/Auckland"];

/** Inserts `count` users in batches (≤ 10,000 inserts per t.run), with per-user extras. */
async function seedUsers(
  t: Backend,
  count: number,
  perUser: (i: number) => Partial<Doc<"users">>,
  extras?: (ctx: Parameters<Parameters<Backend["run"]>[0]>[0], userId: Id<"users">, i: number) => Promise<unknown>,
  perBatch = 500,
): Promise<Id<"users">[]> {
  const ids: Id<"users">[] = [];
  for (let first = 0; first < count; first += perBatch) {
    ids.push(
      ...(await t.run(async (ctx) => {
        const batch: Id<"users">[] = [];
        for (let i = first; i < Math.min(count, first + perBatch); i++) {
          const userId = await ctx.db.insert("users", plainUserDoc(`scale_${i}`, perUser(i)));
          if (extras) await extras(ctx, userId, i);
          batch.push(userId);
        }
        return batch;
      })),
    );
  }
  return ids;
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.info(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

describe(`each job on ${SCALE_USERS} users`, () => {
  // Each user's rollover looks up their dailySchedules row by index; convex-test evaluates an
  // index range by scanning the table (2,000 schedules), so this run needs more than the default.
  it("daily rollover: a snapshot per user and a velocity step per walking journey, then nothing", { timeout: 600_000 }, async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 12, 23);
    const zoneOf = (i: number) => ZONES[i % ZONES.length];
    // Every user is due (their midnights passed 0–11 hours ago); one in four walks a
    // journey whose offer of the date just closed was completed (half) or expired.
    await timed("rollover: seed", () =>
      seedUsers(
        t,
        SCALE_USERS,
        (i) => ({ timezone: zoneOf(i) }),
        async (ctx, userId, i) => {
          await ctx.db.insert("dailySchedules", { userId, nextDailyAt: now - (i % 12) * HOUR });
          if (i % 4 !== 0) return;
          const offeredDate = addDays(localDate(now, zoneOf(i)), -1);
          const offeredAt = startOfLocalDate(offeredDate, zoneOf(i)) + HOUR;
          const journeyId = await ctx.db.insert("journeys", journeyDoc(userId, { lastOfferDate: offeredDate, startedAt: offeredAt - DAY }));
          const status = i % 8 === 0 ? "completed" : "expired";
          const expiresAt = nextLocalMidnight(offeredAt, zoneOf(i));
          await ctx.db.insert("experiments", experimentDoc(userId, journeyId, { offeredAt, offeredDate, expiresAt, status }));
        },
      ),
    );
    await timed("rollover: job", () => rollover(t, now));
    expect(await rows(t, "lifeStates")).toHaveLength(SCALE_USERS);
    const journeys = await rows(t, "journeys");
    expect(journeys.filter((j) => j.velocity === 0.3 && j.momentum === 0.3)).toHaveLength(SCALE_USERS / 8);
    expect(journeys.filter((j) => j.velocity === 0 && j.lastVelocityDate !== undefined)).toHaveLength(SCALE_USERS / 8);
    const timezones = new Map((await rows(t, "users")).map((u) => [u._id, u.timezone]));
    const schedules = await rows(t, "dailySchedules");
    expect(schedules).toHaveLength(SCALE_USERS);
    expect(
      schedules.every((s) => s.nextDailyAt > now && s.lastDailyDate === localDate(now, timezones.get(s.userId) ?? "")),
    ).toBe(true);
    expect(Object.keys((await jobStates(t))["jobs:dailyRolloverUsers"])).toEqual(["success"]);

    const before = await dump(t, ["users", "dailySchedules", "journeys", "lifeStates"]);
    await timed("rollover: second run", () => rollover(t, now + 30 * MINUTE));
    expect(await dump(t, ["users", "dailySchedules", "journeys", "lifeStates"])).toEqual(before);
  });

  it("experiment expiry sweep: every user's stale offer expired", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 12, 41);
    await seedUsers(
      t,
      SCALE_USERS,
      () => ({}),
      async (ctx, userId) => {
        const journeyId = await ctx.db.insert("journeys", journeyDoc(userId));
        const expiresAt = now - HOUR;
        await ctx.db.insert("experiments", experimentDoc(userId, journeyId, { offeredAt: expiresAt - 5 * HOUR, offeredDate: "2026-05-19", expiresAt }));
      },
    );
    await timed("expiry sweep: job", () => runJob(t, now, () => t.mutation(internal.jobs.expireExperiments, { now })));
    expect((await rows(t, "experiments")).every((e) => e.status === "expired")).toBe(true);
    const before = await dump(t, ["experiments"]);
    await timed("expiry sweep: second run", () => runJob(t, now, () => t.mutation(internal.jobs.expireExperiments, { now })));
    expect(await dump(t, ["experiments"])).toEqual(before);
  });

  it("LifeState pruning: every user's history pruned, then nothing on a second run", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 4, 47);
    // One user in four has history: two snapshots of one date 10 days ago (the earlier one
    // goes) and one of today; the others have none yet. Every user is visited.
    await seedUsers(t, SCALE_USERS, () => ({}), async (ctx, userId, i) => {
      if (i % 4 !== 0) return;
      for (const timestamp of [now - 10 * DAY - HOUR, now - 10 * DAY, now - HOUR]) {
        await ctx.db.insert("lifeStates", snapshot(userId, timestamp, localDate(timestamp, "UTC")));
      }
    });
    await timed("pruning: job", () => runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now })));
    const kept = await rows(t, "lifeStates");
    expect(kept).toHaveLength(2 * (SCALE_USERS / 4));
    expect(kept.every((s) => s.timestamp !== now - 10 * DAY - HOUR)).toBe(true);
    expect((await jobStates(t))["jobs:pruneLifeStatesUsers"]).toEqual({ success: SCALE_USERS / 50 });
    const before = await dump(t, ["lifeStates"]);
    await timed("pruning: second run", () => runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now })));
    expect(await dump(t, ["lifeStates"])).toEqual(before);
  });

  it("conversation retention: every user's idle conversation archived, then nothing on a second run", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 5, 13);
    await seedUsers(t, SCALE_USERS, () => ({}), async (ctx, userId) => {
      const lastMessageAt = now - 400 * DAY;
      const conversationId = await ctx.db.insert("conversations", {
        userId,
        phase: "walk",
        status: "completed",
        summary: "s",
        messageCount: 1,
        userMessageCount: 1,
        startedAt: lastMessageAt,
        lastMessageAt,
      });
      await ctx.db.insert("messages", { userId, conversationId, role: "user", content: "hi", createdAt: lastMessageAt });
    });
    await timed("archival: job", () => runJob(t, now, () => t.mutation(internal.jobs.archiveConversations, { now })));
    expect((await rows(t, "conversations")).every((c) => c.status === "archived")).toBe(true);
    expect(await rows(t, "messages")).toEqual([]);
    const before = await dump(t, ["conversations", "messages"]);
    await timed("archival: second run", () => runJob(t, now, () => t.mutation(internal.jobs.archiveConversations, { now })));
    expect(await dump(t, ["conversations", "messages"])).toEqual(before);
  });
});

function snapshot(userId: Id<"users">, timestamp: number, date: string) {
  return {
    userId,
    timestamp,
    localDate: date,
    source: "daily" as const,
    thrust: 0,
    alignment: 0,
    gravity: 0,
    mass: 0,
    escapeIndex: 0,
    latent: Array.from({ length: 15 }, () => 0),
  };
}
