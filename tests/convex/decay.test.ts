// The daily decay job (convex/decay.ts) on the in-memory backend under Convex's real
// transaction limits: every non-dormant star is decayed to the pure `decay` result, shadow
// mirrors drain after it, nothing else is written, a big user is split across transactions,
// and a second run the same day or a late run reaches what one run would (MECHANICS §1).
import { afterEach, describe, expect, it, vi } from "vitest";
import { internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { PAGE_SIZE } from "../../convex/model/batching";
import { decay, drainStar } from "../../src/mechanics/stars";
import { createUser, newBackend, type Backend } from "../setup";
import {
  DAY,
  T0,
  allStars,
  connection,
  insertConnection,
  insertStars,
  star,
  starDoc,
  userDoc,
  type StarSeed,
} from "../support/constellation";

afterEach(() => {
  vi.useRealTimers();
});

/** Runs the cron's target at `now` and every job it schedules, to the end. */
async function runDecay(t: Backend, now: number) {
  vi.useFakeTimers();
  await t.mutation(internal.decay.run, { now });
  await t.finishAllScheduledFunctions(vi.runAllTimers, 1_000);
  vi.useRealTimers();
}

/** Scheduled jobs by function name and final state, e.g. { "decay:user": { success: 3 } }. */
async function jobStates(t: Backend): Promise<Record<string, Record<string, number>>> {
  const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
  const states: Record<string, Record<string, number>> = {};
  for (const job of jobs) {
    states[job.name] ??= {};
    states[job.name][job.state.kind] = (states[job.name][job.state.kind] ?? 0) + 1;
  }
  return states;
}

/** The pure expectation for one star: decay to `now`, then the drains it receives. */
function expectedStar(seed: Doc<"stars">, now: number, drains: { strength: number; days: number }[] = []) {
  return drains.reduce((s, { strength, days }) => drainStar(s, strength, days, now), decay(seed, now));
}

describe("decay job", () => {
  it("decays every non-dormant star to the pure result and writes nothing else", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const T1 = T0 + DAY;
    const ids = await insertStars(t, userId, [
      { label: "flickering", brightness: 0.5 },
      { label: "stabilized", brightness: 0.9, variance: 0.004, stabilizedAt: T0 - 5 * DAY },
      { label: "stabilizes quietly", brightness: 0.6, variance: 0.004, createdAt: T0 - 6.5 * DAY },
      { label: "nascent", brightness: 0.3, createdAt: T0 - 2 * DAY },
      { label: "dark", brightness: 0.6, polarity: "shadow" },
      { label: "bright to flickering", brightness: 0.705, variance: 0.01 },
      { label: "turns dormant", brightness: 0.0555, lastReinforcedAt: T0 - 29.5 * DAY },
      { label: "at the floor", brightness: 0.05 },
      { label: "dormant", brightness: 0.05, lastReinforcedAt: T0 - 60 * DAY, lastUpdatedAt: T0 - 20 * DAY },
      { label: "dismissed", brightness: 0.8, type: "dormant", dismissedAt: T0 - DAY },
    ]);
    const before = await Promise.all(ids.map((id) => star(t, id)));
    const byLabel = (stars: Doc<"stars">[]) => new Map(stars.map((s) => [s.label, s]));
    expect(before.map((s) => s.type)).toEqual([
      "flickering", "bright", "nascent", "nascent", "dark", "bright", "dim", "dim", "dormant", "dormant",
    ]);

    await runDecay(t, T1);
    const after = byLabel(await allStars(t));
    for (const seed of before) {
      const got = after.get(seed.label)!;
      const expected = decay(seed, T1);
      if (["dormant", "dismissed", "at the floor"].includes(seed.label)) {
        expect(got, seed.label).toEqual(seed); // skipped, or nothing worth a write
        continue;
      }
      expect(got.brightness, seed.label).toBe(expected.brightness);
      expect(got.radius, seed.label).toBe(expected.radius);
      expect(got.type, seed.label).toBe(expected.type);
      expect(got.stabilizedAt, seed.label).toBe(expected.stabilizedAt);
      expect(got.variance, seed.label).toBe(seed.variance); // decay is not evidence
      expect(got.lastReinforcedAt, seed.label).toBe(seed.lastReinforcedAt);
    }
    expect(after.get("turns dormant")).toMatchObject({ type: "dormant", brightness: 0.0555, lastUpdatedAt: T0 });
    expect(after.get("bright to flickering")!.type).toBe("flickering");
    expect(after.get("stabilizes quietly")!.stabilizedAt).toBe(T0 + 0.5 * DAY);
    expect(after.get("flickering")!.lastUpdatedAt).toBe(T1);
    expect(await jobStates(t)).toEqual({ "decay:user": { success: 1 } });
  });

  it("drains the far end of each shadow_mirror after decay, and only once per now", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const T1 = T0 + DAY;
    const [dark, light, darkToo, sleepyDark, lightToo] = await insertStars(t, userId, [
      { label: "dark", brightness: 0.6, polarity: "shadow" },
      { label: "light", brightness: 0.7 },
      { label: "dark too", brightness: 0.4, polarity: "shadow" },
      { label: "sleepy dark", brightness: 0.05, polarity: "shadow", lastReinforcedAt: T0 - 40 * DAY },
      { label: "light too", brightness: 0.6 },
    ]);
    const seeds = new Map((await Promise.all([dark, light, darkToo, sleepyDark, lightToo].map((id) => star(t, id)))).map((s) => [s._id, s]));
    const m1 = await insertConnection(t, userId, { starA: dark, starB: light, type: "shadow_mirror", strength: 0.8 });
    const m2 = await insertConnection(t, userId, { starA: dark, starB: darkToo, type: "shadow_mirror", strength: 0.5 });
    const m3 = await insertConnection(t, userId, { starA: sleepyDark, starB: lightToo, type: "shadow_mirror", strength: 1 });

    await runDecay(t, T1);
    // The light end of m1 drains a day at 0.8; the two dark ends of m2 drain each other.
    expect((await star(t, light)).brightness).toBe(expectedStar(seeds.get(light)!, T1, [{ strength: 0.8, days: 1 }]).brightness);
    expect((await star(t, dark)).brightness).toBe(expectedStar(seeds.get(dark)!, T1, [{ strength: 0.5, days: 1 }]).brightness);
    expect((await star(t, darkToo)).brightness).toBe(expectedStar(seeds.get(darkToo)!, T1, [{ strength: 0.5, days: 1 }]).brightness);
    // A dormant dark end drains nothing: the mirror is not live, so the job never reads it
    // (its clock restarts when the end wakes, see "a mirror whose end wakes" below).
    expect((await star(t, sleepyDark)).type).toBe("dormant");
    expect((await star(t, lightToo)).brightness).toBe(decay(seeds.get(lightToo)!, T1).brightness);
    for (const id of [m1, m2]) expect((await connection(t, id))!.lastDrainAt).toBe(T1);
    expect((await connection(t, m3))!.lastDrainAt).toBe(T0);

    const settled = await allStars(t);
    await runDecay(t, T1);
    expect(await allStars(t)).toEqual(settled);
  });

  it("skips users pending deletion", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [id] = await insertStars(t, userId, [{}]);
    await t.run(async (ctx) => await ctx.db.patch("users", userId, { deletionRequestedAt: T0 }));
    const before = await star(t, id);
    await runDecay(t, T0 + DAY);
    expect(await star(t, id)).toEqual(before);
    expect(await jobStates(t)).toEqual({});
  });
});

