import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { MissionAttribute, MissionStatus } from "../../src/domain";
import { type Backend, type TestUser, countRows, createUser, expectConvexError, newBackend } from "../setup";
import { progressStateRow } from "../support/userState";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-06-01T12:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

const MISSION = {
  title: "Write for 30 minutes",
  description: "Morning pages",
  durationMinutes: 30,
  essenceReward: 10,
  attributeType: "Growth" as MissionAttribute,
};

async function newMission(user: TestUser, overrides: Partial<typeof MISSION> = {}) {
  return await user.as.mutation(api.missions.create, { ...MISSION, ...overrides });
}

/** Creates and completes a mission at the instant `iso` (an ISO string with its offset). */
async function completeAt(user: TestUser, iso: string, overrides: Partial<typeof MISSION> = {}) {
  vi.setSystemTime(new Date(iso));
  const mission = await newMission(user, overrides);
  return await user.as.mutation(api.missions.complete, { missionId: mission._id });
}

/** The user's essence and stored streak (their progressStates row). */
async function progressRow(t: Backend, userId: Id<"users">) {
  return await progressStateRow(t, userId);
}

async function dayRows(t: Backend, userId: Id<"users">) {
  const rows = await t.run(async (ctx) =>
    ctx.db
      .query("dailyProgress")
      .withIndex("by_user_date", (q) => q.eq("userId", userId))
      .collect(),
  );
  return rows.map((r) => ({ date: r.localDate, missions: r.missionsCompleted, streak: r.streakDays }));
}

describe("missions.create", () => {
  it("creates a pending mission with trimmed text", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const mission = await newMission(user, { title: "  Run 5k  ", durationMinutes: 600, essenceReward: 1000 });
    expect(mission).toMatchObject({ title: "Run 5k", status: "pending", durationMinutes: 600, essenceReward: 1000 });
    expect(mission.createdAt).toBe(Date.parse("2025-06-01T12:00:00Z"));
  });

  it.each([
    [{ title: "   " }, "title"],
    [{ title: "x".repeat(201) }, "title"],
    [{ description: "x".repeat(2001) }, "description"],
    [{ durationMinutes: 0 }, "durationMinutes"],
    [{ durationMinutes: 601 }, "durationMinutes"],
    [{ durationMinutes: 12.5 }, "durationMinutes"],
    [{ essenceReward: -1 }, "essenceReward"],
    [{ essenceReward: 1001 }, "essenceReward"],
    [{ essenceReward: Number.NaN }, "essenceReward"],
  ])("refuses %j with INVALID_ARGUMENT naming %s", async (patch, field) => {
    const t = newBackend();
    const user = await createUser(t);
    const error = await expectConvexError(newMission(user, patch), "INVALID_ARGUMENT");
    expect(error.message).toContain(field);
    expect(await countRows(t, "missions")).toBe(0);
  });
});

describe("the mission status machine", () => {
  const ACTIONS = ["start", "complete", "fail"] as const;
  // MECHANICS §5: pending → active → completed | failed, and pending → completed.
  const ALLOWED: Record<MissionStatus, Record<(typeof ACTIONS)[number], MissionStatus | null>> = {
    pending: { start: "active", complete: "completed", fail: null },
    active: { start: null, complete: "completed", fail: "failed" },
    completed: { start: null, complete: null, fail: null },
    failed: { start: null, complete: null, fail: null },
  };

  async function missionIn(user: TestUser, status: MissionStatus) {
    const mission = await newMission(user);
    if (status === "active" || status === "failed") await user.as.mutation(api.missions.start, { missionId: mission._id });
    if (status === "failed") await user.as.mutation(api.missions.fail, { missionId: mission._id });
    if (status === "completed") await user.as.mutation(api.missions.complete, { missionId: mission._id });
    return mission._id;
  }

  for (const from of Object.keys(ALLOWED) as MissionStatus[]) {
    for (const action of ACTIONS) {
      const to = ALLOWED[from][action];
      it(`${from} + ${action} → ${to ?? "INVALID_TRANSITION"}`, async () => {
        const t = newBackend();
        const user = await createUser(t);
        const missionId = await missionIn(user, from);
        const before = await t.run(async (ctx) => ctx.db.get("missions", missionId));
        const call = user.as.mutation(api.missions[action], { missionId });
        if (to === null) {
          await expectConvexError(call, "INVALID_TRANSITION");
          expect(await t.run(async (ctx) => ctx.db.get("missions", missionId))).toEqual(before);
        } else {
          const result = await call;
          const view = "mission" in result ? result.mission : result;
          expect(view.status).toBe(to);
        }
      });
    }
  }

  it("records when each move happened", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const a = await newMission(user);
    vi.setSystemTime(new Date("2025-06-01T12:05:00Z"));
    expect((await user.as.mutation(api.missions.start, { missionId: a._id })).startedAt).toBe(Date.parse("2025-06-01T12:05:00Z"));
    vi.setSystemTime(new Date("2025-06-01T12:35:00Z"));
    expect((await user.as.mutation(api.missions.fail, { missionId: a._id })).failedAt).toBe(Date.parse("2025-06-01T12:35:00Z"));
  });
});

