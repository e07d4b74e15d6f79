// MECHANICS §9 on the in-memory backend under Convex's transaction limits: consistency on the
// daily snapshot, which reports a 21-day run writes and when (two zones, a DST change), every
// statistic of a seeded window, no report without activity, a second rollover writing
// nothing, a heavy window paged over several steps, the API's refusals, and 2,000 users.
// The narrative against the loopback model server is in tests/convex/reportNarrative.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { REPORT_PAGE, writeDueReports } from "../../convex/model/reports";
import { addDays, localDate, startOfLocalDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, signedIn, type Backend } from "../setup";
import { starDoc } from "../support/constellation";
import { DAY, dump, experimentDoc, jobStates, journeyDoc, plainUserDoc, rows, runJob } from "../support/trajectory";
import { patchSchedule } from "../support/userState";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let savedKey: string | undefined;
beforeEach(() => {
  savedKey = process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_API_KEY; // no model: the narrative is skipped, the numbers stand
});
afterEach(() => {
  if (savedKey !== undefined) process.env.OPENAI_API_KEY = savedKey;
  vi.useRealTimers();
});

type Ctx = Parameters<Parameters<Backend["run"]>[0]>[0];

/** The rollover's cron minute on a local date: 00:23 local. */
const rolloverAt = (date: string, tz: string) => startOfLocalDate(date, tz) + 23 * MINUTE;
const noonOf = (date: string, tz: string) => startOfLocalDate(date, tz) + 12 * HOUR;

async function rollover(t: Backend, now: number) {
  await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
}

/** A user created at 10:00 local on `firstDate`, due for the rollover that closes it. */
async function seedUser(t: Backend, tz: string, firstDate: string, clerkId = `user_${tz}_${firstDate}`) {
  return await t.run(async (ctx) => {
    const userId = await ctx.db.insert(
      "users",
      plainUserDoc(clerkId, { timezone: tz, createdAt: startOfLocalDate(firstDate, tz) + 10 * HOUR }),
    );
    await ctx.db.insert("dailySchedules", { userId, nextDailyAt: startOfLocalDate(addDays(firstDate, 1), tz) });
    return userId;
  });
}

function energy(userId: Id<"users">, createdAt: number, level: number, localDate = "x") {
  return { userId, kind: "energy" as const, localDate, createdAt, level };
}

function emotion(
  userId: Id<"users">,
  createdAt: number,
  valence: "positive" | "neutral" | "negative",
  intensity: number,
  source: "self" | "inferred" = "self",
) {
  return { userId, kind: "emotion" as const, localDate: "x", createdAt, valence, label: "felt", intensity, source };
}

async function reportsOf(t: Backend, userId: Id<"users">): Promise<Doc<"reports">[]> {
  return (await rows(t, "reports")).filter((r) => r.userId === userId);
}

