// The live set (docs/architecture.md "The live set", issue 12). Part 1: every read about the
// current constellation gives the same answer, the contract's, for a new user and for a
// long-time user whose history (dormant and dismissed stars, links among dormant stars)
// passes every read cap; history is seeded first, as a real one is older than the live set.
// Part 2: the state machine keeps each star's state and both ends of its connections in
// step through decay, drain, reinforcement, spill, dismissal and the backfill.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { END_SYNC_BUDGET, MAX_CONNECTIONS_PER_STAR } from "../../convex/model/connections";
import { GROWTH_DIMENSIONS, type ConnectionType } from "../../src/domain";
import { measureMutation } from "../../bench/measure";
import { createUser, newBackend, type Backend } from "../setup";
import {
  DAY,
  T0,
  connection,
  connectionDoc,
  insertConnection,
  insertStar,
  insertStars,
  star,
  type StarSeed,
} from "../support/constellation";
import { insertJourney } from "../support/trajectory";
import { patchSchedule } from "../support/userState";

afterEach(() => {
  vi.useRealTimers();
});

const HISTORIES = ["no history", "a long history"] as const;
type History = (typeof HISTORIES)[number];
const long = (history: History) => history === "a long history";

// ---------------------------------------------------------------------------------------
// History, written straight into the backend as a long-time user's account holds it

let historyLabel = 0;

/** Faint stars not reinforced for 60 days, frozen at 0.055 (dormant, docs/mechanics.md). */
async function dormantStars(t: Backend, userId: Id<"users">, n: number, seed: StarSeed = {}): Promise<Id<"stars">[]> {
  return await insertStars(
    t,
    userId,
    Array.from({ length: n }, () => ({
      label: `old pattern ${++historyLabel}`,
      brightness: 0.055,
      type: "dormant" as const,
      lastReinforcedAt: T0 - 60 * DAY,
      lastUpdatedAt: T0 - 30 * DAY,
      ...seed,
    })),
  );
}

/** Stars the user rejected: dormant for good, but they keep their (high) brightness. */
async function dismissedStars(t: Backend, userId: Id<"users">, n: number): Promise<Id<"stars">[]> {
  return await insertStars(
    t,
    userId,
    Array.from({ length: n }, () => ({
      label: `rejected ${++historyLabel}`,
      brightness: 0.9,
      variance: 0.01,
      type: "dormant" as const,
      dismissedAt: T0 - 20 * DAY,
    })),
  );
}

/** `count` distinct connections of `type` among `stars` (gap 1, then 2, ... around the ring). */
async function linkAmong(t: Backend, userId: Id<"users">, stars: Id<"stars">[], count: number, type: ConnectionType) {
  await t.run(async (ctx) => {
    let made = 0;
    for (let gap = 1; made < count; gap++) {
      if (gap >= stars.length) throw new Error("not enough stars for that many distinct pairs");
      for (let i = 0; i < stars.length && made < count; i++, made++) {
        const fields = { starA: stars[i], starB: stars[(i + gap) % stars.length], type, createdAt: T0 - 40 * DAY };
        await ctx.db.insert("connections", await connectionDoc(ctx, userId, fields));
      }
    }
  });
}

/** Links from `from` to each of `to` (one direction, so they share from's index range). */
async function linkFrom(t: Backend, userId: Id<"users">, from: Id<"stars">, to: Id<"stars">[], type: ConnectionType) {
  await t.run(async (ctx) => {
    for (const starB of to) {
      await ctx.db.insert("connections", await connectionDoc(ctx, userId, { starA: from, starB, type }));
    }
  });
}

async function upsert(t: Backend, userId: Id<"users">, starA: Id<"stars">, starB: Id<"stars">, type: ConnectionType, strength = 0.5) {
  return await t.mutation(internal.connections.upsert, { userId, starA, starB, type, strength, now: T0 });
}

// ---------------------------------------------------------------------------------------
// Part 1: the same answer whatever the history