describe("missions.complete", () => {
  it("awards essence once, writes one growth event and books the day", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const mission = await newMission(user, { durationMinutes: 45, essenceReward: 25, attributeType: "Craft" });
    await user.as.mutation(api.missions.start, { missionId: mission._id });
    const result = await user.as.mutation(api.missions.complete, { missionId: mission._id });
    expect(result).toMatchObject({ essenceAwarded: 25, essence: 25, localDate: "2025-06-01", streakDays: 1 });
    expect(result.day).toEqual({ missionsCompleted: 1, minutesCompleted: 45, essenceEarned: 25, dciScore: 0.75, streakDays: 1 });

    await expectConvexError(user.as.mutation(api.missions.complete, { missionId: mission._id }), "INVALID_TRANSITION");
    expect((await progressRow(t, user.userId)).essence).toBe(25);
    expect(await countRows(t, "growthEvents")).toBe(1);
    expect(await dayRows(t, user.userId)).toEqual([{ date: "2025-06-01", missions: 1, streak: 1 }]);

    // Craft → world_act, 0.1 · min(3, 45/30).
    const growth = await user.as.query(api.growth.entity, { entityType: "mission", entityId: mission._id });
    expect(growth.scores.world_act).toBeCloseTo(0.15, 15);
    expect(growth).toMatchObject({ lastSource: "mission_completed", evolutionState: "sprout", eventCount: 1 });
    expect((await user.as.query(api.growth.profile, {})).dimensions.world_act.score).toBeCloseTo(0.15, 15);
  });

  it("adds up a day's completions; DCI uses the user's capacity and stops at 1", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await user.as.mutation(api.users.updateSettings, { dailyCapacityMinutes: 90 });
    await completeAt(user, "2025-06-01T08:00:00Z", { durationMinutes: 30, essenceReward: 5 });
    const second = await completeAt(user, "2025-06-01T09:00:00Z", { durationMinutes: 45, essenceReward: 7 });
    expect(second.day).toEqual({ missionsCompleted: 2, minutesCompleted: 75, essenceEarned: 12, dciScore: 75 / 90, streakDays: 1 });
    const third = await completeAt(user, "2025-06-01T10:00:00Z", { durationMinutes: 60, essenceReward: 0 });
    expect(third.day.dciScore).toBe(1);
    expect(third.essence).toBe(12);
    const today = await user.as.query(api.progress.today, { now: Date.parse("2025-06-01T23:00:00Z") });
    expect(today).toMatchObject({ localDate: "2025-06-01", dailyCapacityMinutes: 90, day: third.day });
    expect(today.resetsAt).toBe(Date.parse("2025-06-02T00:00:00Z"));
  });
});