describe("consistency on the daily snapshot", () => {
  it("is stored for the closed date across a sparse week and read back by date", async () => {
    const t = newBackend();
    const tz = "America/New_York";
    const { userId, as } = await createUser(t, { timezone: tz });
    const first = "2026-03-01";
    // The account is a few days old at the first date; completions on 03-02, 03-04 (an
    // experiment) and 03-09; the week crosses New York's DST change (03-08).
    await t.run(async (ctx) => {
      await ctx.db.patch("users", userId, { createdAt: noonOf(first, tz) });
      await patchSchedule(ctx, userId, { nextDailyAt: startOfLocalDate("2026-03-02", tz) });
      for (const date of ["2026-03-02", "2026-03-09"]) {
        await ctx.db.insert("dailyProgress", { userId, localDate: date, missionsCompleted: 1, minutesCompleted: 20, essenceEarned: 5, dciScore: 1 / 3, streakDays: 1 });
      }
      const journeyId = await ctx.db.insert("journeys", journeyDoc(userId, { startedAt: noonOf(first, tz), status: "paused" }));
      const offeredAt = noonOf("2026-03-04", tz) - 2 * HOUR;
      await ctx.db.insert(
        "experiments",
        experimentDoc(userId, journeyId, { offeredAt, offeredDate: "2026-03-04", expiresAt: startOfLocalDate("2026-03-05", tz), status: "completed", completedAt: offeredAt + HOUR }),
      );
    });
    const expected: [string, number][] = [
      ["2026-03-01", 0], // 0 of 1 (the account's first date)
      ["2026-03-02", 50], // 1 of 2
      ["2026-03-03", 33.3], // 1 of 3
      ["2026-03-04", 50], // 2 of 4
      ["2026-03-05", 40], // 2 of 5
      ["2026-03-06", 33.3], // 2 of 6
      ["2026-03-07", 28.6], // 2 of 7
      ["2026-03-08", 28.6], // 03-02 … 03-08: still 2 of 7 (the day is 23 hours)
      ["2026-03-09", 28.6], // 03-03 … 03-09: 03-02 left, 03-09 came in
    ];
    for (const [date] of expected) await rollover(t, rolloverAt(addDays(date, 1), tz));
    const snapshots = (await rows(t, "lifeStates")).filter((s) => s.userId === userId);
    expect(snapshots.map((s) => [s.consistencyDate, s.consistency, s.localDate])).toEqual(
      expected.map(([date, value]) => [date, value, addDays(date, 1)]),
    );
    const now = noonOf("2026-03-10", tz);
    expect(await as.query(api.consistency.history, { days: 7, now })).toEqual(
      expected.slice(-6).map(([localDate, consistency]) => ({ localDate, consistency })),
    );
    await expectConvexError(as.query(api.consistency.history, { days: 0, now }), "INVALID_ARGUMENT");
    await expectConvexError(as.query(api.consistency.history, { days: 367, now }), "INVALID_ARGUMENT");
    await expectConvexError(t.query(api.consistency.history, { days: 7, now }), "UNAUTHENTICATED");
    // Another user sees only their own (none).
    const other = await createUser(t);
    expect(await other.as.query(api.consistency.history, { days: 7, now })).toEqual([]);
  });
});

describe("which reports a 21-day run writes, and when", () => {
  for (const [tz, first, dstDate] of [
    ["Europe/Berlin", "2026-03-15", "2026-03-29"],
    ["America/New_York", "2026-03-01", "2026-03-08"],
  ] as const) {
    it(`${tz}: ten 2-day, three 7-day and one 21-day report, each the night after its window (DST on ${dstDate})`, async () => {
      const t = newBackend();
      const userId = await seedUser(t, tz, first);
      const dates = Array.from({ length: 22 }, (_, i) => addDays(first, i));
      await t.run(async (ctx) => {
        for (const date of dates) await ctx.db.insert("checkins", energy(userId, noonOf(date, tz), 5, date));
      });
      for (const date of dates.slice(0, 21)) await rollover(t, rolloverAt(addDays(date, 1), tz));

      const reports = await reportsOf(t, userId);
      const LENGTH = { two_day: 2, seven_day: 7, twenty_one_day: 21 } as const;
      const written = reports
        .map((r) => [r.type, r.dayNumber, r.firstDate, r.lastDate, r.createdAt] as const)
        .sort((a, b) => a[4] - b[4] || LENGTH[a[0]] - LENGTH[b[0]]);
      const due = [
        ["two_day", 2], ["two_day", 4], ["two_day", 6], ["seven_day", 7], ["two_day", 8], ["two_day", 10], ["two_day", 12],
        ["two_day", 14], ["seven_day", 14], ["two_day", 16], ["two_day", 18], ["two_day", 20], ["seven_day", 21], ["twenty_one_day", 21],
      ] as const;
      const expected = due.map(([type, n]) => {
        const lastDate = addDays(first, n - 1);
        // Written by the rollover of the night after the window's last date.
        return [type, n, addDays(lastDate, 1 - LENGTH[type]), lastDate, rolloverAt(addDays(lastDate, 1), tz)] as const;
      });
      expect(written).toEqual(expected);
      expect(reports.every((r) => r.status === "ready" && r.narrativeStatus === "skipped")).toBe(true);

      // Local instants: the week holding the DST change is an hour short.
      for (const r of reports) {
        expect(r.startsAt).toBe(startOfLocalDate(r.firstDate, tz));
        expect(r.endsAt).toBe(startOfLocalDate(addDays(r.lastDate, 1), tz));
        expect(r.stats?.energy.count).toBe({ two_day: 2, seven_day: 7, twenty_one_day: 21 }[r.type]);
      }
      const dstWeek = reports.find((r) => r.type === "seven_day" && r.firstDate <= dstDate && dstDate <= r.lastDate);
      expect(dstWeek && dstWeek.endsAt - dstWeek.startsAt).toBe(7 * DAY - HOUR);
    });
  }
});