/** The same few users in every backend: stars of every active type and shadow mirrors. */
async function seedVariety(t: Backend): Promise<void> {
  const seeds: StarSeed[] = [
    { label: "flickering", brightness: 0.5 },
    { label: "stabilized", brightness: 0.9, variance: 0.004, stabilizedAt: T0 - 5 * DAY },
    { label: "stabilizes quietly", brightness: 0.6, variance: 0.004, createdAt: T0 - 6.5 * DAY },
    { label: "nascent", brightness: 0.3, createdAt: T0 - 2 * DAY },
    { label: "dark", brightness: 0.6, polarity: "shadow" },
    { label: "mirrored", brightness: 0.7 },
    { label: "bright", brightness: 0.72, variance: 0.01 },
    { label: "dim", brightness: 0.2, lastUpdatedAt: T0 - 3 * DAY },
  ];
  for (let u = 0; u < 3; u++) {
    const { userId } = await createUser(t, { clerkId: `variety_${u}` });
    const ids = await insertStars(t, userId, seeds);
    await insertConnection(t, userId, { starA: ids[4], starB: ids[5], type: "shadow_mirror", strength: 0.3 * (u + 1) });
  }
}

async function snapshot(t: Backend): Promise<Map<string, Doc<"stars">>> {
  const users = await t.run(async (ctx) => await ctx.db.query("users").collect());
  const clerkOf = new Map(users.map((u) => [u._id, u.clerkId]));
  return new Map((await allStars(t)).map((s) => [`${clerkOf.get(s.userId)}/${s.label}`, s]));
}

