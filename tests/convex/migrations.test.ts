// migrations:quietUsersRow (issue 11): users rows from before the per-user state documents
// carry essence, streak, growth profile and the daily-job bookkeeping themselves. Until the
// migration reaches them they read and write through the legacy fields; the migration copies
// what is missing into the state documents, clears the row, and a second run does nothing.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { LEGACY_USER_STATE_FIELDS } from "../../convex/model/migrations";
import { starByLabel } from "../../convex/model/stars";
import { DAY } from "../../src/time";
import { type Backend, createUser, newBackend, signedIn } from "../setup";
import { insertStars } from "../support/constellation";
import { dump, plainUserDoc, rows, runJob } from "../support/trajectory";
import { growthStateRow, progressStateRow, scheduleRow } from "../support/userState";

afterEach(() => {
  vi.useRealTimers();
});

const NOW = Date.UTC(2026, 5, 10, 9);
const PROFILE = { self_know: 0.5, self_act: 1.25, self_show: 0, world_know: 0.1, world_act: 0, world_show: 2 };

/** A users row as it was stored before issue 11, `i` making its numbers its own. */
function legacyUser(i: number): Omit<Doc<"users">, "_id" | "_creationTime"> {
  return plainUserDoc(`legacy_${i}`, {
    essence: 30 + i,
    streakDays: 4 + i,
    lastActiveDate: "2026-06-09",
    growthProfile: { ...PROFILE, self_know: PROFILE.self_know + i },
    nextDailyAt: Date.UTC(2026, 5, 10) + i * 60_000,
    lastDailyDate: "2026-06-09",
    lifeStatesPrunedAt: NOW - DAY,
  });
}

async function migrate(t: Backend, args: { dryRun?: boolean; pageSize?: number } = {}) {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  const first = await t.mutation(internal.migrations.quietUsersRow, args);
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  vi.useRealTimers();
  return first;
}

const STATE_TABLES = ["users", "growthStates", "progressStates", "dailySchedules"] as const;

describe("migrations:quietUsersRow", () => {
  it("moves each legacy row's state into its documents, keeps newer documents, and runs once", async () => {
    const t = newBackend();
    const legacyIds: Id<"users">[] = await t.run(async (ctx) =>
      Promise.all([0, 1, 2, 3, 4].map((i) => ctx.db.insert("users", legacyUser(i)))),
    );
    const fresh = await createUser(t); // made after the deploy: has its documents already

    // Before the migration, a legacy user reads and writes through the old fields.
    const early = signedIn(t, "legacy_0");
    const before = await early.query(api.users.me, {});
    expect(before).toMatchObject({ essence: 30, streakDays: 4, lastActiveDate: "2026-06-09", growthProfile: PROFILE });
    expect((await early.query(api.growth.profile, {})).dimensions.self_act.score).toBe(1.25);
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 5, 10, 8));
    const mission = await early.mutation(api.missions.create, {
      title: "Walk",
      description: "Ten minutes",
      durationMinutes: 10,
      essenceReward: 5,
      attributeType: "Health",
    });
    const completed = await early.mutation(api.missions.complete, { missionId: mission._id });
    vi.useRealTimers();
    // The documents it writes are created from the legacy numbers: essence 30 + 5.
    expect(completed).toMatchObject({ essence: 35 });
    const growth0 = await growthStateRow(t, legacyIds[0]);
    expect(growth0.growthProfile.self_act).toBeGreaterThan(PROFILE.self_act);
    const answered = await early.query(api.users.me, {});

    // A dry run counts and writes nothing.
    const untouched = await dump(t, STATE_TABLES);
    await migrate(t, { dryRun: true, pageSize: 2 });
    expect(await dump(t, STATE_TABLES)).toEqual(untouched);

    await migrate(t, { pageSize: 2 });
    for (const [i, userId] of legacyIds.entries()) {
      const user = (await rows(t, "users")).find((u) => u._id === userId)!;
      for (const field of LEGACY_USER_STATE_FIELDS) expect(user[field], field).toBeUndefined();
      // legacy_0 completed a mission after the deploy: its documents are newer and are kept.
      expect((await growthStateRow(t, userId)).growthProfile).toEqual(
        i === 0 ? growth0.growthProfile : { ...PROFILE, self_know: PROFILE.self_know + i },
      );
      expect(await scheduleRow(t, userId)).toMatchObject({
        nextDailyAt: Date.UTC(2026, 5, 10) + i * 60_000,
        lastDailyDate: "2026-06-09",
        lifeStatesPrunedAt: NOW - DAY,
      });
      expect(await progressStateRow(t, userId)).toMatchObject(
        i === 0
          ? { essence: 35, streakDays: completed.streakDays, lastActiveDate: "2026-06-10" }
          : { essence: 30 + i, streakDays: 4 + i, lastActiveDate: "2026-06-09" },
      );
    }
    // One of each document per user, the fresh user's untouched.
    for (const table of ["growthStates", "progressStates", "dailySchedules"] as const) {
      expect((await rows(t, table)).map((row) => row.userId).sort(), table).toEqual([...legacyIds, fresh.userId].sort());
    }
    // No answer moves: the documents hold what the row held.
    expect(await early.query(api.users.me, {})).toEqual(answered);
    expect(await signedIn(t, "legacy_3").query(api.users.me, {})).toMatchObject({ essence: 33, streakDays: 7 });

    // Idempotent: a second run changes nothing and reports nothing to move.
    const migrated = await dump(t, STATE_TABLES);
    const again = await t.mutation(internal.migrations.quietUsersRow, {});
    expect(again).toEqual({ isDone: true, totals: { users: 6, documentsCreated: 0, rowsCleared: 0 } });
    expect(await dump(t, STATE_TABLES)).toEqual(migrated);

    // The hourly rollover now finds the migrated users by their schedule.
    await runJob(t, Date.UTC(2026, 5, 10, 0, 23) + DAY, () =>
      t.mutation(internal.jobs.dailyRollover, { now: Date.UTC(2026, 5, 10, 0, 23) + DAY }),
    );
    expect((await rows(t, "lifeStates")).map((s) => s.userId)).toEqual(expect.arrayContaining(legacyIds));
  });

  it("reports its totals over every page", async () => {
    const t = newBackend();
    await t.run(async (ctx) => {
      for (const i of [0, 1, 2]) await ctx.db.insert("users", legacyUser(i));
    });
    const dry = await t.mutation(internal.migrations.quietUsersRow, { dryRun: true });
    expect(dry).toEqual({ isDone: true, totals: { users: 3, documentsCreated: 9, rowsCleared: 3 } });
    const real = await t.mutation(internal.migrations.quietUsersRow, { pageSize: 5 });
    expect(real).toEqual(dry);
    await expect(t.mutation(internal.migrations.quietUsersRow, { pageSize: 0 })).rejects.toThrow(/pageSize/);
  });
});