describe("a seeded window", () => {
  const tz = "Asia/Tokyo";
  const first = "2026-05-01";
  const D = "2026-05-07"; // n = 7: a seven_day report

  async function seedWindow(t: Backend) {
    const userId = await seedUser(t, tz, first);
    const startsAt = startOfLocalDate(first, tz);
    const endsAt = startOfLocalDate(addDays(D, 1), tz);
    const at = (date: string, hour: number) => startOfLocalDate(date, tz) + hour * HOUR;
    const ids = await t.run(async (ctx: Ctx) => {
      await patchSchedule(ctx, userId, { nextDailyAt: endsAt, lastDailyDate: D });
      // Conversations: one completed inside, one completed exactly at the end (outside), one active.
      const conversation = (startedAt: number, completedAt?: number) =>
        ctx.db.insert("conversations", {
          userId,
          phase: "walk",
          status: completedAt === undefined ? "active" : "completed",
          messageCount: 0,
          userMessageCount: 0,
          startedAt,
          lastMessageAt: startedAt,
          completedAt,
        });
      const c1 = await conversation(at("2026-05-02", 9), at("2026-05-02", 10));
      await conversation(at("2026-05-07", 20), endsAt);
      await conversation(at("2026-05-06", 9));
      // Messages: 3 user + 2 assistant inside; a user message just before and one at the end.
      const message = (role: "user" | "assistant", createdAt: number) =>
        ctx.db.insert("messages", { userId, conversationId: c1, role, content: "…", createdAt });
      await message("user", startsAt - 1);
      await message("assistant", startsAt); // a reply to a message of the day before
      await message("user", at("2026-05-02", 9));
      await message("assistant", at("2026-05-02", 9) + 1);
      await message("user", at("2026-05-04", 9));
      await message("user", endsAt - 1);
      await message("user", endsAt);
      // Stars and their growth: s1 0.1 + 0.05, s2 0.3, s3 0.2, s4 0.1, s5 0.05, s6 0.02, s7 −0.1, s8 −0.04.
      const labels = ["Morning runs", "Saying no", "Writing", "Sleep", "Cooking", "Reading", "Doomscrolling", "Perfectionism"];
      const stars: Id<"stars">[] = [];
      for (const label of labels) stars.push(await ctx.db.insert("stars", starDoc(userId, { label })));
      const grow = (entityType: Doc<"growthEvents">["entityType"], entityId: string, dimKey: Doc<"growthEvents">["dimKey"], delta: number, createdAt: number) =>
        ctx.db.insert("growthEvents", { userId, entityType, entityId, dimKey, delta, source: "star_reinforced", createdAt });
      const deltas = [0.1, 0.3, 0.2, 0.1, 0.05, 0.02, -0.1, -0.04];
      for (const [i, delta] of deltas.entries()) await grow("star", stars[i], "self_know", delta, at("2026-05-03", 8 + i));
      await grow("star", stars[0], "self_know", 0.05, at("2026-05-06", 8));
      await grow("star", stars[0], "self_know", 0.5, startsAt - 1); // before the window
      await grow("mission", "m1", "self_act", 0.3, at("2026-05-04", 9));
      await grow("user", userId, "world_know", -0.2, at("2026-05-05", 9));
      // Missions (day rows): 05-03, 05-04 and 05-07 inside; 04-30 outside.
      const day = (localDate: string, missionsCompleted: number, minutesCompleted: number, essenceEarned: number, streakDays: number) =>
        ctx.db.insert("dailyProgress", { userId, localDate, missionsCompleted, minutesCompleted, essenceEarned, dciScore: 0, streakDays });
      await day("2026-04-30", 5, 100, 50, 3);
      await day("2026-05-03", 2, 45, 15, 1);
      await day("2026-05-04", 1, 30, 10, 2);
      await day("2026-05-07", 1, 20, 5, 1);
      // Experiments: completed (05-02), skipped (05-03), expired (05-05), still pending at the
      // end (05-07: expired at midnight, the job has not run), completed before the window.
      const journeyId = await ctx.db.insert(
        "journeys",
        journeyDoc(userId, { startedAt: at("2026-04-20", 9), velocity: 0.447, momentum: 0.879, lastVelocityDate: "2026-05-06" }),
      );
      const offer = (date: string, status: Doc<"experiments">["status"], extra: Partial<Doc<"experiments">> = {}) =>
        ctx.db.insert("experiments", experimentDoc(userId, journeyId, { offeredAt: at(date, 8), offeredDate: date, expiresAt: startOfLocalDate(addDays(date, 1), tz), status, ...extra }));
      await offer("2026-04-30", "completed", { completedAt: at("2026-04-30", 9) });
      await offer("2026-05-02", "completed", { completedAt: at("2026-05-02", 19) });
      await offer("2026-05-03", "skipped", { skippedAt: at("2026-05-03", 9) });
      await offer("2026-05-05", "expired", { expiredAt: startOfLocalDate("2026-05-06", tz) });
      await offer("2026-05-07", "pending");
      // Daily snapshots taken in the window (closing 05-01, 05-03, 05-05) and an on-demand one.
      const snapshot = (closed: string, escapeIndex: number, source: "daily" | "on_demand" = "daily") =>
        ctx.db.insert("lifeStates", {
          userId,
          timestamp: at(addDays(closed, 1), 0) + 23 * MINUTE,
          localDate: addDays(closed, 1),
          source,
          thrust: 0,
          alignment: 0,
          gravity: 0,
          mass: 0,
          escapeIndex,
          latent: [],
          ...(source === "daily" ? { consistency: 0, consistencyDate: closed } : {}),
        });
      await snapshot("2026-05-01", 0.8);
      await snapshot("2026-05-03", 0.3);
      await snapshot("2026-05-02", 5, "on_demand");
      await snapshot("2026-05-05", 1.2);
      // Check-ins: three emotions (one inferred), three energy readings, one reading at the end.
      await ctx.db.insert("checkins", energy(userId, at("2026-05-01", 11), 3));
      await ctx.db.insert("checkins", emotion(userId, at("2026-05-02", 11), "negative", 0.8));
      await ctx.db.insert("checkins", emotion(userId, at("2026-05-03", 11), "negative", 0.4, "inferred"));
      await ctx.db.insert("checkins", energy(userId, at("2026-05-04", 11), 8));
      await ctx.db.insert("checkins", emotion(userId, at("2026-05-05", 11), "positive", 0.5));
      await ctx.db.insert("checkins", energy(userId, at("2026-05-06", 11), 6));
      await ctx.db.insert("checkins", energy(userId, endsAt, 10));
      return { stars };
    });
    return { userId, startsAt, endsAt, ...ids };
  }

  it("every statistic, hand-computed", async () => {
    const t = newBackend();
    const { userId, stars } = await seedWindow(t);
    await t.run(async (ctx) => await patchSchedule(ctx, userId, { lastDailyDate: undefined }));
    await rollover(t, rolloverAt("2026-05-08", tz));
    const [report] = await reportsOf(t, userId);
    expect(report).toMatchObject({ type: "seven_day", firstDate: first, lastDate: D, dayNumber: 7, status: "ready", narrativeStatus: "skipped", narrativeReason: "no model configured" });
    const stats = report.stats!;
    expect(stats.messages).toEqual({ userMessages: 3, conversationsCompleted: 1 });
    expect(stats.growth.byDimension).toEqual({
      self_know: expect.closeTo(0.68, 12),
      self_act: expect.closeTo(0.3, 12),
      self_show: 0,
      world_know: expect.closeTo(-0.2, 12),
      world_act: 0,
      world_show: 0,
    });
    const ranked = (list: { starId: string; label: string | null; delta: number }[]) =>
      list.map((s) => [s.starId, s.label, Math.round(s.delta * 1e9) / 1e9]);
    expect(ranked(stats.growth.topStars)).toEqual([
      [stars[1], "Saying no", 0.3],
      [stars[2], "Writing", 0.2],
      [stars[0], "Morning runs", 0.15],
      [stars[3], "Sleep", 0.1],
      [stars[4], "Cooking", 0.05],
    ]);
    expect(ranked(stats.growth.bottomStars)).toEqual([
      [stars[6], "Doomscrolling", -0.1],
      [stars[7], "Perfectionism", -0.04],
    ]);
    expect(stats.growth.starsTruncated).toBe(false);
    expect(stats.missions).toEqual({ completed: 4, minutes: 95, essence: 30, streakAtEnd: 1 });
    expect(stats.experiments).toEqual({ offered: 4, completed: 1, skipped: 1, expired: 2 });
    // The rollover closing 05-07 ran the velocity step first: 0.7·0.447 + 0.3·0 and 0.9·0.879 + v'.
    expect(stats.trajectory.escapeIndex).toEqual({ first: 0.8, last: 1.2, min: 0.3, max: 1.2 });
    expect(stats.trajectory.velocity).toBeCloseTo(0.3129, 12);
    expect(stats.trajectory.momentum).toBeCloseTo(1.104, 12);
    expect(stats.emotions).toEqual({
      positive: { count: 1, meanIntensity: 0.5 },
      neutral: { count: 0, meanIntensity: null },
      negative: { count: 2, meanIntensity: expect.closeTo(0.6, 12) },
    });
    expect(stats.energy).toEqual({ count: 3, mean: expect.closeTo(17 / 3, 12), first: 3, last: 6 });
    // Kept: 05-02 (experiment), 05-03, 05-04 and 05-07 (missions): 4 of 7.
    expect(stats.consistency).toBe(57.1);
    expect(report.series?.days.map((d) => [d.localDate.slice(5), d.escapeIndex, d.missionsCompleted, d.experimentsCompleted])).toEqual([
      ["05-01", null, 0, 0],
      ["05-02", 0.8, 0, 1],
      ["05-03", null, 2, 0],
      ["05-04", 0.3, 1, 0],
      ["05-05", null, 0, 0],
      ["05-06", 1.2, 0, 0],
      ["05-07", null, 1, 0],
    ]);
    expect(report.series?.energy.map((p) => p.level)).toEqual([3, 8, 6]);
  });

  it("a second rollover on the same date writes nothing new; writing again is a no-op", async () => {
    const t = newBackend();
    const { userId } = await seedWindow(t);
    await t.run(async (ctx) => await patchSchedule(ctx, userId, { lastDailyDate: undefined }));
    const now = rolloverAt("2026-05-08", tz);
    await rollover(t, now);
    const before = await dump(t, ["reports", "lifeStates", "users"]);
    await rollover(t, now + HOUR);
    // Due again the same local date (a zone change resets nextDailyAt): still nothing new.
    await t.run(async (ctx) => await patchSchedule(ctx, userId, { nextDailyAt: now }));
    await rollover(t, now + 2 * HOUR);
    expect((await dump(t, ["reports", "lifeStates"]))).toEqual({ reports: before.reports, lifeStates: before.lifeStates });
    // The report step on its own is keyed by (user, type, lastDate).
    const again = await t.run(async (ctx) => {
      const user = (await ctx.db.get("users", userId))!;
      return await writeDueReports(ctx, user, D, now + 3 * HOUR, 0);
    });
    expect(again).toEqual([]);
    expect(await reportsOf(t, userId)).toHaveLength(1);
  });
});

