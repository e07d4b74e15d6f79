// LifeState snapshots (MECHANICS §7) on the in-memory backend: the numbers a stored snapshot
// carries for hand-worked users, what the loader counts and leaves out, the reads
// (current reads one document, history one point per date), the rate-limited recompute,
// and the auth of every public function.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { currentLifeState } from "../../convex/model/lifeStates";
import { EMPTY_GROWTH_PROFILE } from "../../src/domain";
import { localDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, type Backend } from "../setup";
import { insertConnection, insertStars } from "../support/constellation";
import { DAY, experimentDoc, insertJourney, rows } from "../support/trajectory";
import { patchGrowthState } from "../support/userState";

afterEach(() => {
  vi.useRealTimers();
});

/** A fixed instant: 2026-03-10 15:00 UTC. */
const NOW = Date.UTC(2026, 2, 10, 15);
const HOUR = 3_600_000;

async function compute(t: Backend, userId: Id<"users">, now = NOW) {
  const id = await t.mutation(internal.lifeStates.compute, { userId, now, source: "daily" });
  return (await t.run(async (ctx) => await ctx.db.get("lifeStates", id)))!;
}

async function insertGrowth(
  t: Backend,
  userId: Id<"users">,
  events: { delta: number; createdAt: number; domain?: "health" | "purpose"; dimKey?: "self_know" | "self_act" }[],
) {
  await t.run(async (ctx) => {
    for (const e of events) {
      await ctx.db.insert("growthEvents", {
        userId,
        entityType: "user",
        entityId: userId,
        dimKey: e.dimKey ?? "self_act",
        delta: e.delta,
        source: "extraction_signal",
        domain: e.domain,
        createdAt: e.createdAt,
      });
    }
  });
}

