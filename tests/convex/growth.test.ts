import type { FunctionReturnType } from "convex/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import {
  GROWTH_DIMENSIONS,
  GROWTH_SOURCES,
  starState,
  type ConnectionType,
  type GrowthDimension,
  type GrowthEntityType,
  type GrowthSource,
} from "../../src/domain";
import { aggregate, aggregateKey, type GrowthAggregate } from "../../src/mechanics/growth";
import { DAY } from "../../src/time";
import { connectionDoc } from "../support/constellation";
import { type Backend, countRows, createUser, expectConvexError, newBackend } from "../setup";
import { patchGrowthState } from "../support/userState";

const T0 = Date.UTC(2025, 2, 1, 9);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

type EventInput = {
  entityType: GrowthEntityType;
  entityId: string;
  dimKey: GrowthDimension;
  delta: number;
  source: GrowthSource;
};

function ev(entityId: string, dimKey: GrowthDimension, delta: number, entityType: GrowthEntityType = "star"): EventInput {
  return { entityType, entityId, dimKey, delta, source: "extraction_signal" };
}

async function record(t: Backend, userId: Id<"users">, events: EventInput[]) {
  return await t.mutation(internal.growth.record, { userId, events });
}

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ENTITIES: { entityType: GrowthEntityType; entityId: string }[] = [
  { entityType: "star", entityId: "s1" },
  { entityType: "star", entityId: "s2" },
  { entityType: "star", entityId: "s3" },
  { entityType: "mission", entityId: "m1" },
  { entityType: "mission", entityId: "m2" },
  { entityType: "experiment", entityId: "e1" },
  { entityType: "journey", entityId: "j1" },
  { entityType: "user", entityId: "u" },
];

/** ~`total` random events in batches of 1..5, the clock moving 0..2 ms between batches (ties on purpose). */
async function randomLedger(t: Backend, userId: Id<"users">, seed: number, total: number, startAt = T0) {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  let now = startAt;
  let written = 0;
  while (written < total) {
    const batch: EventInput[] = [];
    const size = 1 + Math.floor(random() * 5);
    for (let i = 0; i < size; i++) {
      const entity = pick(ENTITIES);
      // Deltas like 0.1, 0.05·s and arbitrary floats, so float sums depend on their order.
      const delta = pick([0.1, 0.05 * (2 * random() - 1), 0.3, -0.2, 2 * random() - 1, 0.07, 0.03]);
      batch.push({ ...entity, dimKey: pick(GROWTH_DIMENSIONS), delta, source: pick(GROWTH_SOURCES) });
    }
    now += Math.floor(random() * 3);
    vi.setSystemTime(now);
    written += await record(t, userId, batch);
  }
  return written;
}

type Snapshot = { progress: Record<string, GrowthAggregate>; profile: Doc<"growthStates">["growthProfile"] };

async function snapshot(t: Backend, userId: Id<"users">): Promise<Snapshot> {
  return await t.run(async (ctx) => {
    const rows = await ctx.db
      .query("growthProgress")
      .withIndex("by_user_entity", (q) => q.eq("userId", userId))
      .collect();
    const state = await ctx.db
      .query("growthStates")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .unique();
    const progress: Snapshot["progress"] = {};
    for (const row of rows) {
      const { entityType, entityId, dimKey, score, eventCount, lastEventAt, lastSource } = row;
      progress[aggregateKey(row)] = { entityType, entityId, dimKey, score, eventCount, lastEventAt, lastSource };
    }
    return { progress, profile: state!.growthProfile };
  });
}

/** The pure fold of the stored ledger, in ledger order (by_user_created). */
async function foldOfLedger(t: Backend, userId: Id<"users">): Promise<Snapshot> {
  const events = await t.run(async (ctx) =>
    ctx.db
      .query("growthEvents")
      .withIndex("by_user_created", (q) => q.eq("userId", userId))
      .collect(),
  );
  const folded = aggregate(events);
  const progress: Snapshot["progress"] = {};
  for (const a of folded.progress) progress[aggregateKey(a)] = a;
  return { progress, profile: folded.profile };
}