describe("activity", () => {
  it("no report for a window without a message, a completion or a check-in", async () => {
    const t = newBackend();
    const tz = "UTC";
    const quiet = await seedUser(t, tz, "2026-06-01", "quiet");
    const replied = await seedUser(t, tz, "2026-06-01", "replied");
    const active = await seedUser(t, tz, "2026-06-01", "active");
    await t.run(async (ctx) => {
      // A coach reply inside the window to a message sent before it is not the user's activity.
      const conversationId = await ctx.db.insert("conversations", {
        userId: replied, phase: "walk", status: "active", messageCount: 2, userMessageCount: 1,
        startedAt: Date.UTC(2026, 4, 31, 23), lastMessageAt: Date.UTC(2026, 5, 1, 0, 0, 1),
      });
      await ctx.db.insert("messages", { userId: replied, conversationId, role: "user", content: "…", createdAt: Date.UTC(2026, 4, 31, 23, 59) });
      await ctx.db.insert("messages", { userId: replied, conversationId, role: "assistant", content: "…", createdAt: Date.UTC(2026, 5, 1, 0, 0, 1) });
      await ctx.db.insert("checkins", emotion(active, Date.UTC(2026, 5, 2, 22), "neutral", 0.1));
    });
    await rollover(t, rolloverAt("2026-06-02", tz));
    await rollover(t, rolloverAt("2026-06-03", tz));
    expect((await rows(t, "reports")).map((r) => [r.userId, r.type, r.lastDate])).toEqual([[active, "two_day", "2026-06-02"]]);
    // Each still got its snapshot with consistency 0.
    expect((await rows(t, "lifeStates")).filter((s) => s.userId === quiet).map((s) => s.consistency)).toEqual([0, 0]);
  });
});