describe("daily progress and streaks in the user's time zone", () => {
  it.each([
    // A completion just before and just after local midnight: two local dates, a 2-day streak.
    // Each pair falls on one UTC date, so a UTC day would count one day.
    ["Asia/Tokyo", "2025-06-02T23:50:00+09:00", "2025-06-03T00:10:00+09:00", ["2025-06-02", "2025-06-03"]],
    ["America/Los_Angeles", "2025-06-02T23:50:00-07:00", "2025-06-03T00:10:00-07:00", ["2025-06-02", "2025-06-03"]],
    ["Europe/London", "2025-06-02T23:50:00+01:00", "2025-06-03T00:10:00+01:00", ["2025-06-02", "2025-06-03"]],
  ])("%s: local midnight separates the days", async (timezone, before, after, dates) => {
    const t = newBackend();
    const user = await createUser(t, { timezone });
    const first = await completeAt(user, before);
    const second = await completeAt(user, after);
    expect([first.localDate, second.localDate]).toEqual(dates);
    expect([first.streakDays, second.streakDays]).toEqual([1, 2]);
    expect(await dayRows(t, user.userId)).toEqual([
      { date: dates[0], missions: 1, streak: 1 },
      { date: dates[1], missions: 1, streak: 2 },
    ]);
    expect(await progressRow(t, user.userId)).toMatchObject({ streakDays: 2, lastActiveDate: dates[1] });
  });

  it("the same instant is a different local date in Tokyo and Los Angeles", async () => {
    const t = newBackend();
    const tokyo = await createUser(t, { timezone: "Asia/Tokyo" });
    const la = await createUser(t, { timezone: "America/Los_Angeles" });
    const instant = "2025-06-02T16:00:00Z"; // Tokyo 01:00 on the 3rd, Los Angeles 09:00 on the 2nd
    expect((await completeAt(tokyo, instant)).localDate).toBe("2025-06-03");
    expect((await completeAt(la, instant)).localDate).toBe("2025-06-02");
    const now = Date.parse(instant);
    expect((await tokyo.as.query(api.progress.today, { now })).resetsAt).toBe(Date.parse("2025-06-03T15:00:00Z"));
    expect((await la.as.query(api.progress.today, { now })).resetsAt).toBe(Date.parse("2025-06-03T07:00:00Z"));
  });

  it("Los Angeles spring-forward: the 23-hour day and the next midnight in PDT", async () => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "America/Los_Angeles" });
    await completeAt(user, "2025-03-08T23:30:00-08:00"); // Saturday, PST
    await completeAt(user, "2025-03-09T01:30:00-08:00"); // Sunday before the jump
    await completeAt(user, "2025-03-09T23:30:00-07:00"); // Sunday after the jump (PDT)
    // 00:30 PDT on Monday: a fixed −8 h offset would still call it Sunday 23:30.
    const monday = await completeAt(user, "2025-03-10T00:30:00-07:00");
    expect(monday).toMatchObject({ localDate: "2025-03-10", streakDays: 3 });
    expect(await dayRows(t, user.userId)).toEqual([
      { date: "2025-03-08", missions: 1, streak: 1 },
      { date: "2025-03-09", missions: 2, streak: 2 },
      { date: "2025-03-10", missions: 1, streak: 3 },
    ]);
    // Sunday's midnight comes 23 hours after Saturday's.
    const saturday = await user.as.query(api.progress.today, { now: Date.parse("2025-03-08T12:00:00-08:00") });
    const sunday = await user.as.query(api.progress.today, { now: Date.parse("2025-03-09T12:00:00-07:00") });
    expect(sunday.resetsAt - saturday.resetsAt).toBe(23 * 3_600_000);
  });

  it("London fall-back: 00:30 BST on the change day is that local date, not the UTC one", async () => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "Europe/London" });
    await completeAt(user, "2025-10-25T12:00:00+01:00");
    const changeDay = await completeAt(user, "2025-10-26T00:30:00+01:00"); // 23:30 UTC on the 25th
    expect(changeDay).toMatchObject({ localDate: "2025-10-26", streakDays: 2 });
    const late = await completeAt(user, "2025-10-26T23:30:00+00:00"); // GMT now; same local date
    expect(late).toMatchObject({ localDate: "2025-10-26", streakDays: 2 });
    expect(late.day.missionsCompleted).toBe(2);
    const next = await completeAt(user, "2025-10-27T00:10:00+00:00");
    expect(next).toMatchObject({ localDate: "2025-10-27", streakDays: 3 });
  });

  it("progress.streak reads 0 once a whole local day passed without a completion; the next completion restarts at 1", async () => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "Asia/Tokyo" });
    await completeAt(user, "2025-06-01T10:00:00+09:00");
    await completeAt(user, "2025-06-02T10:00:00+09:00");
    const read = (iso: string) => user.as.query(api.progress.streak, { now: Date.parse(iso) });
    expect(await read("2025-06-02T23:59:00+09:00")).toMatchObject({ streakDays: 2, localDate: "2025-06-02", lastActiveDate: "2025-06-02" });
    expect((await read("2025-06-03T23:59:00+09:00")).streakDays).toBe(2); // yesterday counts: still alive
    expect(await read("2025-06-04T00:00:00+09:00")).toMatchObject({ streakDays: 0, localDate: "2025-06-04" });
    const again = await completeAt(user, "2025-06-04T08:00:00+09:00");
    expect(again.streakDays).toBe(1);
    expect((await read("2025-06-04T09:00:00+09:00")).streakDays).toBe(1);
    expect((await progressRow(t, user.userId)).streakDays).toBe(1);
  });

  it("progress.history returns the rows of the last `days` local dates, oldest first", async () => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "America/Los_Angeles" });
    for (const day of ["2025-05-28", "2025-05-30", "2025-05-31", "2025-06-01"]) await completeAt(user, `${day}T09:00:00-07:00`);
    const now = Date.parse("2025-06-01T20:00:00-07:00"); // already June 2nd in UTC
    const three = await user.as.query(api.progress.history, { now, days: 3 });
    expect(three.map((d) => [d.localDate, d.streakDays])).toEqual([
      ["2025-05-30", 1],
      ["2025-05-31", 2],
      ["2025-06-01", 3],
    ]);
    expect(await user.as.query(api.progress.history, { now, days: 1 })).toHaveLength(1);
    expect(await user.as.query(api.progress.history, { now, days: 366 })).toHaveLength(4);
    for (const days of [0, 367, 2.5]) {
      await expectConvexError(user.as.query(api.progress.history, { now, days }), "INVALID_ARGUMENT");
    }
    await expectConvexError(user.as.query(api.progress.today, { now: Number.NaN }), "INVALID_ARGUMENT");
    await expectConvexError(user.as.query(api.progress.streak, { now: -1 }), "INVALID_ARGUMENT");
  });

  it("progress.today is zeros before the first completion", async () => {
    const t = newBackend();
    const user = await createUser(t);
    expect(await user.as.query(api.progress.today, { now: Date.parse("2025-06-01T12:00:00Z") })).toEqual({
      localDate: "2025-06-01",
      resetsAt: Date.parse("2025-06-02T00:00:00Z"),
      dailyCapacityMinutes: 60,
      day: { missionsCompleted: 0, minutesCompleted: 0, essenceEarned: 0, dciScore: 0, streakDays: 0 },
    });
    expect(await user.as.query(api.progress.streak, { now: Date.now() })).toEqual({
      streakDays: 0,
      localDate: "2025-06-01",
      resetsAt: Date.parse("2025-06-02T00:00:00Z"),
    });
  });
});