describe.each(HISTORIES)("with %s", (history) => {
  it("stars.constellation: the 5 active stars and their 4 connections (1,100 old links among dormant stars)", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    if (long(history)) await linkAmong(t, userId, await dormantStars(t, userId, 60), 1_100, "resonance");
    const active = await insertStars(t, userId, [{}, {}, {}, {}, {}]);
    const links = [];
    for (let i = 0; i < 4; i++) links.push(await upsert(t, userId, active[i], active[i + 1], "causation"));

    const view = await as.query(api.stars.constellation, {});
    expect(view.stars.map((s) => s._id).sort()).toEqual([...active].sort());
    expect(view.connections.map((c) => c._id).sort()).toEqual([...links].sort());
    expect(view.truncated).toBe(false);
  });

  it("stars.constellation with includeDormant: 15 stars, never a dismissed one (600 dismissed)", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    if (long(history)) await dismissedStars(t, userId, 600);
    const dormant = await dormantStars(t, userId, 10);
    const active = await insertStars(t, userId, [{}, {}, {}, {}, {}]);
    const toDormant = await insertConnection(t, userId, { starA: active[0], starB: dormant[0], type: "resonance" });

    const view = await as.query(api.stars.constellation, { includeDormant: true });
    expect(view.stars).toHaveLength(15);
    expect(view.stars.map((s) => s._id).sort()).toEqual([...active, ...dormant].sort());
    expect(view.stars.slice(5).every((s) => s.type === "dormant")).toBe(true); // active types first
    expect(view.connections.map((c) => c._id)).toEqual([toDormant]);
    expect(view.truncated).toBe(false);
    // Without the flag, the link to a dormant star is history.
    expect((await as.query(api.stars.constellation, {})).connections).toEqual([]);
  });

  it("LifeState gravity: a live tension 0.4 between 0.8 and 0.6 gives G = 1 − e^−0.06 (201 old tensions)", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) await linkAmong(t, userId, await dormantStars(t, userId, 30), 201, "tension");
    const [a, b] = await insertStars(t, userId, [{ brightness: 0.8 }, { brightness: 0.6 }]);
    await insertConnection(t, userId, { starA: a, starB: b, type: "tension", strength: 0.4 });
    const s = await snapshot(t, userId);
    expect(s.gravity).toBeCloseTo(1 - Math.exp(-0.06), 15);
  });

  it("LifeState gravity: a live blocks of strength 1 gives G = 1 − e^−0.5 (201 old blocks)", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) await linkAmong(t, userId, await dormantStars(t, userId, 30), 201, "blocks");
    const [blocker, goal] = await insertStars(t, userId, [{ brightness: 0.5 }, { brightness: 0.4 }]);
    await insertConnection(t, userId, { starA: blocker, starB: goal, type: "blocks", strength: 1 });
    const s = await snapshot(t, userId);
    expect(s.gravity).toBeCloseTo(1 - Math.exp(-0.5), 15);
  });

  it("LifeState gravity: a dark star 0.6 with its live mirror gives G = 1 − e^−0.9 (201 old mirrors), nightly too", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) {
      const old = await dormantStars(t, userId, 30, { polarity: "shadow" });
      await linkAmong(t, userId, old, 201, "shadow_mirror");
    }
    const [dark, light] = await insertStars(t, userId, [{ brightness: 0.6, polarity: "shadow" }, { brightness: 0.5 }]);
    await insertConnection(t, userId, { starA: dark, starB: light, type: "shadow_mirror", strength: 0.5 });
    // D = 0.6·(1 + 0.5·1): on demand and in the nightly rollover's snapshot alike.
    expect((await snapshot(t, userId)).gravity).toBeCloseTo(1 - Math.exp(-0.9), 15);
    const nightly = await nightlySnapshot(t, userId);
    expect(nightly.gravity).toBeCloseTo(1 - Math.exp(-0.9), 15);
  });

  it("growth.entity and growth.cards: 5 live connections make a supernova (50 old links to now-dormant stars)", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const old = long(history) ? await dormantStars(t, userId, 50) : [];
    const [hub, ...spokes] = await insertStars(t, userId, [{}, {}, {}, {}, {}, {}]);
    // The old links start at the hub, like the live ones, and sort first in its range.
    await linkFrom(t, userId, hub, old, "causation");
    for (const spoke of spokes) await upsert(t, userId, hub, spoke, "causation");
    await t.mutation(internal.growth.record, {
      userId,
      events: GROWTH_DIMENSIONS.map((dimKey) => ({ entityType: "star" as const, entityId: hub, dimKey, delta: 0.1, source: "extraction_signal" as const })),
    });

    const entity = await as.query(api.growth.entity, { entityType: "star", entityId: hub });
    expect(entity).toMatchObject({ connectionCount: 5, evolutionState: "supernova" });
    const card = await findCard(as, hub);
    expect(card).toMatchObject({ connectionCount: 5, evolutionState: "supernova" });
  });

  it("the chat prompt lists the 3 active stars (200 dismissed stars keep their brightness)", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) await dismissedStars(t, userId, 200);
    const active = await insertStars(t, userId, [{ brightness: 0.3 }, { brightness: 0.4 }, { brightness: 0.5 }]);
    expect(await chatPromptStarIds(t, userId)).toEqual([...active].reverse()); // brightest first
  });

  it("the chat prompt lists 5 faint active stars at 0.05 (200 dormant stars frozen at 0.055)", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) await dormantStars(t, userId, 200);
    const active = await insertStars(t, userId, Array.from({ length: 5 }, () => ({ brightness: 0.05 })));
    expect((await chatPromptStarIds(t, userId)).sort()).toEqual([...active].sort());
  });

  it("the experiment prompt: its 3 active stars and the live causation (100 dismissed stars, 200 old causations)", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (long(history)) {
      await dismissedStars(t, userId, 100);
      await linkAmong(t, userId, await dormantStars(t, userId, 30), 200, "causation");
    }
    const [a, b, c] = await insertStars(t, userId, [{ brightness: 0.6 }, { brightness: 0.5 }, { brightness: 0.4 }]);
    await upsert(t, userId, a, b, "causation", 0.7);
    const journeyId = await insertJourney(t, userId, { lastOfferDate: "2026-01-10" });
    const context = await t.query(internal.experiments.generationContext, { journeyId, offeredDate: "2026-01-10" });
    expect(context?.prompt.stars.map((s) => s.id)).toEqual([a, b, c]);
    expect(context?.prompt.causations).toEqual([{ from: a, to: b, strength: 0.7 }]);
  });

  it(`the cap counts live connections: a hub with ${MAX_CONNECTIONS_PER_STAR} links to dormant stars still connects`, async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const old = long(history) ? await dormantStars(t, userId, MAX_CONNECTIONS_PER_STAR) : [];
    const [hub, other] = await insertStars(t, userId, [{}, {}]);
    await linkFrom(t, userId, hub, old, "resonance");
    const id = await upsert(t, userId, hub, other, "growth_edge");
    expect(await connection(t, id)).toMatchObject({ starA: hub, starB: other, aState: "live", bState: "live" });
  });
});

