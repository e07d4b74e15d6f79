// Narrative and quests (MECHANICS §10) on the in-memory backend under Convex's real
// transaction limits: the reveal step at each condition's threshold, reveal exactly once,
// the chapter advance through ordinary mission completions, the story's end, the reads,
// cross-user refusals, data rights, and the daily rollover on 2,000 users.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { revealDueQuests } from "../../convex/model/quests";
import { QUEST_BOOK } from "../../src/quests/templates";
import { addDays, localDate, startOfLocalDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { starDoc } from "../support/constellation";
import { dump, jobStates, plainUserDoc, rows, runJob } from "../support/trajectory";
import { patchProgressState, patchSchedule } from "../support/userState";

afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 00:23 UTC on 2026-05-20, the rollover's minute for a UTC user. */
const NOW = Date.UTC(2026, 4, 20, 0, 23);
const TODAY = "2026-05-20";
const FIRST_PAGE = { numItems: 50, cursor: null };

async function reveal(t: Backend, userId: Id<"users">, now = NOW): Promise<number> {
  return await t.run(async (ctx) => await revealDueQuests(ctx, userId, now));
}

type UserState = Partial<Doc<"users">> & Partial<Pick<Doc<"progressStates">, "streakDays" | "lastActiveDate">> & Partial<Pick<Doc<"dailySchedules">, "nextDailyAt" | "lastDailyDate">>;

/** Patches the users row and, for streak and schedule fields, the user's state documents. */
async function patchUser(t: Backend, userId: Id<"users">, fields: UserState) {
  const { streakDays, lastActiveDate, nextDailyAt, lastDailyDate, ...account } = fields;
  await t.run(async (ctx) => {
    if (Object.keys(account).length > 0) await ctx.db.patch("users", userId, account);
    const progress = { ...(streakDays === undefined ? {} : { streakDays }), ...(lastActiveDate === undefined ? {} : { lastActiveDate }) };
    if (Object.keys(progress).length > 0) await patchProgressState(ctx, userId, progress);
    const schedule = { ...(nextDailyAt === undefined ? {} : { nextDailyAt }), ...(lastDailyDate === undefined ? {} : { lastDailyDate }) };
    if (Object.keys(schedule).length > 0) await patchSchedule(ctx, userId, schedule);
  });
}

async function missionsOf(t: Backend, userId: Id<"users">) {
  return (await rows(t, "missions")).filter((m) => m.userId === userId);
}

async function revealedKeys(t: Backend, userId: Id<"users">): Promise<string[]> {
  return (await missionsOf(t, userId)).map((m) => m.questKey ?? "(none)");
}

async function eventKinds(user: TestUser): Promise<string[]> {
  const page = await user.as.query(api.narrative.events, { paginationOpts: FIRST_PAGE });
  return page.page.map((e) => `${e.kind}${e.questKey ? `:${e.questKey}` : ""}`).reverse();
}

async function completeAll(user: TestUser, at: number) {
  vi.useFakeTimers();
  vi.setSystemTime(at);
  const { quests } = await user.as.query(api.narrative.mine, {});
  for (const quest of quests.filter((q) => q.status !== "completed")) {
    await user.as.mutation(api.missions.complete, { missionId: quest.missionId });
  }
  vi.useRealTimers();
}

/** A user in chapter `chapter` with the earlier chapters done. */
async function inChapter(t: Backend, chapter: number): Promise<TestUser> {
  const user = await createUser(t);
  await t.run(async (ctx) => {
    await ctx.db.insert("narrativeStates", {
      userId: user.userId,
      scenario: "sci-fi",
      chapter,
      bookVersion: QUEST_BOOK.version,
      quests: [],
      createdAt: 0,
      updatedAt: 0,
    });
  });
  return user;
}

const yesterday = addDays(TODAY, -1);

describe("revealing quests", () => {
  it("reveals nothing while no condition holds, and writes nothing: the story shows chapter 1", async () => {
    const t = newBackend();
    const user = await createUser(t);
    expect(await reveal(t, user.userId)).toBe(0);
    expect(await user.as.query(api.narrative.mine, {})).toEqual({
      started: false,
      scenario: "sci-fi",
      chapter: 1,
      chapterTitle: "First Light",
      chapterOpening: QUEST_BOOK.chapters[0].opening,
      chapters: 3,
      bookVersion: "1.0.0",
      quests: [],
    });
    expect(await eventKinds(user)).toEqual([]);
    expect(await rows(t, "narrativeStates")).toEqual([]);
    expect(await missionsOf(t, user.userId)).toEqual([]);
  });

  it("the story's scenario is that of the character of the latest conversation", async () => {
    const t = newBackend();
    await t.mutation(internal.characters.seed, {});
    const user = await createUser(t);
    await user.as.mutation(api.conversations.start, { phase: "discovery", character: "thorne" });
    expect((await user.as.query(api.narrative.mine, {})).scenario).toBe("medieval");
    await patchUser(t, user.userId, { streakDays: 3, lastActiveDate: yesterday });
    expect(await reveal(t, user.userId)).toBe(1);
    await user.as.mutation(api.conversations.start, { phase: "discovery", character: "eliza" });
    expect((await user.as.query(api.narrative.mine, {})).scenario).toBe("medieval"); // fixed once started
  });

  it("mirror completed (chapter 2): false at day 6, true at day 7; revealed exactly once while it stays true", async () => {
    const t = newBackend();
    const user = await inChapter(t, 2);
    await patchUser(t, user.userId, { mirrorDay: 6 });
    expect(await reveal(t, user.userId)).toBe(0);
    await patchUser(t, user.userId, { mirrorDay: 7 });
    expect(await reveal(t, user.userId)).toBe(1);
    for (let day = 1; day <= 3; day += 1) expect(await reveal(t, user.userId, NOW + day * DAY)).toBe(0);
    const missions = await missionsOf(t, user.userId);
    expect(missions.map((m) => [m.questKey, m.title, m.status, m.durationMinutes, m.essenceReward, m.attributeType, m.createdAt])).toEqual([
      ["chart-the-sky", "Chart the sky", "pending", 30, 20, "Growth", NOW],
    ]);
    expect(await eventKinds(user)).toEqual(["quest_revealed:chart-the-sky"]);
    const { quests } = await user.as.query(api.narrative.mine, {});
    expect(quests).toEqual([
      {
        questKey: "chart-the-sky",
        chapter: 2,
        title: "Chart the sky",
        description: QUEST_BOOK.quests[1].description,
        missionId: missions[0]._id,
        status: "pending",
        revealedAt: NOW,
        completedAt: undefined,
      },
    ]);
    // Even if the user's mission row were gone, the key is never revealed again.
    await t.run(async (ctx) => {
      await ctx.db.delete("missions", missions[0]._id);
    });
    expect(await reveal(t, user.userId, NOW + 5 * DAY)).toBe(0);
  });

  it("streak ≥ 3: false at 2, true at 3, and a lapsed streak reads as 0", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await patchUser(t, user.userId, { streakDays: 2, lastActiveDate: yesterday });
    expect(await reveal(t, user.userId)).toBe(0);
    // 5 days, but the last completion was two days ago: the streak is over.
    await patchUser(t, user.userId, { streakDays: 5, lastActiveDate: addDays(TODAY, -2) });
    expect(await reveal(t, user.userId)).toBe(0);
    await patchUser(t, user.userId, { streakDays: 3, lastActiveDate: yesterday });
    expect(await reveal(t, user.userId)).toBe(1);
    expect(await revealedKeys(t, user.userId)).toEqual(["three-dawns"]);
  });

  it("only the user's chapter: chapter 2 and 3 conditions do nothing in chapter 1", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await patchUser(t, user.userId, { streakDays: 30, lastActiveDate: TODAY, mirrorDay: 7 });
    expect(await reveal(t, user.userId)).toBe(1); // three-dawns only; chart-the-sky and seven-day-orbit are chapter 2
    expect(await revealedKeys(t, user.userId)).toEqual(["three-dawns"]);
  });
});