describe("lifeStates.compute: hand-worked users", () => {
  it("one dark star, no journey: no effort gives η = 0; +0.5 purpose today gives η = 0.8721", async () => {
    const t = newBackend();
    const { userId } = await createUser(t, { timezone: "Europe/Paris" });
    await insertStars(t, userId, [{ label: "fear of failing", brightness: 0.6, polarity: "shadow", domain: "purpose" }]);

    const idle = await compute(t, userId);
    // G = 1 − e^−0.6 (one dark star, no mirrors); T = 0 and A = 0 (no effort); M = 0 (no load).
    expect(idle.gravity).toBeCloseTo(1 - Math.exp(-0.6), 15);
    expect(idle.gravity).toBeCloseTo(0.4512, 4);
    expect([idle.thrust, idle.alignment, idle.mass, idle.escapeIndex]).toEqual([0, 0, 0, 0]);

    await insertGrowth(t, userId, [{ delta: 0.5, createdAt: NOW, domain: "purpose", dimKey: "self_know" }]);
    await t.run(async (ctx) => {
      await patchGrowthState(ctx, userId, { growthProfile: { ...EMPTY_GROWTH_PROFILE, self_know: 0.5 } });
    });
    const s = await compute(t, userId);
    // T = 1 − e^−0.5 (weight 1 today); A = 0.5 (effort, no journey); η = (T/0.5)·0.5/G.
    expect(s.thrust).toBeCloseTo(1 - Math.exp(-0.5), 15);
    expect(s.alignment).toBe(0.5);
    expect(s.mass).toBe(0);
    expect(s.escapeIndex).toBeCloseTo(((1 - Math.exp(-0.5)) / 0.5) * 0.5 / (1 - Math.exp(-0.6)), 12);
    expect(s.escapeIndex).toBeCloseTo(0.8721, 4);
    // z_t: no light stars (5 zeros), self_know 0.5 then five zeros, then T, A, G, M.
    expect(s.latent).toHaveLength(15);
    expect(s.latent.slice(0, 11)).toEqual([0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0]);
    expect(s.latent.slice(11)).toEqual([s.thrust, s.alignment, s.gravity, s.mass]);
    expect(s).toMatchObject({ userId, timestamp: NOW, localDate: "2026-03-10", source: "daily" });
  });

  it("walking an aligned journey: T = 0.4512, A = 1, M = 0.6321, G = 0.0952, η = 4.1879", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    // Load L = 5: three unreached milestones + one active mission + one open experiment.
    const journeyId = await insertJourney(t, userId, { startedAt: NOW - 10 * DAY });
    await t.run(async (ctx) => {
      await ctx.db.insert("missions", {
        userId,
        title: "Stretch",
        description: "",
        durationMinutes: 10,
        essenceReward: 5,
        attributeType: "Health",
        status: "active",
        createdAt: NOW - DAY,
      });
      await ctx.db.insert("missions", {
        userId,
        title: "Done already",
        description: "",
        durationMinutes: 10,
        essenceReward: 5,
        attributeType: "Health",
        status: "completed",
        createdAt: NOW - DAY,
      });
      const today = { offeredAt: NOW - HOUR, offeredDate: "2026-03-10", expiresAt: Date.UTC(2026, 2, 11) };
      await ctx.db.insert("experiments", experimentDoc(userId, journeyId, today));
      // Past its midnight but not swept yet: expired already (§6), so no load.
      const stale = { offeredAt: NOW - DAY, offeredDate: "2026-03-09", expiresAt: Date.UTC(2026, 2, 10) };
      await ctx.db.insert("experiments", experimentDoc(userId, journeyId, stale));
    });
    // A paused journey's milestones are no load, and it gives no direction.
    await insertJourney(t, userId, {
      status: "paused",
      domainWeights: { health: 0, wealth: 1, relationships: 0, purpose: 0, soul: 0 },
    });
    // Gravity: one active blocks of strength 0.2 (D = 0.1). A dormant dark star and a
    // dismissed one pull nothing.
    const [blocker, goal] = await insertStars(t, userId, [
      { label: "perfectionism", brightness: 0.5 },
      { label: "run daily", brightness: 0.3 },
      { label: "old fear", brightness: 0.05, polarity: "shadow", type: "dormant", lastReinforcedAt: NOW - 60 * DAY },
      { label: "rejected", brightness: 0.9, polarity: "shadow", type: "dormant", dismissedAt: NOW - DAY },
    ]);
    await insertConnection(t, userId, { starA: blocker, starB: goal, type: "blocks", strength: 0.2 });
    // Effort: +0.4 health now and 3.5 days ago (weight 1/2): E = 0.6. Ignored: a negative
    // delta, an event exactly 7 days old, and one stamped after now.
    await insertGrowth(t, userId, [
      { delta: 0.4, createdAt: NOW, domain: "health" },
      { delta: 0.4, createdAt: NOW - 3.5 * DAY, domain: "health" },
      { delta: -0.3, createdAt: NOW - DAY, domain: "purpose" },
      { delta: 0.9, createdAt: NOW - 7 * DAY, domain: "purpose" },
      { delta: 0.9, createdAt: NOW + 1, domain: "purpose" },
    ]);

    const s = await compute(t, userId);
    expect(s.thrust).toBeCloseTo(1 - Math.exp(-0.6), 15);
    expect(s.thrust).toBeCloseTo(0.4512, 4);
    expect(s.alignment).toBeCloseTo(1, 15);
    expect(s.mass).toBeCloseTo(1 - Math.exp(-1), 15);
    expect(s.mass).toBeCloseTo(0.6321, 4);
    expect(s.gravity).toBeCloseTo(1 - Math.exp(-0.1), 15);
    expect(s.gravity).toBeCloseTo(0.0952, 4);
    expect(s.escapeIndex).toBeCloseTo((1 - Math.exp(-0.6)) / (0.5 + 1 - Math.exp(-1)) / (1 - Math.exp(-0.1)), 12);
    expect(s.escapeIndex).toBeCloseTo(4.1879, 4);
    // Health: mean of the two light non-dormant stars (0.5 + 0.3)/2.
    expect(s.latent[0]).toBeCloseTo(0.4, 15);
    expect(s.latent.slice(1, 5)).toEqual([0, 0, 0, 0]);
  });

  it("counts a shadow_mirror to a dormant star and a tension between two awake stars", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [dark, dormantLight, a, b] = await insertStars(t, userId, [
      { label: "dark", brightness: 0.4, polarity: "shadow" },
      { label: "faded", brightness: 0.05, type: "dormant", lastReinforcedAt: NOW - 60 * DAY },
      { label: "a", brightness: 0.8 },
      { label: "b", brightness: 0.6 },
    ]);
    await insertConnection(t, userId, { starA: dark, starB: dormantLight, type: "shadow_mirror", strength: 0.5 });
    await insertConnection(t, userId, { starA: a, starB: b, type: "tension", strength: 0.4 });
    await insertConnection(t, userId, { starA: dormantLight, starB: a, type: "blocks", strength: 1 });
    const s = await compute(t, userId);
    // D = 0.4·(1 + 0.5·1) + 0.25·0.4·min(0.8, 0.6); the blocks' blocker is dormant.
    expect(s.gravity).toBeCloseTo(1 - Math.exp(-(0.4 * 1.5 + 0.25 * 0.4 * 0.6)), 15);
  });
});

describe("lifeStates.compute: read caps", () => {
  it("past 500 non-dormant stars, a dark star outside the set still pulls through its mirror", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    // 500 bright stars fill the cap (bright sorts before dark in by_user_type).
    const bright = await insertStars(
      t,
      userId,
      Array.from({ length: 500 }, (_, i) => ({ label: `bright ${i}`, brightness: 0.8, variance: 0.01 })),
    );
    const [dark] = await insertStars(t, userId, [{ label: "shame", brightness: 0.6, polarity: "shadow" }]);
    await insertConnection(t, userId, { starA: dark, starB: bright[0], type: "shadow_mirror", strength: 0.5 });
    const s = await compute(t, userId);
    // D = 0.6·(1 + 0.5·1): the mirror is read and its dark end fetched.
    expect(s.gravity).toBeCloseTo(1 - Math.exp(-0.9), 15);
    expect(s.latent[0]).toBeCloseTo(0.8, 12);
  });
});