describe("the nightly drain touches live mirrors only", () => {
  /** decay.user's cost for a user with one live mirror, and `oldMirrors` among dormant stars. */
  async function drainCost(oldMirrors: number) {
    const t = newBackend();
    const { userId } = await createUser(t);
    if (oldMirrors > 0) await linkAmong(t, userId, await dormantStars(t, userId, 60, { polarity: "shadow" }), oldMirrors, "shadow_mirror");
    const [dark, light] = await insertStars(t, userId, [{ brightness: 0.6, polarity: "shadow" }, { brightness: 0.7 }]);
    const mirror = await insertConnection(t, userId, { starA: dark, starB: light, type: "shadow_mirror", strength: 1 });
    const { metrics } = await measureMutation(t, internal.decay.user, { userId, now: T0 + DAY });
    const connections = await t.run(
      async (ctx) => await ctx.db.query("connections").withIndex("by_user", (q) => q.eq("userId", userId)).take(oldMirrors + 2),
    );
    return { metrics, mirror: connections.find((c) => c._id === mirror)!, old: connections.filter((c) => c._id !== mirror) };
  }

  it("1,000 old mirrors among dormant stars: the same documents read and written, none of them touched", async () => {
    const none = await drainCost(0);
    const history = await drainCost(1_000);
    for (const run of [none, history]) {
      expect(run.mirror.lastDrainAt).toBe(T0 + DAY);
      expect(run.metrics.functionsScheduled).toBe(0); // one transaction
    }
    expect(history.metrics.documentsRead).toBe(none.metrics.documentsRead);
    expect(history.metrics.documentsWritten).toBe(none.metrics.documentsWritten);
    expect(history.old).toHaveLength(1_000);
    expect(history.old.every((c) => c.lastDrainAt === T0)).toBe(true);
  });
});