describe("chapters", () => {

  it("completing every quest of a chapter is an ordinary completion plus story events, and opens the next chapter", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await patchUser(t, user.userId, { mirrorDay: 7, streakDays: 3, lastActiveDate: yesterday });
    await t.run(async (ctx) => {
      const day = { missionsCompleted: 1, minutesCompleted: 10, essenceEarned: 0, dciScore: 0.17, streakDays: 3 };
      await ctx.db.insert("dailyProgress", { userId: user.userId, localDate: yesterday, ...day });
    });
    expect(await reveal(t, user.userId)).toBe(1); // three-dawns: the mirror quest waits for chapter 2
    const [dawns] = (await user.as.query(api.narrative.mine, {})).quests;

    vi.useFakeTimers();
    vi.setSystemTime(NOW + HOUR);
    const first = await user.as.mutation(api.missions.complete, { missionId: dawns.missionId });
    // Section 5 unchanged: essence, the day's progress and the streak (yesterday had one).
    expect(first).toMatchObject({ essenceAwarded: 15, essence: 15, streakDays: 4, localDate: TODAY });
    vi.useRealTimers();
    expect(await user.as.query(api.narrative.mine, {})).toMatchObject({ chapter: 2, chapterTitle: "The Crossing" });

    // The next night: chapter 2's mirror quest is due, the 7-day streak (4 now) not yet.
    expect(await reveal(t, user.userId, NOW + DAY)).toBe(1);
    const chart = (await user.as.query(api.narrative.mine, {})).quests[1];
    expect(chart).toMatchObject({ questKey: "chart-the-sky", chapter: 2, status: "pending", revealedAt: NOW + DAY });
    vi.useFakeTimers();
    vi.setSystemTime(NOW + DAY + HOUR);
    await user.as.mutation(api.missions.start, { missionId: chart.missionId });
    const second = await user.as.mutation(api.missions.complete, { missionId: chart.missionId });
    expect(second).toMatchObject({ essenceAwarded: 20, essence: 35, streakDays: 5 });
    vi.useRealTimers();
    const growth = (await rows(t, "growthEvents")).filter((e) => e.source === "mission_completed");
    expect(growth.map((e) => [e.entityId, e.dimKey, e.delta])).toEqual([
      [dawns.missionId, "self_act", 0.1 * (20 / 30)],
      [chart.missionId, "self_know", 0.1],
    ]);

    // seven-day-orbit is still hidden: chapter 2 stays open.
    const narrative = await user.as.query(api.narrative.mine, {});
    expect(narrative.chapter).toBe(2);
    expect(narrative.quests.map((q) => [q.questKey, q.status, q.completedAt])).toEqual([
      ["three-dawns", "completed", NOW + HOUR],
      ["chart-the-sky", "completed", NOW + DAY + HOUR],
    ]);
    expect(await eventKinds(user)).toEqual([
      "quest_revealed:three-dawns",
      "quest_completed:three-dawns",
      "chapter_advanced",
      "quest_revealed:chart-the-sky",
      "quest_completed:chart-the-sky",
    ]);
  });

  it("an ordinary mission does not count for the story", async () => {
    const t = newBackend();
    const user = await inChapter(t, 2);
    await patchUser(t, user.userId, { mirrorDay: 7 });
    await reveal(t, user.userId);
    await completeAll(user, NOW + HOUR);
    const own = await user.as.mutation(api.missions.create, {
      title: "Stretch",
      description: "",
      durationMinutes: 10,
      essenceReward: 1,
      attributeType: "Health",
    });
    await user.as.mutation(api.missions.complete, { missionId: own._id });
    expect(own.questKey).toBeUndefined();
    expect((await user.as.query(api.narrative.mine, {})).chapter).toBe(2);
    expect(await eventKinds(user)).toEqual(["quest_revealed:chart-the-sky", "quest_completed:chart-the-sky"]);
  });

  it("bright stars in a domain: 1 health star (and 3 soul) is not enough, 2 is; dismissed ones do not count", async () => {
    const t = newBackend();
    const user = await inChapter(t, 3);
    await t.run(async (ctx) => {
      await ctx.db.insert("stars", starDoc(user.userId, { label: "h1", domain: "health", type: "bright", brightness: 0.9 }));
      await ctx.db.insert("stars", starDoc(user.userId, { label: "h2", domain: "health", type: "bright", brightness: 0.9, dismissedAt: 1 }));
      await ctx.db.insert("stars", starDoc(user.userId, { label: "h3", domain: "health", type: "flickering", brightness: 0.9 }));
      for (const label of ["s1", "s2", "s3"]) {
        await ctx.db.insert("stars", starDoc(user.userId, { label, domain: "soul", type: "bright", brightness: 0.9 }));
      }
    });
    expect(await reveal(t, user.userId)).toBe(0);
    await t.run(async (ctx) => {
      await ctx.db.insert("stars", starDoc(user.userId, { label: "h4", domain: "health", type: "bright", brightness: 0.8 }));
    });
    expect(await reveal(t, user.userId)).toBe(1);
    expect(await revealedKeys(t, user.userId)).toEqual(["body-beacon"]);
  });

  it("streak ≥ 7 in chapter 2: false at 6, true at 7", async () => {
    const t = newBackend();
    const user = await inChapter(t, 2);
    await patchUser(t, user.userId, { streakDays: 6, lastActiveDate: TODAY });
    expect(await reveal(t, user.userId)).toBe(0);
    await patchUser(t, user.userId, { streakDays: 7 });
    expect(await reveal(t, user.userId)).toBe(1);
    expect(await revealedKeys(t, user.userId)).toEqual(["seven-day-orbit"]);
  });

  it("escape index ≥ 1 in the latest snapshot, and a skill mean ≥ 6, in chapter 3", async () => {
    const t = newBackend();
    const user = await inChapter(t, 3);
    const snapshot = (timestamp: number, escapeIndex: number) => ({
      userId: user.userId,
      timestamp,
      localDate: localDate(timestamp, "UTC"),
      source: "daily" as const,
      thrust: 0.5,
      alignment: 0.5,
      gravity: 0.2,
      mass: 0.2,
      escapeIndex,
      latent: Array.from({ length: 15 }, () => 0),
    });
    const skillId = await t.run(async (ctx) => {
      await ctx.db.insert("lifeStates", snapshot(NOW - 2 * DAY, 1.5)); // an older one does not count
      await ctx.db.insert("lifeStates", snapshot(NOW - DAY, 0.999));
      return await ctx.db.insert("skills", { name: "Active Listening", normalizedName: "active listening", category: "relationships", domain: "relationships", description: "" });
    });
    const belief = { userId: user.userId, skillId, variance: 1, confidence: 0.9, utilization: 1, evidenceCount: 4, lastEvidenceAt: NOW };
    const beliefId = await t.run(async (ctx) => await ctx.db.insert("skillBeliefs", { ...belief, mean: 5.99 }));
    expect(await reveal(t, user.userId)).toBe(0);

    await t.run(async (ctx) => {
      await ctx.db.insert("lifeStates", snapshot(NOW, 1));
      await ctx.db.patch("skillBeliefs", beliefId, { mean: 6 });
    });
    expect(await reveal(t, user.userId)).toBe(2);
    expect(await revealedKeys(t, user.userId)).toEqual(["break-orbit", "listeners-gift"]);

    // Two of the chapter's three done: the chapter stays open.
    await completeAll(user, NOW + HOUR);
    const open = await user.as.query(api.narrative.mine, {});
    expect(open.chapter).toBe(3);
    expect(open.storyCompletedAt).toBeUndefined();
    // The third, then the last chapter is done: the story is complete, nothing more is revealed.
    await t.run(async (ctx) => {
      for (const label of ["h1", "h2"]) {
        await ctx.db.insert("stars", starDoc(user.userId, { label, domain: "health", type: "bright", brightness: 0.9 }));
      }
    });
    expect(await reveal(t, user.userId, NOW + DAY)).toBe(1);
    await completeAll(user, NOW + DAY + HOUR);
    const narrative = await user.as.query(api.narrative.mine, {});
    expect(narrative).toMatchObject({ chapter: 3, storyCompletedAt: NOW + DAY + HOUR });
    expect(await eventKinds(user)).toEqual([
      "quest_revealed:break-orbit",
      "quest_revealed:listeners-gift",
      "quest_completed:break-orbit",
      "quest_completed:listeners-gift",
      "quest_revealed:body-beacon",
      "quest_completed:body-beacon",
      "story_completed",
    ]);
    expect(await reveal(t, user.userId, NOW + 2 * DAY)).toBe(0);
  });
});