function expectSameConstellation(a: Map<string, Doc<"stars">>, b: Map<string, Doc<"stars">>) {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [key, x] of a) {
    const y = b.get(key)!;
    expect(Math.abs(x.brightness - y.brightness), key).toBeLessThan(1e-9);
    expect(x.type, key).toBe(y.type);
    expect(x.stabilizedAt, key).toBe(y.stabilizedAt);
  }
}

describe("decay job composition", () => {
  it("a second run the same day gives one run's result", async () => {
    const once = newBackend();
    const twice = newBackend();
    await seedVariety(once);
    await seedVariety(twice);
    const seeds = await snapshot(once);
    const late = T0 + DAY + 6 * 3_600_000;
    await runDecay(twice, T0 + DAY);
    await runDecay(twice, late);
    await runDecay(once, late);
    const [a, b] = [await snapshot(once), await snapshot(twice)];
    expectSameConstellation(a, b);
    // ...and one run is the pure decay, then a drain over the whole interval.
    for (const [key, seed] of seeds) {
      const drains = key.endsWith("/mirrored") ? [{ strength: 0.3 * (1 + Number(key[8])), days: 1.25 }] : [];
      expect(Math.abs(a.get(key)!.brightness - expectedStar(seed, late, drains).brightness), key).toBeLessThan(1e-12);
    }
  });

  it("a run a day late gives what two daily runs give", async () => {
    const daily = newBackend();
    const late = newBackend();
    await seedVariety(daily);
    await seedVariety(late);
    const seeds = await snapshot(daily);
    await runDecay(daily, T0 + DAY);
    await runDecay(daily, T0 + 2 * DAY);
    await runDecay(late, T0 + 2 * DAY);
    const [a, b] = [await snapshot(daily), await snapshot(late)];
    expectSameConstellation(a, b);
    for (const [key, seed] of seeds) {
      const drains = key.endsWith("/mirrored") ? [{ strength: 0.3 * (1 + Number(key[8])), days: 2 }] : [];
      expect(Math.abs(b.get(key)!.brightness - expectedStar(seed, T0 + 2 * DAY, drains).brightness), key).toBeLessThan(1e-12);
    }
  });
});