async function snapshot(t: Backend, userId: Id<"users">) {
  const id = await t.mutation(internal.lifeStates.compute, { userId, now: T0 });
  return (await t.run(async (ctx) => await ctx.db.get("lifeStates", id)))!;
}

/** The daily rollover's snapshot (the nightly job), for a user whose local midnight passed. */
async function nightlySnapshot(t: Backend, userId: Id<"users">) {
  await t.run(async (ctx) => await patchSchedule(ctx, userId, { nextDailyAt: T0 - 1 }));
  await t.mutation(internal.jobs.dailyRolloverUsers, { userIds: [userId], now: T0 });
  const latest = await t.run(
    async (ctx) =>
      await ctx.db
        .query("lifeStates")
        .withIndex("by_user_timestamp", (q) => q.eq("userId", userId))
        .order("desc")
        .first(),
  );
  expect(latest?.source).toBe("daily");
  return latest!;
}

async function findCard(as: ReturnType<Backend["withIdentity"]>, starId: Id<"stars">) {
  let cursor: string | null = null;
  for (;;) {
    const page: { page: { starId: Id<"stars"> }[]; isDone: boolean; continueCursor: string } = await as.query(
      api.growth.cards,
      { paginationOpts: { numItems: 25, cursor } },
    );
    const card = page.page.find((c) => c.starId === starId);
    if (card !== undefined) return card;
    if (page.isDone) throw new Error("no card for the star");
    cursor = page.continueCursor;
  }
}

/** The star ids the chat prompt of a fresh user message would list (the pipeline's own query). */
async function chatPromptStarIds(t: Backend, userId: Id<"users">): Promise<Id<"stars">[]> {
  const messageId = await t.run(async (ctx) => {
    const conversationId = await ctx.db.insert("conversations", {
      userId,
      phase: "walk",
      status: "active",
      messageCount: 1,
      userMessageCount: 1,
      startedAt: T0,
      lastMessageAt: T0,
    });
    return await ctx.db.insert("messages", {
      userId,
      conversationId,
      role: "user",
      content: "How am I doing?",
      createdAt: T0,
      extraction: { status: "pending", attempts: 0, updatedAt: T0 },
    });
  });
  const context = await t.query(internal.extraction.turnContext, { messageId, attempt: 1 });
  if (context?.kind !== "turn") throw new Error("no turn context");
  return context.prompt.stars.map((s) => s.id as Id<"stars">);
}

// ---------------------------------------------------------------------------------------
// Part 2: the state machine keeps the live set in step

function ends(c: Doc<"connections"> | null) {
  return c === null ? null : [c.aState, c.bState];
}