describe("a heavy window", () => {
  it("is paged over several compute steps, and every count stays exact", async () => {
    const t = newBackend();
    const tz = "UTC";
    const userId = await seedUser(t, tz, "2026-06-01");
    const start = Date.UTC(2026, 5, 1);
    const counts = { messages: REPORT_PAGE.messages * 2 + 300, growth: REPORT_PAGE.growth * 2 + 100, checkins: REPORT_PAGE.checkins + 7 };
    const conversationId = await t.run(async (ctx) =>
      ctx.db.insert("conversations", { userId, phase: "walk", status: "active", messageCount: 0, userMessageCount: 0, startedAt: start, lastMessageAt: start }),
    );
    for (let i = 0; i < counts.messages; i += 1_000) {
      await t.run(async (ctx) => {
        for (let k = i; k < Math.min(counts.messages, i + 1_000); k++) {
          await ctx.db.insert("messages", { userId, conversationId, role: k % 3 === 2 ? "assistant" : "user", content: "m".repeat(200), createdAt: start + HOUR + k * 1_000 });
        }
      });
    }
    for (let i = 0; i < counts.growth; i += 2_000) {
      await t.run(async (ctx) => {
        for (let k = i; k < Math.min(counts.growth, i + 2_000); k++) {
          await ctx.db.insert("growthEvents", { userId, entityType: "star", entityId: `star_${k % 40}`, dimKey: "self_act", delta: 0.001, source: "star_reinforced", createdAt: start + 2 * HOUR + k });
        }
      });
    }
    await t.run(async (ctx) => {
      for (let k = 0; k < counts.checkins; k++) await ctx.db.insert("checkins", energy(userId, start + 3 * HOUR + k, (k % 10) + 1));
    });
    await rollover(t, rolloverAt("2026-06-03", tz));
    const [report] = await reportsOf(t, userId);
    const userMessages = Array.from({ length: counts.messages }, (_, k) => k % 3 !== 2).filter(Boolean).length;
    expect(report.status).toBe("ready");
    expect(report.stats?.messages.userMessages).toBe(userMessages);
    expect(report.stats?.growth.byDimension.self_act).toBeCloseTo(counts.growth * 0.001, 9);
    expect(report.stats?.growth.topStars).toHaveLength(5);
    expect(report.stats?.energy.count).toBe(counts.checkins);
    expect(report.series?.energy).toHaveLength(500);
    // messages: 3 pages, growth: 3 pages, check-ins: 2 pages, one paginated read per step.
    expect((await jobStates(t))["reports:compute"]?.success).toBeGreaterThanOrEqual(8);
  });
});