describe("decay job at scale", () => {
  it("splits a user with thousands of stars across transactions", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const T1 = T0 + DAY;
    // 1,500 stars below "dormant" in the index (bright, dark, dim) and 900 above
    // (flickering, nascent), plus 40 shadow mirrors: many pages of every segment.
    const seeds: StarSeed[] = [];
    for (let i = 0; i < 2_400; i++) {
      if (i < 500) seeds.push({ brightness: 0.8, variance: 0.01 });
      else if (i < 1_000) seeds.push({ brightness: 0.5, polarity: "shadow" });
      else if (i < 1_500) seeds.push({ brightness: 0.2 });
      else if (i < 2_000) seeds.push({ brightness: 0.5 });
      else seeds.push({ brightness: 0.4, createdAt: T0 - DAY });
    }
    const ids = await insertStars(t, userId, seeds);
    for (let i = 0; i < 40; i++) {
      await insertConnection(t, userId, { starA: ids[500 + i], starB: ids[1_500 + i], type: "shadow_mirror" });
    }
    const before = await allStars(t);

    await runDecay(t, T1);
    const after = new Map((await allStars(t)).map((s) => [s._id, s]));
    const mirrored = new Set(ids.slice(1_500, 1_540));
    for (const seed of before) {
      const drains = mirrored.has(seed._id) ? [{ strength: 0.5, days: 1 }] : [];
      const got = after.get(seed._id)!;
      expect(got.brightness).toBe(expectedStar(seed, T1, drains).brightness);
      expect(got.lastUpdatedAt).toBe(T1);
    }
    const states = await jobStates(t);
    expect(Object.keys(states["decay:user"])).toEqual(["success"]);
    // 2,400 stars at 200 a transaction, plus the mirrors: at least 13 transactions.
    expect(states["decay:user"].success).toBeGreaterThanOrEqual(Math.ceil(2_400 / PAGE_SIZE) + 1);
  });

  // Issue 3 asks for 2,000 users × 50 stars. The in-memory backend scans every document of
  // the database for each index query (0.2–0.4 s per query at 100,000 stars), so a per-user job
  // costs O(users²) here, not in Convex; the default size keeps `npm test` fast and
  // DECAY_SCALE_USERS=2000 runs the full size (timings in docs/constellation-api.md).
  const users = Number(process.env.DECAY_SCALE_USERS ?? 200);
  const starsPerUser = 50;
  it(`processes every star of ${users} users × ${starsPerUser} stars exactly once`, { timeout: 3_600_000 }, async () => {
    const t = newBackend();
    const T1 = T0 + DAY;
    const started = performance.now();
    const userIds = await t.run(async (ctx) => {
      const ids: Id<"users">[] = [];
      for (let u = 0; u < users; u++) ids.push(await ctx.db.insert("users", userDoc(`scale_${u}`)));
      return ids;
    });
    const seedFor = (i: number): StarSeed => ({ label: `s${i}`, brightness: 0.1 + 0.1 * (i % 9), createdAt: T0 - (i % 12) * DAY });
    const usersPerBatch = Math.floor(10_000 / starsPerUser); // ≤ 10,000 inserts per t.run
    for (let first = 0; first < users; first += usersPerBatch) {
      await t.run(async (ctx) => {
        for (const userId of userIds.slice(first, first + usersPerBatch)) {
          for (let i = 0; i < starsPerUser; i++) await ctx.db.insert("stars", starDoc(userId, seedFor(i)));
        }
      });
    }
    const seeded = performance.now();

    await runDecay(t, T1);
    const ran = performance.now();
    console.info(
      `decay scale test: ${users} users × ${starsPerUser} stars: ` +
        `seed ${((seeded - started) / 1000).toFixed(1)} s, job ${((ran - seeded) / 1000).toFixed(1)} s`,
    );

    const stars = await allStars(t);
    expect(stars).toHaveLength(users * starsPerUser);
    for (const s of stars) {
      const seed = starDoc(s.userId, seedFor(Number(s.label.slice(1))));
      expect(s.lastUpdatedAt).toBe(T1);
      expect(s.brightness).toBe(decay(seed, T1).brightness);
    }
    // One `user` job per user (50 stars fit one transaction); `run` rescheduled per page.
    const states = await jobStates(t);
    expect(states["decay:user"]).toEqual({ success: users });
    expect(states["decay:run"] ?? { success: 0 }).toEqual({ success: Math.ceil(users / PAGE_SIZE) - 1 });
  });
});