describe("the live set follows every change of a star's state", () => {
  it("decay puts a faint star to sleep: its links leave the live constellation, stay in its history", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    // 0.0605 > 0.06 today; a day of decay takes it to 0.05999: unreinforced for 40 days, it sleeps.
    const [sleepy, awake] = await insertStars(t, userId, [
      { brightness: 0.0605, createdAt: T0 - 50 * DAY, lastReinforcedAt: T0 - 40 * DAY },
      { brightness: 0.6 },
    ]);
    expect((await star(t, sleepy)).state).toBe("live");
    const link = await upsert(t, userId, sleepy, awake, "resonance");

    vi.useFakeTimers();
    await t.mutation(internal.decay.user, { userId, now: T0 + DAY });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await star(t, sleepy)).toMatchObject({ type: "dormant", state: "dormant" });
    expect(ends(await connection(t, link))).toEqual(["dormant", "live"]);
    const live = await as.query(api.stars.constellation, {});
    expect([live.stars.map((s) => s._id), live.connections]).toEqual([[awake], []]);
    const all = await as.query(api.stars.constellation, { includeDormant: true });
    expect(all.connections.map((c) => c._id)).toEqual([link]);
    // stars.get lists the star's links to live stars: the sleeper's one link, from either side.
    expect((await as.query(api.stars.get, { starId: sleepy })).connections.map((c) => c._id)).toEqual([link]);
    expect((await as.query(api.stars.get, { starId: awake })).connections).toEqual([]);
  });

  it("a reinforcement wakes a dormant star: its links to live stars come back, a mirror's drain clock restarts", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const [shadow] = await dormantStars(t, userId, 1, { polarity: "shadow" });
    const [otherSleeper] = await dormantStars(t, userId, 1);
    const light = await insertStar(t, userId, { brightness: 0.6 });
    const mirror = await insertConnection(t, userId, { starA: shadow, starB: light, type: "shadow_mirror", strength: 1, lastDrainAt: T0 - 50 * DAY });
    const toSleeper = await insertConnection(t, userId, { starA: shadow, starB: otherSleeper, type: "resonance" });
    const T2 = T0 + 2 * DAY;

    await t.mutation(internal.stars.reinforce, { userId, starId: shadow, signal: 1, now: T2 });
    expect(await star(t, shadow)).toMatchObject({ type: "dark", state: "live" });
    expect(await connection(t, mirror)).toMatchObject({ aState: "live", bState: "live", lastDrainAt: T2 });
    expect(ends(await connection(t, toSleeper))).toEqual(["live", "dormant"]);
    // The sleeper got no spill: a dormant star is frozen until its own evidence wakes it.
    expect(await star(t, otherSleeper)).toMatchObject({ state: "dormant", lastUpdatedAt: T0 - 30 * DAY });
    const view = await as.query(api.stars.constellation, {});
    expect(view.connections.map((c) => c._id)).toEqual([mirror]);
    // The next night drains one day of the mirror, not the 50 it slept through.
    await t.mutation(internal.decay.user, { userId, now: T2 + DAY });
    expect((await connection(t, mirror))!.lastDrainAt).toBe(T2 + DAY);
  });

  it("a tension spill that pushes a stale faint star to 0.06 puts it to sleep, in the same transaction", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [source, stale, third] = await insertStars(t, userId, [
      { brightness: 0.5 },
      { brightness: 0.062, createdAt: T0 - 50 * DAY, lastReinforcedAt: T0 - 40 * DAY },
      { brightness: 0.5 },
    ]);
    const tension = await upsert(t, userId, source, stale, "tension", 1);
    const other = await upsert(t, userId, stale, third, "causation");
    // Δ* = 0.25·1·(1 − 0.5) = 0.125; the stale star gets −0.08·1·0.125 = −0.01 → 0.052.
    await t.mutation(internal.stars.reinforce, { userId, starId: source, signal: 1, now: T0 });
    const after = await star(t, stale);
    expect(after.brightness).toBeCloseTo(0.052, 15);
    expect(after).toMatchObject({ type: "dormant", state: "dormant" });
    const tensionRow = (await connection(t, tension))!;
    expect(tensionRow.starA === stale ? tensionRow.aState : tensionRow.bState).toBe("dormant");
    expect(ends(await connection(t, other))).toEqual(["dormant", "live"]);
  });

  it("dismissal: the star's links get a dismissed end and leave even the dormant history", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const [kept, rejected] = await insertStars(t, userId, [{}, {}]);
    const link = await upsert(t, userId, kept, rejected, "growth_edge");
    await as.mutation(api.stars.dismiss, { starId: rejected });
    expect(await star(t, rejected)).toMatchObject({ type: "dormant", state: "dismissed" });
    expect(ends(await connection(t, link))).toEqual(["live", "dismissed"]);
    const all = await as.query(api.stars.constellation, { includeDormant: true });
    expect([all.stars.map((s) => s._id), all.connections]).toEqual([[kept], []]);
    // Another user's constellation never sees any of it.
    const bob = await createUser(t);
    expect(await bob.as.query(api.stars.constellation, { includeDormant: true })).toEqual({ stars: [], connections: [], truncated: false });
  });

  it(`a change past ${END_SYNC_BUDGET} links finishes in scheduled pages: every end agrees`, async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const old = await dormantStars(t, userId, 450);
    const hub = await insertStar(t, userId);
    await linkFrom(t, userId, hub, old.slice(0, 300), "resonance");
    await t.run(async (ctx) => {
      for (const starA of old.slice(300)) await ctx.db.insert("connections", await connectionDoc(ctx, userId, { starA, starB: hub, type: "causation" }));
    });
    const hubEnds = async () =>
      await t.run(async (ctx) => {
        const outgoing = await ctx.db.query("connections").withIndex("by_star", (q) => q.eq("starA", hub)).take(500);
        const incoming = await ctx.db.query("connections").withIndex("by_star_b_partner", (q) => q.eq("starB", hub)).take(500);
        return [...outgoing.map((c) => c.aState), ...incoming.map((c) => c.bState)];
      });

    vi.useFakeTimers();
    await as.mutation(api.stars.dismiss, { starId: hub });
    const inTransaction = await hubEnds();
    expect(inTransaction.filter((s) => s === "dismissed")).toHaveLength(END_SYNC_BUDGET);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await hubEnds()).toEqual(Array.from({ length: 450 }, () => "dismissed"));
  });

  it("the backfill sets every state from the documents, pages, is idempotent and has a dry run", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [live, sleeper, rejected] = await insertStars(t, userId, [
      {},
      { brightness: 0.05, type: "dormant", lastReinforcedAt: T0 - 60 * DAY },
      { type: "dormant", dismissedAt: T0 },
    ]);
    const c1 = await insertConnection(t, userId, { starA: live, starB: sleeper, type: "resonance" });
    const c2 = await insertConnection(t, userId, { starA: rejected, starB: live, type: "blocks" });
    // Documents from before the live set: no state fields at all.
    await t.run(async (ctx) => {
      for (const id of [live, sleeper, rejected]) await ctx.db.patch("stars", id, { state: undefined });
      for (const id of [c1, c2]) await ctx.db.patch("connections", id, { aState: undefined, bState: undefined });
    });

    const dry = await t.mutation(internal.migrations.backfillLiveness, { dryRun: true });
    expect(dry).toEqual({ table: "stars", read: 3, changed: 3, done: false });
    expect((await star(t, live)).state).toBeUndefined();

    vi.useFakeTimers();
    await t.mutation(internal.migrations.backfillLiveness, {});
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect([(await star(t, live)).state, (await star(t, sleeper)).state, (await star(t, rejected)).state]).toEqual([
      "live",
      "dormant",
      "dismissed",
    ]);
    expect([ends(await connection(t, c1)), ends(await connection(t, c2))]).toEqual([
      ["live", "dormant"],
      ["dismissed", "live"],
    ]);
    // A second run finds nothing to change.
    expect(await t.mutation(internal.migrations.backfillLiveness, { dryRun: true })).toMatchObject({ changed: 0 });
    expect(await t.mutation(internal.migrations.backfillLiveness, { table: "connections", dryRun: true })).toEqual({
      table: "connections",
      read: 2,
      changed: 0,
      done: true,
    });
  });
});