describe("missions.list", () => {
  it("pages the caller's missions newest first, optionally by status", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const other = await createUser(t);
    const ids: Id<"missions">[] = [];
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(Date.parse("2025-06-01T12:00:00Z") + i * 60_000);
      ids.push((await newMission(user, { title: `m${i}` }))._id);
    }
    await newMission(other, { title: "not yours" });
    await user.as.mutation(api.missions.start, { missionId: ids[1] });
    await user.as.mutation(api.missions.start, { missionId: ids[3] });
    await user.as.mutation(api.missions.complete, { missionId: ids[4] });

    const first = await user.as.query(api.missions.list, { paginationOpts: { numItems: 3, cursor: null } });
    expect(first.page.map((m) => m.title)).toEqual(["m4", "m3", "m2"]);
    const rest = await user.as.query(api.missions.list, { paginationOpts: { numItems: 3, cursor: first.continueCursor } });
    expect(rest.page.map((m) => m.title)).toEqual(["m1", "m0"]);
    expect(rest.isDone).toBe(true);
    const active = await user.as.query(api.missions.list, { status: "active", paginationOpts: { numItems: 10, cursor: null } });
    expect(active.page.map((m) => m.title)).toEqual(["m3", "m1"]);
    const completed = await user.as.query(api.missions.list, { status: "completed", paginationOpts: { numItems: 10, cursor: null } });
    expect(completed.page.map((m) => m.title)).toEqual(["m4"]);
  });
});

describe("access", () => {
  it("another user's mission answers NOT_FOUND, like a missing one, and nothing changes", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const mission = await newMission(alice);
    const missing = await t.run(async (ctx) => {
      const { _id, _creationTime, ...copy } = (await ctx.db.get("missions", mission._id))!;
      const id = await ctx.db.insert("missions", copy);
      await ctx.db.delete("missions", id);
      return id;
    });
    for (const action of ["start", "complete", "fail"] as const) {
      const theirs = await expectConvexError(bob.as.mutation(api.missions[action], { missionId: mission._id }), "NOT_FOUND");
      const gone = await expectConvexError(bob.as.mutation(api.missions[action], { missionId: missing }), "NOT_FOUND");
      expect(theirs).toEqual(gone);
    }
    expect((await t.run(async (ctx) => ctx.db.get("missions", mission._id)))!.status).toBe("pending");
    expect((await progressRow(t, bob.userId)).essence).toBe(0);
    expect(await countRows(t, "dailyProgress")).toBe(0);
    expect((await bob.as.query(api.missions.list, { paginationOpts: { numItems: 10, cursor: null } })).page).toEqual([]);
  });

  it("refuses every public function without an identity", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const mission = await newMission(alice);
    const missionId = mission._id;
    await expectConvexError(t.mutation(api.missions.create, MISSION), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.missions.start, { missionId }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.missions.complete, { missionId }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.missions.fail, { missionId }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.missions.list, { paginationOpts: { numItems: 5, cursor: null } }), "UNAUTHENTICATED");
    const now = Date.now();
    await expectConvexError(t.query(api.progress.today, { now }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.progress.history, { now, days: 7 }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.progress.streak, { now }), "UNAUTHENTICATED");
    expect(await countRows(t, "missions")).toBe(1);
  });
});