describe("the reports API", () => {
  it("lists by type newest first, gets, charts; another user's report is NOT_FOUND", async () => {
    const t = newBackend();
    const tz = "UTC";
    const owner = await createUser(t, { timezone: tz });
    const first = "2026-07-01";
    await t.run(async (ctx) => {
      await ctx.db.patch("users", owner.userId, { createdAt: noonOf(first, tz) });
      await patchSchedule(ctx, owner.userId, { nextDailyAt: startOfLocalDate("2026-07-02", tz) });
      for (let i = 0; i < 4; i++) {
        await ctx.db.insert("checkins", energy(owner.userId, noonOf(addDays(first, i), tz), 4 + i));
        await ctx.db.insert("checkins", emotion(owner.userId, noonOf(addDays(first, i), tz) + HOUR, i % 2 ? "positive" : "negative", 0.5));
      }
    });
    for (let i = 1; i <= 4; i++) await rollover(t, rolloverAt(addDays(first, i), tz));
    const page = await owner.as.query(api.reports.list, { type: "two_day", paginationOpts: { numItems: 10, cursor: null } });
    expect(page.page.map((r) => r.lastDate)).toEqual(["2026-07-04", "2026-07-02"]);
    expect(page.isDone).toBe(true);
    expect((await owner.as.query(api.reports.list, { type: "seven_day", paginationOpts: { numItems: 10, cursor: null } })).page).toEqual([]);
    const reportId = page.page[0]._id;
    const view = await owner.as.query(api.reports.get, { reportId });
    expect(view).toMatchObject({ type: "two_day", firstDate: "2026-07-03", lastDate: "2026-07-04", status: "ready" });
    expect(view.stats?.energy).toEqual({ count: 2, mean: 6.5, first: 6, last: 7 });

    const svg = await owner.as.query(api.reports.chart, { reportId });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("2-day report");
    expect(svg?.match(/<rect x="[^"]+" y="[^"]+" width="6" height="6"/g)).toHaveLength(2); // two energy readings

    const stranger = await createUser(t);
    await expectConvexError(stranger.as.query(api.reports.get, { reportId }), "NOT_FOUND");
    await expectConvexError(stranger.as.query(api.reports.chart, { reportId }), "NOT_FOUND");
    expect((await stranger.as.query(api.reports.list, { type: "two_day", paginationOpts: { numItems: 10, cursor: null } })).page).toEqual([]);
    await expectConvexError(t.query(api.reports.list, { type: "two_day", paginationOpts: { numItems: 10, cursor: null } }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.reports.get, { reportId }), "UNAUTHENTICATED");
    await expectConvexError(signedIn(t, "user_never_provisioned").query(api.reports.chart, { reportId }), "ACCOUNT_NOT_READY");
  });
});