async function runScheduled(t: Backend) {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

describe("growth.record and growth.profile", () => {
  it("appends to the ledger and keeps the profile exact, with activation and mastery", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await record(t, user.userId, [ev("s1", "self_know", 0.6), ev("s1", "self_know", 0.4), ev("m1", "world_act", 0.03, "mission")]);
    await record(t, user.userId, [ev("m1", "world_act", 0.07, "mission"), ev("s2", "self_act", -0.2)]);
    const view = await user.as.query(api.growth.profile, {});
    expect(view.rulesVersion).toBe("1.0.0");
    expect(view.rebuilding).toBe(false);
    expect(view.dimensions.self_know).toEqual({ score: 1, active: true, mastery: 1, mastered: true });
    // 0.03 + 0.07 = 0.09999999999999999: active within the rules' tolerance.
    expect(view.dimensions.world_act).toEqual({ score: 0.03 + 0.07, active: true, mastery: 0.03 + 0.07, mastered: false });
    expect(view.dimensions.self_act).toEqual({ score: -0.2, active: false, mastery: -0.2, mastered: false });
    expect(view.activeDimensions).toEqual(["self_know", "world_act"]);
    expect(await countRows(t, "growthEvents")).toBe(5);
  });

  it("refuses a batch with an invalid delta and writes nothing of it", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await expectConvexError(record(t, user.userId, [ev("s1", "self_know", 0.5), ev("s1", "self_act", 1.5)]), "INVALID_ARGUMENT");
    await expectConvexError(record(t, user.userId, [ev("s1", "self_know", Number.POSITIVE_INFINITY)]), "INVALID_ARGUMENT");
    await expectConvexError(record(t, user.userId, [ev("", "self_know", 0.1)]), "INVALID_ARGUMENT");
    await expectConvexError(record(t, user.userId, Array.from({ length: 101 }, () => ev("s1", "self_know", 0.01))), "INVALID_ARGUMENT");
    expect(await countRows(t, "growthEvents")).toBe(0);
    expect(await countRows(t, "growthProgress")).toBe(0);
  });
});

describe("growth.rebuild", () => {
  it("reproduces the stored aggregates exactly after a random ledger, even from corrupted ones", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const other = await createUser(t);
    const written = await randomLedger(t, user.userId, 20250301, 320);
    await randomLedger(t, other.userId, 7, 30, T0 + 5 * DAY);
    const live = await snapshot(t, user.userId);
    const otherLive = await snapshot(t, other.userId);
    expect(written).toBeGreaterThanOrEqual(320);
    expect(Object.keys(live.progress).length).toBeGreaterThan(25);
    // The live path is the fold of its own ledger, bit for bit.
    expect(live).toStrictEqual(await foldOfLedger(t, user.userId));

    // Damage every kind of aggregate state; the rebuild must not depend on any of it.
    await t.run(async (ctx) => {
      const rows = await ctx.db
        .query("growthProgress")
        .withIndex("by_user_entity", (q) => q.eq("userId", user.userId))
        .take(3);
      await ctx.db.patch("growthProgress", rows[0]._id, { score: rows[0].score + 1e-12, eventCount: 99 });
      await ctx.db.delete("growthProgress", rows[1]._id);
      await ctx.db.patch("growthProgress", rows[2]._id, { lastSource: "milestone_reached", lastEventAt: 0 });
      await ctx.db.insert("growthProgress", {
        userId: user.userId,
        entityType: "star",
        entityId: "ghost",
        dimKey: "self_know",
        score: 3,
        eventCount: 1,
        lastEventAt: 1,
        lastSource: "star_created",
      });
      await patchGrowthState(ctx, user.userId, { growthProfile: { ...live.profile, world_show: 42 } });
    });
    expect(await snapshot(t, user.userId)).not.toStrictEqual(live);

    vi.setSystemTime(T0 + DAY);
    expect(await t.mutation(internal.growth.rebuild, { userId: user.userId, pageSize: 37 })).toEqual({ started: true });
    await runScheduled(t);

    expect(await snapshot(t, user.userId)).toStrictEqual(live);
    expect(await snapshot(t, other.userId)).toStrictEqual(otherLive); // other users untouched
    expect((await user.as.query(api.growth.profile, {})).rebuilding).toBe(false);
    // It ran in many pages (the ledger was 9 pages of 37).
    const pages = await t.run(async (ctx) =>
      (await ctx.db.system.query("_scheduled_functions").collect()).filter((job) => job.name.includes("rebuildPage")),
    );
    expect(pages.length).toBeGreaterThanOrEqual(10);
  });

  it("folds appends made during a rebuild in ledger order, and refuses a second concurrent rebuild", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await randomLedger(t, user.userId, 99, 80);
    vi.setSystemTime(T0 + DAY);
    await t.mutation(internal.growth.rebuild, { userId: user.userId, pageSize: 10 });
    // Run the first few pages only (zeroing, then part of the replay).
    for (let step = 0; step < 5; step++) {
      vi.runOnlyPendingTimers();
      await t.finishInProgressScheduledFunctions();
    }
    const during = await user.as.query(api.growth.profile, {});
    expect(during.rebuilding).toBe(true);
    expect(await t.mutation(internal.growth.rebuild, { userId: user.userId })).toEqual({ started: false });

    vi.setSystemTime(T0 + DAY + 1);
    await record(t, user.userId, [ev("s1", "self_know", 0.25), ev("new", "world_show", 0.1), ev("u", "self_act", -0.3, "user")]);
    await runScheduled(t);

    const after = await snapshot(t, user.userId);
    expect(after).toStrictEqual(await foldOfLedger(t, user.userId));
    expect(after.progress[aggregateKey({ entityType: "star", entityId: "new", dimKey: "world_show" })]).toMatchObject({
      score: 0.1,
      eventCount: 1,
      lastEventAt: T0 + DAY + 1,
    });
    expect((await user.as.query(api.growth.profile, {})).rebuilding).toBe(false);
  });

  it("a restart supersedes the running rebuild, whose pages then stop", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await randomLedger(t, user.userId, 3, 60);
    const live = await snapshot(t, user.userId);
    await t.mutation(internal.growth.rebuild, { userId: user.userId, pageSize: 7 });
    vi.runOnlyPendingTimers();
    await t.finishInProgressScheduledFunctions();
    expect(await t.mutation(internal.growth.rebuild, { userId: user.userId, restart: true, pageSize: 11 })).toEqual({
      started: true,
    });
    await runScheduled(t);
    expect(await snapshot(t, user.userId)).toStrictEqual(live);
  });
});

