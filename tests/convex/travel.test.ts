// Travel-safe days (issue 19): the hourly rollover stepped through simulated days while the
// user changes zone (docs/mechanics.md "Day resets and time-zone changes"). Crons do not run
// under convex-test, so every hour calls the cron's target at hh:23 UTC, as crons.ts does.
// Covered: a no-op re-send of the same zone at every hour of a day, west → east (a reset due
// at once, velocity stepped on time), east → west (no date repeated), the ±25-hour jumps, a
// second experiment offer on a closed date, a stale zone in a batch of 50, and one failing
// user in a rollover batch of 50 and in a LifeState prune batch.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { HOUR, MINUTE, startOfLocalDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { startOpenAIServer, type OpenAIServer } from "../support/openaiServer";
import { experimentDoc, insertJourney, jobStates, journeyRow, plainUserDoc, rows, runJob } from "../support/trajectory";
import { patchSchedule, scheduleRow } from "../support/userState";

const MODEL_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"] as const;
const savedEnv = Object.fromEntries(MODEL_ENV.map((key) => [key, process.env[key]]));
let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const key of MODEL_ENV) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

/** Runs the hourly rollover at every hh:23 UTC in (from, to]. */
async function hourly(t: Backend, from: number, to: number) {
  let tick = Math.floor(from / HOUR) * HOUR + 23 * MINUTE;
  if (tick <= from) tick += HOUR;
  for (; tick <= to; tick += HOUR) {
    const now = tick;
    await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
  }
}