// ---------------------------------------------------------------------------------------
// Scale: the report-writing jobs on 2,000 users, under the real transaction limits.

const SCALE_USERS = 2_000;
const ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Pacific/Auckland"];

describe(`the report jobs on ${SCALE_USERS} users`, () => {
  it("the rollover writes one 2-day report per active user and the compute steps fill them, then nothing", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 4, 20, 12, 23);
    const zoneOf = (i: number) => ZONES[i % ZONES.length];
    // Every user is on day 2 of their account at the date just closed; all but every tenth
    // logged an energy reading on it.
    for (let firstUser = 0; firstUser < SCALE_USERS; firstUser += 500) {
      await t.run(async (ctx) => {
        for (let i = firstUser; i < firstUser + 500; i++) {
          const tz = zoneOf(i);
          const closed = addDays(localDate(now, tz), -1);
          const userId = await ctx.db.insert(
            "users",
            plainUserDoc(`report_scale_${i}`, { timezone: tz, createdAt: noonOf(addDays(closed, -1), tz) }),
          );
          await ctx.db.insert("dailySchedules", { userId, nextDailyAt: now - HOUR });
          if (i % 10 !== 0) await ctx.db.insert("checkins", energy(userId, noonOf(closed, tz), (i % 10) + 1));
        }
      });
    }
    await rollover(t, now);
    const reports = await rows(t, "reports");
    expect(reports).toHaveLength(SCALE_USERS - SCALE_USERS / 10);
    expect(reports.every((r) => r.type === "two_day" && r.status === "ready" && r.stats?.energy.count === 1)).toBe(true);
    expect(reports.every((r) => r.stats?.consistency === 0 && r.narrativeStatus === "skipped")).toBe(true);
    const states = await jobStates(t);
    expect(Object.keys(states["jobs:dailyRolloverUsers"])).toEqual(["success"]);
    expect(states["reports:compute"]).toEqual({ success: SCALE_USERS - SCALE_USERS / 10 });

    const before = await dump(t, ["reports"]);
    await rollover(t, now + 30 * MINUTE);
    expect(await dump(t, ["reports"])).toEqual(before);
  }, 600_000);
});