// ---------------------------------------------------------------------------------------
// Evolution, with real stars and connections rows.

async function insertStar(
  t: Backend,
  userId: Id<"users">,
  label: string,
  extra: Partial<Doc<"stars">> = {},
): Promise<Id<"stars">> {
  return await t.run(async (ctx) =>
    ctx.db.insert("stars", withState({
      userId,
      label,
      normalizedLabel: label.toLowerCase(),
      description: `${label} (test star)`,
      domain: "purpose",
      polarity: "light",
      conceptType: "insight",
      type: "flickering",
      brightness: 0.5,
      variance: 0.05,
      theta: 1,
      radius: 0.55,
      extractedDay: 0,
      evidence: [],
      reinforcementCount: 0,
      createdAt: T0,
      lastUpdatedAt: T0,
      lastReinforcedAt: T0,
      ...extra,
    })),
  );
}

/** The state the writers keep on every star (the live set), from its type and dismissal. */
function withState<T extends Omit<Doc<"stars">, "_id" | "_creationTime">>(star: T): T {
  return { ...star, state: starState(star) };
}

async function connect(
  t: Backend,
  userId: Id<"users">,
  starA: Id<"stars">,
  starB: Id<"stars">,
  type: ConnectionType = "causation",
) {
  await t.run(async (ctx) => ctx.db.insert("connections", await connectionDoc(ctx, userId, { starA, starB, type, createdAt: T0, updatedAt: T0 })));
}

/** Gives a star `n` active dimensions (0.1 each: exactly the activation threshold). */
async function activate(t: Backend, userId: Id<"users">, starId: Id<"stars">, n: number) {
  if (n === 0) return;
  await record(t, userId, GROWTH_DIMENSIONS.slice(0, n).map((dim) => ev(starId, dim, 0.1)));
}