describe("reads, refusals and data rights", () => {
  it("story events page newest first", async () => {
    const t = newBackend();
    const user = await inChapter(t, 2);
    await patchUser(t, user.userId, { mirrorDay: 7, streakDays: 7, lastActiveDate: TODAY });
    expect(await reveal(t, user.userId)).toBe(2);
    vi.useFakeTimers();
    vi.setSystemTime(NOW + HOUR);
    const { quests } = await user.as.query(api.narrative.mine, {});
    await user.as.mutation(api.missions.complete, { missionId: quests[1].missionId });
    vi.useRealTimers();
    const first = await user.as.query(api.narrative.events, { paginationOpts: { numItems: 2, cursor: null } });
    expect(first.page.map((e) => [e.kind, e.questKey, e.createdAt])).toEqual([
      ["quest_completed", "seven-day-orbit", NOW + HOUR],
      ["quest_revealed", "seven-day-orbit", NOW],
    ]);
    expect(first.isDone).toBe(false);
    const rest = await user.as.query(api.narrative.events, { paginationOpts: { numItems: 2, cursor: first.continueCursor } });
    expect(rest.page.map((e) => [e.kind, e.questKey])).toEqual([["quest_revealed", "chart-the-sky"]]);
  });

  it("another user sees none of it and cannot complete the quest's mission; signed-out calls are refused", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const intruder = await createUser(t);
    await patchUser(t, owner.userId, { streakDays: 3, lastActiveDate: TODAY });
    await reveal(t, owner.userId);
    const [quest] = (await owner.as.query(api.narrative.mine, {})).quests;
    expect(await intruder.as.query(api.narrative.mine, {})).toMatchObject({ started: false, quests: [] });
    expect((await intruder.as.query(api.narrative.events, { paginationOpts: FIRST_PAGE })).page).toEqual([]);
    await expectConvexError(intruder.as.mutation(api.missions.complete, { missionId: quest.missionId }), "NOT_FOUND");
    await expectConvexError(intruder.as.mutation(api.missions.start, { missionId: quest.missionId }), "NOT_FOUND");
    expect((await owner.as.query(api.narrative.mine, {})).quests[0].status).toBe("pending");
    await expectConvexError(t.query(api.narrative.mine, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.narrative.events, { paginationOpts: FIRST_PAGE }), "UNAUTHENTICATED");
  });

  it("a user pending deletion gets no reveal; erasure removes the story and relationships, keeps the characters", async () => {
    const t = newBackend();
    await t.mutation(internal.characters.seed, {});
    const user = await createUser(t);
    await patchUser(t, user.userId, { streakDays: 3, lastActiveDate: TODAY });
    expect(await reveal(t, user.userId)).toBe(1);
    await t.run(async (ctx) => {
      await ctx.db.insert("relationships", { userId: user.userId, characterKey: "eliza", interactions: 1, level: 1, createdAt: 0 });
    });
    await completeAll(user, NOW + HOUR); // chapter 2 opens: the mirror quest would be due
    await user.as.mutation(api.privacy.requestDeletion, {});
    await patchUser(t, user.userId, { mirrorDay: 7 });
    expect(await reveal(t, user.userId, NOW + DAY)).toBe(0);
    await t.mutation(internal.privacy.eraseAccount, { userId: user.userId }); // one batch: a small account
    for (const table of ["narrativeStates", "storyEvents", "relationships", "missions"] as const) {
      expect(await rows(t, table)).toEqual([]);
    }
    expect(await rows(t, "characters")).toHaveLength(5);
    const [receipt] = await rows(t, "deletionReceipts");
    expect(receipt.counts).toMatchObject({ narrativeStates: 1, storyEvents: 3, relationships: 1, missions: 1 });
  });
});