/** Calls `fn` with the clock at `now` (mutations read Date.now()). */
async function at<T>(now: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers();
  vi.setSystemTime(now);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

async function moveTo(user: TestUser, timezone: string, now: number) {
  await at(now, () => user.as.mutation(api.users.updateSettings, { timezone }));
}

/** A user in `timezone` whose last reset was `lastResetDate` (the next one due at the start of the day after). */
async function travellerIn(t: Backend, timezone: string, lastResetDate: string, nextDate: string) {
  const user = await createUser(t, { timezone });
  await t.run(async (ctx) =>
    patchSchedule(ctx, user.userId, {
      lastResetDate,
      lastDailyDate: lastResetDate,
      nextDailyAt: startOfLocalDate(nextDate, timezone),
    }),
  );
  return user;
}

/** The user's daily snapshots, oldest first: [localDate, ISO instant]. */
async function dailySnapshots(t: Backend, userId: Id<"users">) {
  return (await rows(t, "lifeStates"))
    .filter((s) => s.userId === userId && s.source === "daily")
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((s) => [s.localDate, new Date(s.timestamp).toISOString()]);
}

describe("a re-sent zone", () => {
  it("re-sending Asia/Tokyo at hh:10 of every hour of a day, before each run, skips and repeats no date", async () => {
    const t = newBackend();
    const tz = "Asia/Tokyo";
    const user = await travellerIn(t, tz, "2026-05-11", "2026-05-12");
    const dayStart = startOfLocalDate("2026-05-12", tz); // 05-11 15:00Z
    for (let hour = 0; hour < 24; hour++) {
      const hourStart = dayStart + hour * HOUR;
      // 00:10 is the case of the issue: the date has turned, the hourly run has not come yet.
      await moveTo(user, tz, hourStart + 10 * MINUTE);
      if (hour === 0) expect((await scheduleRow(t, user.userId)).nextDailyAt).toBe(dayStart);
      await hourly(t, hourStart + 10 * MINUTE, hourStart + 30 * MINUTE);
    }
    await hourly(t, dayStart + 24 * HOUR, startOfLocalDate("2026-05-14", tz) + HOUR);
    expect(await dailySnapshots(t, user.userId)).toEqual([
      ["2026-05-12", "2026-05-11T15:23:00.000Z"],
      ["2026-05-13", "2026-05-12T15:23:00.000Z"],
      ["2026-05-14", "2026-05-13T15:23:00.000Z"],
    ]);
    expect(await scheduleRow(t, user.userId)).toMatchObject({
      lastResetDate: "2026-05-14",
      lastDailyDate: "2026-05-14",
      nextDailyAt: startOfLocalDate("2026-05-15", tz),
    });
  });
});

describe("west to east", () => {
  it("Los Angeles to Tokyo at 12:00 PDT: the Tokyo date is snapshotted at the next run and velocity steps then, not 22 hours late", async () => {
    const t = newBackend();
    const user = await travellerIn(t, "America/Los_Angeles", "2026-05-11", "2026-05-12");
    const journeyId = await insertJourney(t, user.userId, { lastVelocityDate: "2026-05-10" });
    await t.run(async (ctx) => {
      const offeredAt = Date.UTC(2026, 4, 11, 16); // 09:00 PDT
      await ctx.db.insert(
        "experiments",
        experimentDoc(user.userId, journeyId, {
          offeredAt,
          offeredDate: "2026-05-11",
          expiresAt: Date.UTC(2026, 4, 12, 7),
          status: "completed",
        }),
      );
    });
    const noon = Date.UTC(2026, 4, 11, 19); // 12:00 PDT = 05-12 04:00 JST
    await moveTo(user, "Asia/Tokyo", noon);
    expect((await scheduleRow(t, user.userId)).nextDailyAt).toBe(startOfLocalDate("2026-05-12", "Asia/Tokyo"));
    await hourly(t, noon, noon + 30 * MINUTE);
    expect(await dailySnapshots(t, user.userId)).toEqual([["2026-05-12", "2026-05-11T19:23:00.000Z"]]);
    // 05-11 closed with its one offer completed: v = 0.3, m = 0.3.
    expect(await journeyRow(t, journeyId)).toMatchObject({ velocity: 0.3, momentum: 0.3, lastVelocityDate: "2026-05-11" });
    await hourly(t, noon + 30 * MINUTE, startOfLocalDate("2026-05-13", "Asia/Tokyo") + HOUR);
    expect(await dailySnapshots(t, user.userId)).toEqual([
      ["2026-05-12", "2026-05-11T19:23:00.000Z"],
      ["2026-05-13", "2026-05-12T15:23:00.000Z"],
    ]);
    // 05-12 had no offer: skipped, velocity unchanged.
    expect(await journeyRow(t, journeyId)).toMatchObject({ velocity: 0.3, lastVelocityDate: "2026-05-12" });
  });
});

describe("east to west", () => {
  it("Kiritimati (UTC+14) to Pago Pago (UTC−11) just after midnight: 05-12, 05-13, 05-14, no date twice", async () => {
    const t = newBackend();
    const user = await travellerIn(t, "Pacific/Kiritimati", "2026-05-11", "2026-05-12");
    const journeyId = await insertJourney(t, user.userId, { lastVelocityDate: "2026-05-10" });
    const midnight = startOfLocalDate("2026-05-12", "Pacific/Kiritimati"); // 05-11 10:00Z
    await hourly(t, midnight - HOUR, midnight + 30 * MINUTE);
    // 00:30 in Kiritimati is 05-10 23:30 in Pago Pago: 05-11 and 05-12 come round again there.
    await moveTo(user, "Pacific/Pago_Pago", midnight + 30 * MINUTE);
    expect((await scheduleRow(t, user.userId)).nextDailyAt).toBe(startOfLocalDate("2026-05-13", "Pacific/Pago_Pago"));
    await hourly(t, midnight + 30 * MINUTE, startOfLocalDate("2026-05-14", "Pacific/Pago_Pago") + HOUR);
    expect(await dailySnapshots(t, user.userId)).toEqual([
      ["2026-05-12", "2026-05-11T10:23:00.000Z"],
      ["2026-05-13", "2026-05-13T11:23:00.000Z"],
      ["2026-05-14", "2026-05-14T11:23:00.000Z"],
    ]);
    expect((await journeyRow(t, journeyId)).lastVelocityDate).toBe("2026-05-13");
  });
});

describe("the ±25-hour jumps", () => {
  it("Pago Pago to Kiritimati resets at once (05-12 was never lived), and back again waits for 05-15", async () => {
    const t = newBackend();
    const user = await travellerIn(t, "Pacific/Pago_Pago", "2026-05-11", "2026-05-12");
    const journeyId = await insertJourney(t, user.userId, { lastVelocityDate: "2026-05-10" });
    await t.run(async (ctx) => {
      await ctx.db.insert(
        "experiments",
        experimentDoc(user.userId, journeyId, {
          offeredAt: Date.UTC(2026, 4, 11, 20), // 05-11 09:00 in Pago Pago
          offeredDate: "2026-05-11",
          expiresAt: startOfLocalDate("2026-05-12", "Pacific/Pago_Pago"),
          status: "completed",
        }),
      );
    });
    const east = Date.UTC(2026, 4, 12, 10, 30); // 05-11 23:30 in Pago Pago = 05-13 00:30 in Kiritimati
    await hourly(t, east - 2 * HOUR, east);
    await moveTo(user, "Pacific/Kiritimati", east);
    await hourly(t, east, east + HOUR); // the next run, 11:23Z
    expect(await dailySnapshots(t, user.userId)).toEqual([["2026-05-13", "2026-05-12T11:23:00.000Z"]]);
    // 05-11 (rate 1) and 05-12 (no offer, skipped) closed in one step, each once.
    expect(await journeyRow(t, journeyId)).toMatchObject({ velocity: 0.3, momentum: 0.3, lastVelocityDate: "2026-05-12" });

    await hourly(t, east + HOUR, startOfLocalDate("2026-05-14", "Pacific/Kiritimati") + 2 * HOUR);
    const west = startOfLocalDate("2026-05-14", "Pacific/Kiritimati") + 2 * HOUR; // 05-13 01:00 in Pago Pago
    await moveTo(user, "Pacific/Pago_Pago", west);
    expect((await scheduleRow(t, user.userId)).nextDailyAt).toBe(startOfLocalDate("2026-05-15", "Pacific/Pago_Pago"));
    await hourly(t, west, startOfLocalDate("2026-05-15", "Pacific/Pago_Pago") + HOUR);
    expect(await dailySnapshots(t, user.userId)).toEqual([
      ["2026-05-13", "2026-05-12T11:23:00.000Z"],
      ["2026-05-14", "2026-05-13T10:23:00.000Z"],
      ["2026-05-15", "2026-05-15T11:23:00.000Z"],
    ]);
    expect((await journeyRow(t, journeyId)).lastVelocityDate).toBe("2026-05-14");
  });
});

describe("experiment offers after a move west", () => {
  it("an offer on 05-12 in Tokyo, then Los Angeles (still 05-11, velocity stepped): CONFLICT until 05-13", async () => {
    process.env.OPENAI_API_KEY = "sk-test";
    process.env.OPENAI_BASE_URL = server.baseURL;
    delete process.env.OPENAI_MODEL;
    const t = newBackend();
    const user = await travellerIn(t, "Asia/Tokyo", "2026-05-11", "2026-05-12");
    const journeyId = await insertJourney(t, user.userId, { lastVelocityDate: "2026-05-10" });
    await hourly(t, Date.UTC(2026, 4, 11, 15), Date.UTC(2026, 4, 11, 15, 30)); // Tokyo's 05-12 reset
    expect((await journeyRow(t, journeyId)).lastVelocityDate).toBe("2026-05-11");
    // The scheduled generator never runs here (fake clock); the offer stays reserved.
    const offerAt = async (now: number) => await at(now, () => user.as.mutation(api.experiments.offerToday, { journeyId }));
    expect(await offerAt(Date.UTC(2026, 4, 11, 16))).toEqual({ offeredDate: "2026-05-12" });
    await moveTo(user, "America/Los_Angeles", Date.UTC(2026, 4, 11, 16, 30)); // 05-11 09:30 PDT
    await expectConvexError(offerAt(Date.UTC(2026, 4, 11, 17)), "CONFLICT"); // 05-11: closed
    await expectConvexError(offerAt(Date.UTC(2026, 4, 12, 17)), "CONFLICT"); // 05-12: offered in Tokyo
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBe("2026-05-12");
    expect(await offerAt(Date.UTC(2026, 4, 13, 16))).toEqual({ offeredDate: "2026-05-13" });
    expect(await jobStates(t)).toMatchObject({ "experiments:generate": { pending: 2 } });
  });
});

describe("a stale zone", () => {
  it("computes in UTC, is flagged on users.me, and neither stops a batch of 50 nor a mission", async () => {
    const t = newBackend();
    const stale = await createUser(t);
    const now = Date.UTC(2026, 6, 15, 0, 23);
    const userIds = await t.run(async (ctx) => {
      // A zone name the runtime no longer knows (retired from the time-zone database).
      await ctx.db.patch("users", stale.userId, { timezone: "Asia/Riyadh87" });
      await patchSchedule(ctx, stale.userId, { nextDailyAt: Date.UTC(2026, 6, 15), lastResetDate: "2026-07-14" });
      const ids = [stale.userId];
      for (let i = 1; i < 50; i++) {
        const userId = await ctx.db.insert("users", plainUserDoc(`user_batch${i}`, { timezone: "Asia/Kolkata" }));
        await ctx.db.insert("dailySchedules", { userId, nextDailyAt: Date.UTC(2026, 6, 14, 18, 30), lastResetDate: "2026-07-14" });
        ids.push(userId);
      }
      return ids;
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
    expect(await jobStates(t)).toEqual({ "jobs:dailyRolloverUsers": { success: 1 } });
    const snapshots = (await rows(t, "lifeStates")).filter((s) => s.source === "daily");
    expect(snapshots.map((s) => s.userId).sort()).toEqual([...userIds].sort());
    expect(snapshots.every((s) => s.localDate === "2026-07-15")).toBe(true);
    expect(await scheduleRow(t, stale.userId)).toMatchObject({ lastResetDate: "2026-07-15", nextDailyAt: Date.UTC(2026, 6, 16) });
    expect(warn).toHaveBeenCalledWith(JSON.stringify({ job: "jobs:rollOverUser", item: stale.userId, staleZone: true }));

    // The user's own calls work, in UTC, and the app can ask them to choose again.
    expect(await stale.as.query(api.users.me, {})).toMatchObject({ timezone: "Asia/Riyadh87", timezoneInvalid: true });
    const mission = await stale.as.mutation(api.missions.create, {
      title: "Walk for 30 minutes",
      description: "Around the park",
      durationMinutes: 30,
      essenceReward: 10,
      attributeType: "Health",
    });
    await at(Date.UTC(2026, 6, 15, 22), () => stale.as.mutation(api.missions.complete, { missionId: mission._id }));
    expect(await stale.as.query(api.progress.today, { now: Date.UTC(2026, 6, 15, 22) })).toMatchObject({
      localDate: "2026-07-15",
      resetsAt: Date.UTC(2026, 6, 16),
    });
    // updateSettings still refuses an unknown zone; a good one clears the flag.
    await expectConvexError(stale.as.mutation(api.users.updateSettings, { timezone: "Asia/Riyadh87" }), "INVALID_ARGUMENT");
    const view = await stale.as.mutation(api.users.updateSettings, { timezone: "Europe/Paris" });
    expect(view.timezoneInvalid).toBe(false);
  });
});

describe("one failing user in a batch", () => {
  it("is rolled back and logged without content; the other 49 roll over", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 6, 15, 0, 23);
    const { userIds, broken } = await t.run(async (ctx) => {
      const ids: Id<"users">[] = [];
      for (let i = 0; i < 50; i++) {
        const userId = await ctx.db.insert("users", plainUserDoc(`user_iso${i}`));
        await ctx.db.insert("dailySchedules", { userId, nextDailyAt: Date.UTC(2026, 6, 15), lastResetDate: "2026-07-14" });
        ids.push(userId);
      }
      // A row old code could have written: a journey whose start is not a time (localDate throws a RangeError).
      await ctx.db.insert("journeys", {
        userId: ids[17],
        status: "walking",
        northStar: { description: "Run", successCriteria: "", timeframe: "1_year" },
        domainWeights: { health: 1, wealth: 0, relationships: 0, purpose: 0, soul: 0 },
        milestones: [{ id: "m1", title: "Run 5 km" }],
        velocity: 0,
        momentum: 0,
        createdAt: Number.NaN,
        startedAt: Number.NaN,
      });
      return { userIds: ids, broken: ids[17] };
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
    expect(await jobStates(t)).toEqual({ "jobs:dailyRolloverUsers": { success: 1 } });
    const snapshotted = (await rows(t, "lifeStates")).map((s) => s.userId);
    expect(snapshotted.sort()).toEqual(userIds.filter((id) => id !== broken).sort());
    // The RangeError crosses the sub-transaction as a plain Error (its message is never logged).
    expect(error).toHaveBeenCalledWith(JSON.stringify({ job: "jobs:dailyRolloverUsers", item: broken, failed: "Error" }));
    // Its writes rolled back: still due, tried again at the next run.
    expect(await scheduleRow(t, broken)).toMatchObject({ lastResetDate: "2026-07-14", nextDailyAt: Date.UTC(2026, 6, 15) });
  });
});

describe("one failing user in a LifeState prune batch", () => {
  it("is rolled back and logged; the others are pruned", async () => {
    const t = newBackend();
    const now = Date.UTC(2026, 6, 15, 4, 47);
    const snapshot = (userId: Id<"users">, timestamp: number, localDate: string) => ({
      userId,
      timestamp,
      localDate,
      source: "daily" as const,
      thrust: 0,
      alignment: 0,
      gravity: 0,
      mass: 0,
      escapeIndex: 0,
      latent: [],
    });
    const { userIds, broken } = await t.run(async (ctx) => {
      const ids: Id<"users">[] = [];
      for (let i = 0; i < 5; i++) {
        const userId = await ctx.db.insert("users", plainUserDoc(`user_prune${i}`));
        // Two snapshots of one date 30 days ago: the earlier one is dropped (MECHANICS §7).
        await ctx.db.insert("lifeStates", snapshot(userId, Date.UTC(2026, 5, 15, 1), "2026-06-15"));
        await ctx.db.insert("lifeStates", snapshot(userId, Date.UTC(2026, 5, 15, 2), "2026-06-15"));
        ids.push(userId);
      }
      // A snapshot whose local date old code wrote malformed (isoWeek throws on it).
      await ctx.db.insert("lifeStates", snapshot(ids[2], Date.UTC(2025, 5, 1), "June 1st"));
      return { userIds: ids, broken: ids[2] };
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    await runJob(t, now, () => t.mutation(internal.jobs.pruneLifeStates, { now }));
    const left = await rows(t, "lifeStates");
    for (const userId of userIds) {
      expect(left.filter((s) => s.userId === userId).length, userId).toBe(userId === broken ? 3 : 1);
    }
    expect(error).toHaveBeenCalledWith(JSON.stringify({ job: "jobs:pruneLifeStatesUsers", item: broken, failed: "Error" }));
  });
});