describe("evolution states (growth.cards and growth.entity)", () => {
  it("follows the thresholds: active dimensions and non-dormant connections", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const { userId } = user;
    const neighbours: Id<"stars">[] = [];
    for (let i = 0; i < 6; i++) neighbours.push(await insertStar(t, userId, `neighbour ${i}`));
    const sleeper = await insertStar(t, userId, "sleeper", { type: "dormant", brightness: 0.05 });

    const cases: { label: string; active: number; links: number; dormantLinks?: number; star?: Partial<Doc<"stars">>; expected: string; connections: number }[] = [
      { label: "seed", active: 0, links: 2, expected: "seed", connections: 2 },
      { label: "sprout", active: 1, links: 0, expected: "sprout", connections: 0 },
      { label: "two", active: 2, links: 6, expected: "sprout", connections: 6 },
      { label: "bloom", active: 3, links: 0, expected: "bloom", connections: 0 },
      { label: "four with many links", active: 4, links: 6, expected: "bloom", connections: 6 },
      { label: "five, two links", active: 5, links: 2, expected: "bloom", connections: 2 },
      { label: "constellation", active: 5, links: 3, expected: "constellation", connections: 3 },
      { label: "dormant link does not count", active: 5, links: 2, dormantLinks: 1, expected: "bloom", connections: 2 },
      { label: "six, four links", active: 6, links: 4, expected: "constellation", connections: 4 },
      { label: "supernova", active: 6, links: 5, expected: "supernova", connections: 5 },
      { label: "supernova but dormant itself", active: 6, links: 5, star: { type: "dormant" }, expected: "bloom", connections: 0 },
    ];
    const ids = new Map<string, Id<"stars">>();
    for (const c of cases) {
      const id = await insertStar(t, userId, c.label, c.star);
      ids.set(c.label, id);
      await activate(t, userId, id, c.active);
      // Alternate directions: the star is starA of some connections and starB of others.
      for (let i = 0; i < c.links; i++) {
        if (i % 2 === 0) await connect(t, userId, id, neighbours[i]);
        else await connect(t, userId, neighbours[i], id, "resonance");
      }
      for (let i = 0; i < (c.dormantLinks ?? 0); i++) await connect(t, userId, id, sleeper);
    }
    // A dimension just below activation, and one pulled back under it, stay inactive.
    await record(t, userId, [ev(ids.get("seed")!, "world_show", 0.09), ev(ids.get("seed")!, "self_know", 0.2), ev(ids.get("seed")!, "self_know", -0.15)]);
    // A dismissed star has no card.
    await insertStar(t, userId, "dismissed", { dismissedAt: T0 });

    const all: { label: string; evolutionState: string; connectionCount: number; activeDimensions: string[] }[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: FunctionReturnType<typeof api.growth.cards> = await user.as.query(api.growth.cards, {
        paginationOpts: { numItems: 4, cursor },
      });
      all.push(...page.page);
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(all.map((card) => card.label)).not.toContain("dismissed");
    expect(all).toHaveLength(6 + 1 + cases.length);
    for (const c of cases) {
      const card = all.find((x) => x.label === c.label);
      expect(card, c.label).toMatchObject({ evolutionState: c.expected, connectionCount: c.connections });
      expect(card!.activeDimensions, c.label).toEqual(GROWTH_DIMENSIONS.slice(0, c.active));
    }
    // growth.entity agrees with the card.
    const supernova = await user.as.query(api.growth.entity, { entityType: "star", entityId: ids.get("supernova")! });
    expect(supernova).toMatchObject({
      evolutionState: "supernova",
      connectionCount: 5,
      eventCount: 6,
      lastSource: "extraction_signal",
      lastEventAt: T0,
    });
    expect(supernova.scores).toEqual({ self_know: 0.1, self_act: 0.1, self_show: 0.1, world_know: 0.1, world_act: 0.1, world_show: 0.1 });
  });

  it("growth.entity reports the last source and answers NOT_FOUND for anything not the caller's", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const star = await insertStar(t, alice.userId, "courage");
    vi.setSystemTime(T0 + 1000);
    await t.mutation(internal.growth.record, {
      userId: alice.userId,
      events: [{ entityType: "star", entityId: star, dimKey: "self_know", delta: 0.1, source: "star_created" }],
    });
    vi.setSystemTime(T0 + 2000);
    await t.mutation(internal.growth.record, {
      userId: alice.userId,
      events: [{ entityType: "star", entityId: star, dimKey: "world_know", delta: 0.05, source: "star_reinforced" }],
    });
    const view = await alice.as.query(api.growth.entity, { entityType: "star", entityId: star });
    expect(view).toMatchObject({
      entityType: "star",
      entityId: star,
      evolutionState: "sprout",
      lastSource: "star_reinforced",
      lastEventAt: T0 + 2000,
      eventCount: 2,
      activeDimensions: ["self_know"],
    });
    // A user entity is the caller itself; a skill is global. Empty entities are seeds.
    expect(await alice.as.query(api.growth.entity, { entityType: "user", entityId: alice.userId })).toMatchObject({
      evolutionState: "seed",
      eventCount: 0,
    });

    // Bob: Alice's star, Alice herself, a malformed id and a missing star all read the same.
    const missingStar = await t.run(async (ctx) => {
      const { _id, _creationTime, ...copy } = (await ctx.db.get("stars", star))!;
      const id = await ctx.db.insert("stars", copy);
      await ctx.db.delete("stars", id);
      return id;
    });
    for (const [entityType, entityId] of [
      ["star", star],
      ["user", alice.userId],
      ["star", "not-an-id"],
      ["star", missingStar],
      ["mission", star],
      ["skill", star],
    ] as const) {
      const error = await expectConvexError(bob.as.query(api.growth.entity, { entityType, entityId }), "NOT_FOUND");
      expect(error.message).toBe(`${entityType} not found`);
    }
    // And Bob's cards do not include Alice's stars.
    expect((await bob.as.query(api.growth.cards, { paginationOpts: { numItems: 10, cursor: null } })).page).toEqual([]);
  });

  it("refuses every public function without an identity", async () => {
    const t = newBackend();
    await expectConvexError(t.query(api.growth.profile, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.growth.entity, { entityType: "star", entityId: "x" }), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.growth.cards, { paginationOpts: { numItems: 5, cursor: null } }), "UNAUTHENTICATED");
  });
});