describe("the daily rollover reveals", () => {
  it("through rollOverUser: today's reveal after the snapshot, once per user", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await patchUser(t, user.userId, { streakDays: 3, lastActiveDate: yesterday, nextDailyAt: startOfLocalDate(TODAY, "UTC") });
    await runJob(t, NOW, () => t.mutation(internal.jobs.dailyRollover, { now: NOW }));
    expect(await revealedKeys(t, user.userId)).toEqual(["three-dawns"]);
    expect(await rows(t, "lifeStates")).toHaveLength(1);
  });

  // convex-test scans every document of the backend for each index range, so this run's
  // cost grows with users × documents; it needs more than the suite's default 120 s when
  // the machine is shared. The snapshot is already taken today (lastDailyDate), so the run
  // measures the reveal step itself through the real driver and batches.
  it("2,000 users under transaction limits: every due quest revealed exactly once, then nothing", { timeout: 900_000 }, async () => {
    const t = newBackend();
    const count = 2_000;
    const zones = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Pacific/Auckland"];
    const now = Date.UTC(2026, 4, 20, 12, 23);
    const dueAt = (i: number) => now - (i % 12) * HOUR;
    const userIds: Id<"users">[] = [];
    for (let first = 0; first < count; first += 500) {
      userIds.push(
        ...(await t.run(async (ctx) => {
          const ids: Id<"users">[] = [];
          for (let i = first; i < first + 500; i += 1) {
            const timezone = zones[i % zones.length];
            const today = localDate(now, timezone);
            // Every other user has a live 3-day streak (everyone finished the mirror: a
            // chapter-2 condition, so it reveals nothing yet).
            const streak = i % 2 === 0 ? { streakDays: 3, lastActiveDate: addDays(today, -1) } : { streakDays: 0 };
            const userId = await ctx.db.insert("users", plainUserDoc(`quest_${i}`, { timezone }));
            // Reset yesterday, due for today (snapshot already taken today, so the run measures the reveal).
            await ctx.db.insert("dailySchedules", { userId, nextDailyAt: dueAt(i), lastDailyDate: today, lastResetDate: addDays(today, -1) });
            await ctx.db.insert("progressStates", { userId, essence: 0, ...streak });
            ids.push(userId);
          }
          return ids;
        })),
      );
    }
    await runJob(t, now, () => t.mutation(internal.jobs.dailyRollover, { now }));
    const missions = await rows(t, "missions");
    expect(missions.filter((m) => m.questKey === "three-dawns")).toHaveLength(count / 2);
    expect(missions).toHaveLength(count / 2);
    expect(new Set(missions.map((m) => m.userId))).toEqual(new Set(userIds.filter((_, i) => i % 2 === 0)));
    expect(await rows(t, "narrativeStates")).toHaveLength(count / 2);
    expect(await rows(t, "storyEvents")).toHaveLength(count / 2);
    expect(Object.keys((await jobStates(t))["jobs:dailyRolloverUsers"])).toEqual(["success"]);
    expect((await rows(t, "dailySchedules")).every((schedule) => schedule.nextDailyAt > now)).toBe(true);

    // Due again an hour later (as after a missed night): the conditions still hold, and
    // nothing is revealed twice.
    const tables = ["missions", "narrativeStates", "storyEvents"] as const;
    const before = await dump(t, tables);
    await t.run(async (ctx) => {
      for (const [i, userId] of userIds.entries()) await patchSchedule(ctx, userId, { nextDailyAt: dueAt(i) });
    });
    await runJob(t, now + HOUR, () => t.mutation(internal.jobs.dailyRollover, { now: now + HOUR }));
    expect(await dump(t, tables)).toEqual(before);
    expect(Object.keys((await jobStates(t))["jobs:dailyRolloverUsers"])).toEqual(["success"]);
  });
});