describe("lifeStates reads", () => {
  it("current reads exactly one document, the newest snapshot", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    expect(await as.query(api.lifeStates.current, {})).toBeNull();
    await t.run(async (ctx) => {
      for (let i = 0; i < 30; i++) {
        await ctx.db.insert("lifeStates", snapshotFields(userId, NOW - i * HOUR, "UTC"));
      }
    });
    const current = await as.query(api.lifeStates.current, {});
    expect(current?.timestamp).toBe(NOW);
    const reads = await t.run(async (ctx) => {
      const before = await ctx.meta.getTransactionMetrics();
      const newest = await currentLifeState(ctx, userId);
      const after = await ctx.meta.getTransactionMetrics();
      return { newest: newest?.timestamp, documents: after.documentsRead.used - before.documentsRead.used };
    });
    expect(reads).toEqual({ newest: NOW, documents: 1 });
  });

  it("history: the last snapshot of each local date, oldest first, ending at now or the newest", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t, { timezone: "America/New_York" });
    expect(await as.query(api.lifeStates.history, { days: 7 })).toEqual([]);
    // Three snapshots a day for 10 days, at 01:00, 09:00 and 17:00 New York time (EDT).
    const times: number[] = [];
    for (let d = 0; d < 10; d++) for (const h of [5, 13, 21]) times.push(Date.UTC(2026, 3, 1 + d, h));
    await t.run(async (ctx) => {
      for (const at of times) await ctx.db.insert("lifeStates", snapshotFields(userId, at, "America/New_York"));
    });
    const newest = await as.query(api.lifeStates.history, { days: 3 });
    expect(newest.map((s) => [s.localDate, s.timestamp])).toEqual([
      ["2026-04-08", Date.UTC(2026, 3, 8, 21)],
      ["2026-04-09", Date.UTC(2026, 3, 9, 21)],
      ["2026-04-10", Date.UTC(2026, 3, 10, 21)],
    ]);
    // A client `now` at 10:00 on Apr 5 (New York): that date's last point is 09:00.
    const atNow = await as.query(api.lifeStates.history, { days: 2, now: Date.UTC(2026, 3, 5, 14) });
    expect(atNow.map((s) => s.timestamp)).toEqual([Date.UTC(2026, 3, 4, 21), Date.UTC(2026, 3, 5, 13)]);
    // Dates before the first snapshot are left out.
    expect(await as.query(api.lifeStates.history, { days: 366 })).toHaveLength(10);
    for (const days of [0, 367, 1.5, Number.NaN]) {
      await expectConvexError(as.query(api.lifeStates.history, { days }), "INVALID_ARGUMENT");
    }
  });

  it("recompute stores an on-demand snapshot at most once a minute (RATE_LIMITED with retryAfterMs)", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const first = await as.mutation(api.lifeStates.recompute, {});
    expect(first).toMatchObject({ timestamp: NOW, source: "on_demand", escapeIndex: 0 });
    vi.setSystemTime(NOW + 20_000);
    const limited = await expectConvexError(as.mutation(api.lifeStates.recompute, {}), "RATE_LIMITED");
    expect(limited.retryAfterMs).toBe(40_000);
    expect(await rows(t, "lifeStates")).toHaveLength(1);
    vi.setSystemTime(NOW + 60_000);
    expect((await as.mutation(api.lifeStates.recompute, {})).timestamp).toBe(NOW + 60_000);
    // The limiter's row is keyed by the user id (erasure clears it by name and key).
    const limiter = await t.run(async (ctx) => await ctx.db.query("rateLimits").collect());
    expect(limiter.map((r) => [r.name, r.key])).toEqual([["recomputeLifeState", userId]]);
  });
});

describe("lifeStates auth", () => {
  it("every public function refuses an unauthenticated caller", async () => {
    const t = newBackend();
    await expectConvexError(t.query(api.lifeStates.current, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.lifeStates.history, { days: 7 }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.lifeStates.recompute, {}), "UNAUTHENTICATED");
  });

  it("a user never sees another user's snapshots, and each is rate-limited on their own", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    await alice.as.mutation(api.lifeStates.recompute, {});
    expect(await alice.as.query(api.lifeStates.current, {})).not.toBeNull();
    expect(await bob.as.query(api.lifeStates.current, {})).toBeNull();
    expect(await bob.as.query(api.lifeStates.history, { days: 30, now: Date.now() })).toEqual([]);
    const bobs = await bob.as.mutation(api.lifeStates.recompute, {});
    expect((await bob.as.query(api.lifeStates.current, {}))?._id).toBe(bobs._id);
  });
});

function snapshotFields(userId: Id<"users">, timestamp: number, timezone: string) {
  return {
    userId,
    timestamp,
    localDate: localDate(timestamp, timezone),
    source: "daily" as const,
    thrust: 0,
    alignment: 0,
    gravity: 0,
    mass: 0,
    escapeIndex: 0,
    latent: Array.from({ length: 15 }, () => 0),
  };
}