// migrations:renormalizeStarLabels (issue 14): stars stored before normalizeLabel ignored
// spacing and punctuation carry old-style labels ("mom s advice"); the migration recomputes
// them, never merges two stars, and a second run writes nothing.
describe("migrations:renormalizeStarLabels", () => {
  async function renormalize(t: Backend, args: { dryRun?: boolean; pageSize?: number } = {}) {
    vi.useFakeTimers();
    const first = await t.mutation(internal.migrations.renormalizeStarLabels, args);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    vi.useRealTimers();
    return first;
  }
  const labels = async (t: Backend) =>
    Object.fromEntries((await rows(t, "stars")).map((star) => [star._id, star.normalizedLabel]));

  it("recomputes old-style labels, keeps a twin's label, pages, has a dry run and runs once", async () => {
    const t = newBackend();
    const { userId: ana } = await createUser(t);
    const { userId: ben } = await createUser(t);
    // Oldest first: the migration pages in creation order, so the older twin takes the label.
    const [advice, adviceTwin, doom, sleep, lateNight, lateNightNew] = await insertStars(t, ana, [
      { label: "Mom's Advice", normalizedLabel: "mom s advice" },
      { label: "moms advice", normalizedLabel: "moms advice" },
      { label: "Doom-Scrolling", normalizedLabel: "doom-scrolling" },
      { label: "sleep", normalizedLabel: "sleep" },
      { label: "Late Night", normalizedLabel: "late night" },
      // Extracted after the deploy with the new normalizer: it holds the label already.
      { label: "late-night", normalizedLabel: "latenight" },
    ]);
    const [benAdvice] = await insertStars(t, ben, [{ label: "Mom's advice", normalizedLabel: "mom s advice" }]);
    const before = await dump(t, ["stars"]);
    const seeded = await rows(t, "stars");

    // Dry run: every page counted, nothing written.
    const dry = await renormalize(t, { dryRun: true, pageSize: 2 });
    expect(dry.isDone).toBe(false);
    expect(await dump(t, ["stars"])).toEqual(before);
    const dryTotals = await t.mutation(internal.migrations.renormalizeStarLabels, { dryRun: true });
    expect(dryTotals).toEqual({ isDone: true, totals: { read: 7, changed: 3, kept: 2 } });
    expect(await dump(t, ["stars"])).toEqual(before);

    // The real run, two stars a transaction (four pages through the scheduler).
    expect(await renormalize(t, { pageSize: 2 })).toEqual({
      isDone: false,
      totals: { read: 2, changed: 1, kept: 1 },
    });
    expect(await labels(t)).toEqual({
      [advice]: "momsadvice",
      [adviceTwin]: "moms advice", // the newer twin keeps its label: no merge
      [doom]: "doomscrolling",
      [sleep]: "sleep",
      [lateNight]: "late night", // the post-deploy star holds "latenight"
      [lateNightNew]: "latenight",
      [benAdvice]: "momsadvice", // another user's label is no twin
    });
    // Only normalizedLabel moved: label, theta and every other field are as they were.
    const after = await rows(t, "stars");
    for (const star of after) {
      const old = seeded.find((s) => s._id === star._id);
      expect({ ...star, normalizedLabel: undefined }).toEqual({ ...old, normalizedLabel: undefined });
    }
    // (user, normalizedLabel) stays unique, so the extraction's dedupe lookup finds the older star.
    expect((await t.run(async (ctx) => await starByLabel(ctx, ana, "momsadvice")))?._id).toBe(advice);

    // Idempotent: a second run counts the kept twins again and writes nothing.
    const migrated = await dump(t, ["stars"]);
    expect(await t.mutation(internal.migrations.renormalizeStarLabels, {})).toEqual({
      isDone: true,
      totals: { read: 7, changed: 0, kept: 2 },
    });
    expect(await dump(t, ["stars"])).toEqual(migrated);
    await expect(t.mutation(internal.migrations.renormalizeStarLabels, { pageSize: 0 })).rejects.toThrow(/pageSize/);
  });
});
