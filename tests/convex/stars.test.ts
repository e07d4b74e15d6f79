// The Convex layer of the stars (issue 3): the internal writers the pipeline calls and the
// public reads and corrections, on the in-memory backend under real transaction limits.
// Expected numbers come from the pure formulas (src/mechanics/stars.ts), which have their
// own hand-computed tests; these tests check that the right rows are loaded and written.
import type { FunctionArgs } from "convex/server";
import { describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_ACTIVE_STARS } from "../../convex/model/stars";
import {
  createStar as pureCreateStar,
  reinforce as pureReinforce,
  spill as pureSpill,
  thetaFor,
} from "../../src/mechanics/stars";
import { countRows, createUser, expectConvexError, newBackend, type Backend } from "../setup";
import {
  DAY,
  T0,
  allStars,
  insertConnection,
  insertMessage,
  insertStar,
  insertStars,
  star,
} from "../support/constellation";
import { growthStateRow } from "../support/userState";

const FREE = { ceiling: 1, growthEdgeMultiplier: 1 };
const T1 = T0 + 3_600_000;

type CreateArgs = FunctionArgs<typeof internal.stars.create>;

/** internal.stars.create with a plain health star's arguments at T0, overridable. */
async function create(t: Backend, userId: Id<"users">, input: Partial<CreateArgs> = {}) {
  return await t.mutation(internal.stars.create, {
    userId,
    label: "Morning runs",
    description: "Runs before work",
    domain: "health",
    now: T0,
    ...input,
  });
}

describe("stars.create", () => {
  it("stores the pure creation result, the quote and the growth events", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    await t.run(async (ctx) => await ctx.db.patch("users", userId, { currentPhase: "mirror", mirrorDay: 3 }));
    const messageId = await insertMessage(t, userId);
    const id = await t.mutation(internal.stars.create, {
      userId,
      label: "  Morning runs ",
      description: " Runs before work ",
      domain: "health",
      intensity: 0.6,
      conceptType: "goal",
      sourceMessageId: messageId,
      quote: "I ran at 6 again",
      now: T0,
    });
    const expected = pureCreateStar({ label: "Morning runs", domain: "health", intensity: 0.6, mirrorDay: 3, now: T0 });
    const { _id, _creationTime, stabilizedAt, ...stored } = await star(t, id);
    expect(stabilizedAt).toBeUndefined();
    expect(stored).toEqual({
      ...expected,
      stabilizedAt: undefined,
      userId,
      description: "Runs before work",
      conceptType: "goal",
      sourceMessageId: messageId,
      evidence: [{ quote: "I ran at 6 again", at: T0, messageId }],
      reinforcementCount: 0,
      state: "live",
    });
    expect(stored.extractedDay).toBe(3);
    expect(stored.type).toBe("nascent");

    // goal → self_show and world_act, +0.1 each (MECHANICS §4)
    const events = await t.run(async (ctx) => await ctx.db.query("growthEvents").collect());
    const { growthProfile: profile } = await growthStateRow(t, userId);
    expect(events.map((e) => [e.entityId, e.dimKey, e.delta, e.source, e.domain])).toEqual([
      [id, "self_show", 0.1, "star_created", "health"],
      [id, "world_act", 0.1, "star_created", "health"],
    ]);
    expect(profile).toMatchObject({ self_show: 0.1, world_act: 0.1, self_know: 0 });
  });

  it("uses extractedDay 0 outside the mirror, polarity shadow makes a dark star", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    await t.run(async (ctx) => await ctx.db.patch("users", userId, { currentPhase: "walk", mirrorDay: 7 }));
    const id = await create(t, userId, { label: "I am not enough", polarity: "shadow" });
    expect(await star(t, id)).toMatchObject({ extractedDay: 0, polarity: "shadow", type: "dark", brightness: 0.3 });
  });

  it("refuses malformed input with INVALID_ARGUMENT and writes nothing", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const cases: Partial<CreateArgs>[] = [
      { label: "" },
      { label: "   " },
      { label: "x".repeat(81) },
      { label: "!!! ???" }, // nothing left after normalization
      { description: "d".repeat(501) },
      { intensity: -0.01 },
      { intensity: 1.01 },
      { intensity: Number.NaN },
      { intensity: Number.POSITIVE_INFINITY },
      { quote: "q".repeat(501) },
    ];
    for (const input of cases) await expectConvexError(create(t, userId, input), "INVALID_ARGUMENT");
    expect(await countRows(t, "stars")).toBe(0);
    expect(await countRows(t, "growthEvents")).toBe(0);
    // The bounds themselves are accepted.
    await create(t, userId, { label: "x".repeat(80), description: "d".repeat(500), intensity: 1, quote: "q".repeat(500) });
  });

  it("refuses an unknown user, a user pending deletion and another user's message", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const bobsMessage = await insertMessage(t, bob.userId);
    await expectConvexError(create(t, alice.userId, { sourceMessageId: bobsMessage }), "NOT_FOUND");
    await t.run(async (ctx) => await ctx.db.patch("users", alice.userId, { deletionRequestedAt: T0 }));
    await expectConvexError(create(t, alice.userId), "ACCOUNT_DELETION_PENDING");
    await t.run(async (ctx) => await ctx.db.delete("users", alice.userId));
    await expectConvexError(create(t, alice.userId), "NOT_FOUND");
    expect(await countRows(t, "stars")).toBe(0);
  });

  it("reinforces the existing star when the normalized label is already there", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const id = await create(t, userId, { conceptType: "habit" });
    const before = await star(t, id);
    const again = await create(t, userId, { label: "morning   RUNS!", intensity: 0.5, quote: "ran again", now: T1 });
    expect(again).toBe(id);
    expect(await countRows(t, "stars")).toBe(1);
    const after = await star(t, id);
    // A re-mention reinforces with rementionSignal: 0.5 × intensity = 0.25.
    const expected = pureReinforce(before, 0.25, FREE, T1).next;
    expect(after).toMatchObject({
      brightness: expected.brightness,
      variance: expected.variance,
      lastReinforcedAt: T1,
      reinforcementCount: 1,
      label: "Morning runs", // the first spelling stays
      evidence: [{ quote: "ran again", at: T1 }],
    });
    // Without an intensity: 0.5 × 0.3 (DEFAULT_INTENSITY) = 0.15.
    await create(t, userId, { now: T1 + 1 });
    const third = await star(t, id);
    expect(third.brightness).toBeCloseTo(pureReinforce(after, 0.15, FREE, T1 + 1).next.brightness, 12);
    const reinforcedEvents = await t.run(
      async (ctx) => (await ctx.db.query("growthEvents").collect()).filter((e) => e.source === "star_reinforced"),
    );
    expect(reinforcedEvents.map((e) => [e.dimKey, e.delta])).toEqual([
      ["self_act", 0.05 * 0.25],
      ["self_act", 0.05 * 0.15],
    ]);
  });
});

describe("stars.reinforce", () => {
  it("spills over resonance and tension in both directions in the same transaction", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    // Ids are increasing in this backend: `before` sorts below `x`, `after` above, so the
    // canonical resonance pairs put x at starB for one and at starA for the other.
    const [before, x, after, tense, caused] = await insertStars(t, userId, [
      { brightness: 0.4 },
      { brightness: 0.5, variance: 0.01 },
      { brightness: 0.6 },
      { brightness: 0.7 },
      { brightness: 0.3 },
    ]);
    await t.mutation(internal.connections.upsert, { userId, starA: x, starB: before, type: "resonance", strength: 0.8, now: T0 });
    await t.mutation(internal.connections.upsert, { userId, starA: after, starB: x, type: "resonance", strength: 0.4, now: T0 });
    await t.mutation(internal.connections.upsert, { userId, starA: x, starB: tense, type: "tension", strength: 1, now: T0 });
    await t.mutation(internal.connections.upsert, { userId, starA: x, starB: caused, type: "causation", now: T0 });
    const pairs = await t.run(async (ctx) => await ctx.db.query("connections").collect());
    expect(pairs.find((c) => c.type === "resonance" && c.strength === 0.8)).toMatchObject({ starA: before, starB: x });
    expect(pairs.find((c) => c.type === "resonance" && c.strength === 0.4)).toMatchObject({ starA: x, starB: after });

    const start = Object.fromEntries(await Promise.all([before, x, after, tense, caused].map(async (id) => [id, await star(t, id)])));
    const { appliedDelta } = await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: 0.8, quote: "again", now: T1 });

    const reinforced = pureReinforce(start[x], 0.8, FREE, T1);
    expect(appliedDelta).toBe(reinforced.appliedDelta);
    expect(appliedDelta).toBeGreaterThan(0);
    expect(await star(t, x)).toMatchObject({ brightness: reinforced.next.brightness, lastReinforcedAt: T1, reinforcementCount: 1 });
    for (const [id, type, strength] of [
      [before, "resonance", 0.8],
      [after, "resonance", 0.4],
      [tense, "tension", 1],
    ] as const) {
      const expected = pureSpill(start[id], type, strength, appliedDelta, 1, T1)!.next;
      const got = await star(t, id);
      expect(got.brightness).toBe(expected.brightness);
      expect(got.variance).toBe(expected.variance);
      expect(got.lastUpdatedAt).toBe(T1);
      expect(got.lastReinforcedAt).toBe(T0); // a spill is not a reinforcement
    }
    expect((await star(t, before)).brightness).toBeGreaterThan(0.4);
    expect((await star(t, tense)).brightness).toBeLessThan(0.7);
    expect(await star(t, caused)).toEqual(start[caused]); // causation does not spill
  });

  it("caps at 0.5 under an active blocks connection, for the star and for a spilled neighbour", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [blocker, x, neighbour] = await insertStars(t, userId, [
      { brightness: 0.6, label: "I always fail" },
      { brightness: 0.45 },
      { brightness: 0.497 }, // + 0.15·1·Δ* (Δ* = 0.05) would be 0.5045
    ]);
    await insertConnection(t, userId, { starA: blocker, starB: x, type: "blocks" });
    await insertConnection(t, userId, { starA: blocker, starB: neighbour, type: "blocks" });
    await insertConnection(t, userId, { starA: x, starB: neighbour, type: "resonance", strength: 1 });
    await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: 1, now: T1 });
    expect((await star(t, x)).brightness).toBe(0.5);
    expect((await star(t, neighbour)).brightness).toBe(0.5); // its own ceiling

    // A blocker below DIM_THRESHOLD no longer caps.
    await t.run(async (ctx) => await ctx.db.patch("stars", blocker, { brightness: 0.29, type: "dim" }));
    const capped = await star(t, x);
    await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: 1, now: T1 + 1 });
    expect((await star(t, x)).brightness).toBe(pureReinforce(capped, 1, FREE, T1 + 1).next.brightness);
    expect((await star(t, x)).brightness).toBeGreaterThan(0.5);
  });

  it("pulls a star above an active ceiling down to it; a dormant blocker does not cap", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [blocker, x, y] = await insertStars(t, userId, [{ brightness: 0.35 }, { brightness: 0.8 }, { brightness: 0.45 }]);
    await insertConnection(t, userId, { starA: blocker, starB: x, type: "blocks" });
    const { appliedDelta } = await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: 0.5, now: T1 });
    expect((await star(t, x)).brightness).toBe(0.5);
    expect(appliedDelta).toBeCloseTo(-0.3, 12);

    const sleeper = await insertStar(t, userId, {
      brightness: 0.9, // bright, but dormant stars never block
      type: "dormant",
    });
    await insertConnection(t, userId, { starA: sleeper, starB: y, type: "blocks" });
    const before = await star(t, y);
    await t.mutation(internal.stars.reinforce, { userId, starId: y, signal: 1, now: T1 });
    expect((await star(t, y)).brightness).toBe(pureReinforce(before, 1, FREE, T1).next.brightness);
  });

  it("boosts from a growth_edge whose source is a real bright star", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [source, x, faintSource, y] = await insertStars(t, userId, [
      { brightness: 0.8, variance: 0.01 },
      { brightness: 0.4 },
      { brightness: 0.69 },
      { brightness: 0.4 },
    ]);
    expect((await star(t, source)).type).toBe("bright");
    await t.mutation(internal.connections.upsert, { userId, starA: source, starB: x, type: "growth_edge", strength: 0.5, now: T0 });
    await t.mutation(internal.connections.upsert, { userId, starA: faintSource, starB: y, type: "growth_edge", strength: 1, now: T0 });
    const [x0, y0] = [await star(t, x), await star(t, y)];

    await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: 0.6, now: T1 });
    const boosted = pureReinforce(x0, 0.6, { ceiling: 1, growthEdgeMultiplier: 1.1 }, T1).next.brightness;
    expect((await star(t, x)).brightness).toBe(boosted);
    expect(boosted).toBeGreaterThan(pureReinforce(x0, 0.6, FREE, T1).next.brightness);

    await t.mutation(internal.stars.reinforce, { userId, starId: y, signal: 0.6, now: T1 });
    expect((await star(t, y)).brightness).toBe(pureReinforce(y0, 0.6, FREE, T1).next.brightness); // 0.69 < 0.7

    // A contradicting signal is never boosted.
    const x1 = await star(t, x);
    await t.mutation(internal.stars.reinforce, { userId, starId: x, signal: -0.5, now: T1 + 1 });
    expect((await star(t, x)).brightness).toBe(pureReinforce(x1, -0.5, FREE, T1 + 1).next.brightness);
  });

  it("wakes a dormant star, refuses out-of-range signals and other users' stars", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const sleeping = await insertStar(t, alice.userId, {
      brightness: 0.05,
      lastReinforcedAt: T0 - 40 * DAY,
      lastUpdatedAt: T0 - DAY,
    });
    expect((await star(t, sleeping)).type).toBe("dormant");
    await t.mutation(internal.stars.reinforce, { userId: alice.userId, starId: sleeping, signal: 0.4, now: T0 });
    expect((await star(t, sleeping)).type).toBe("dim");

    for (const signal of [-1.01, 1.01, Number.NaN, Number.NEGATIVE_INFINITY]) {
      await expectConvexError(
        t.mutation(internal.stars.reinforce, { userId: alice.userId, starId: sleeping, signal, now: T1 }),
        "INVALID_ARGUMENT",
      );
    }
    const bobs = await insertStar(t, bob.userId);
    const bobsBefore = await star(t, bobs);
    await expectConvexError(
      t.mutation(internal.stars.reinforce, { userId: alice.userId, starId: bobs, signal: 1, now: T1 }),
      "NOT_FOUND",
    );
    expect(await star(t, bobs)).toEqual(bobsBefore);
  });
});

describe("dismiss and edit", () => {
  it("dismiss makes the star dormant at once, keeps its history and remembers the label", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const id = await create(t, userId, { quote: "I run", intensity: 0.8 });
    const other = await create(t, userId, { label: "Sleep early" });
    await t.mutation(internal.connections.upsert, { userId, starA: id, starB: other, type: "resonance", now: T0 });
    const before = await star(t, id);

    expect(await as.mutation(api.stars.dismiss, { starId: id })).toBeNull();
    const dismissed = await star(t, id);
    expect(dismissed.type).toBe("dormant");
    expect(dismissed.dismissedAt).toBeTypeOf("number");
    expect(dismissed).toMatchObject({ brightness: before.brightness, evidence: before.evidence, label: before.label });
    expect(await countRows(t, "connections")).toBe(1);
    await as.mutation(api.stars.dismiss, { starId: id }); // twice: no change
    expect(await star(t, id)).toEqual(dismissed);

    // Gone from the constellation, even with dormant stars; still readable by id.
    for (const includeDormant of [false, true]) {
      const view = await as.query(api.stars.constellation, { includeDormant });
      expect(view.stars.map((s) => s._id)).toEqual([other]);
      expect(view.connections).toEqual([]);
    }
    expect((await as.query(api.stars.get, { starId: id })).star.dismissedAt).toBe(dismissed.dismissedAt);

    // Extraction cannot bring it back, by label or by id.
    await expectConvexError(create(t, userId, { label: "MORNING RUNS" }), "CONFLICT");
    await expectConvexError(t.mutation(internal.stars.reinforce, { userId, starId: id, signal: 1, now: T1 }), "INVALID_TRANSITION");
    await expectConvexError(
      t.mutation(internal.connections.upsert, { userId, starA: other, starB: id, type: "tension", now: T1 }),
      "INVALID_TRANSITION",
    );
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, label: "Runs" }), "INVALID_TRANSITION");
    // Spill skips it: reinforcing its resonant neighbour leaves it alone.
    await t.mutation(internal.stars.reinforce, { userId, starId: other, signal: 1, now: T1 });
    expect(await star(t, id)).toEqual(dismissed);
    expect(await countRows(t, "stars")).toBe(2);
  });

  it("edit corrects label, description and domain; the angle follows", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const id = await create(t, userId);
    const before = await star(t, id);
    const view = await as.mutation(api.stars.edit, { starId: id, label: " Evening walks ", domain: "soul", description: "Walks" });
    const after = await star(t, id);
    expect(after).toMatchObject({
      label: "Evening walks",
      normalizedLabel: "eveningwalks",
      domain: "soul",
      description: "Walks",
      theta: thetaFor("soul", "eveningwalks"),
      brightness: before.brightness,
      lastUpdatedAt: before.lastUpdatedAt,
    });
    expect(view).toMatchObject({ _id: id, label: "Evening walks", domain: "soul", theta: after.theta });
    // Only the description: nothing else moves.
    await as.mutation(api.stars.edit, { starId: id, description: "" });
    expect(await star(t, id)).toEqual({ ...after, description: "" });
    // Case and punctuation of the same label are fine.
    await as.mutation(api.stars.edit, { starId: id, label: "evening WALKS." });
    expect((await star(t, id)).label).toBe("evening WALKS.");
  });

  it("edit refuses malformed values and labels of other stars", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const id = await create(t, userId);
    await create(t, userId, { label: "Sleep early" });
    const gone = await create(t, userId, { label: "Doomscrolling" });
    await as.mutation(api.stars.dismiss, { starId: gone });
    const before = await star(t, id);
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, label: "" }), "INVALID_ARGUMENT");
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, label: "y".repeat(81) }), "INVALID_ARGUMENT");
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, description: "d".repeat(501) }), "INVALID_ARGUMENT");
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, label: "sleep EARLY" }), "CONFLICT");
    await expectConvexError(as.mutation(api.stars.edit, { starId: id, label: "doomscrolling" }), "CONFLICT");
    expect(await star(t, id)).toEqual(before);
  });
});

describe("public reads", () => {
  it("constellation returns the active stars, the connections among them and the renderer's fields", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const [bright, dim, dark, dormant] = await insertStars(t, userId, [
      { brightness: 0.9, variance: 0.01, stabilizedAt: T0 - DAY, domain: "wealth" },
      { brightness: 0.2 },
      { brightness: 0.6, polarity: "shadow" },
      { brightness: 0.05, lastReinforcedAt: T0 - 31 * DAY },
    ]);
    const nascent = await create(t, userId, { label: "New thing" });
    const c1 = await insertConnection(t, userId, { starA: bright, starB: dim, type: "growth_edge", strength: 0.7 });
    const c2 = await insertConnection(t, userId, { starA: dark, starB: bright, type: "shadow_mirror" });
    const toDormant = await insertConnection(t, userId, { starA: dormant, starB: dim, type: "blocks" });

    const view = await as.query(api.stars.constellation, {});
    expect(view.truncated).toBe(false);
    const byId = new Map(view.stars.map((s) => [s._id, s]));
    expect(new Set(byId.keys())).toEqual(new Set([bright, dim, dark, nascent]));
    expect(view.stars.map((s) => s.type)).toEqual(["bright", "dark", "nascent", "dim"]); // brightest types first
    const b = await star(t, bright);
    expect(byId.get(bright)).toEqual({
      _id: bright,
      label: b.label,
      domain: "wealth",
      polarity: "light",
      type: "bright",
      brightness: 0.9,
      variance: 0.01,
      theta: b.theta,
      radius: b.radius,
      stabilizedAt: T0 - DAY,
    });
    expect(view.connections).toEqual(
      expect.arrayContaining([
        { _id: c1, starA: bright, starB: dim, type: "growth_edge", strength: 0.7 },
        { _id: c2, starA: dark, starB: bright, type: "shadow_mirror", strength: 0.5 },
      ]),
    );
    expect(view.connections).toHaveLength(2);

    const withDormant = await as.query(api.stars.constellation, { includeDormant: true });
    expect(withDormant.stars.map((s) => s._id)).toContain(dormant);
    expect(withDormant.connections.map((c) => c._id)).toContain(toDormant);
  });

  it("constellation is capped at MAX_ACTIVE_STARS and says so", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    await insertStars(t, userId, Array.from({ length: MAX_ACTIVE_STARS + 1 }, () => ({ brightness: 0.2 })));
    const view = await as.query(api.stars.constellation, {});
    expect(view.stars).toHaveLength(MAX_ACTIVE_STARS);
    expect(view.truncated).toBe(true);
  });

  it("get returns one star with its connections in both directions and their quotes", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const [a, x, b] = await insertStars(t, userId, [{}, { evidence: [{ quote: "mine", at: T0 }] }, {}]);
    await t.mutation(internal.connections.upsert, { userId, starA: a, starB: x, type: "causation", quote: "a leads to x", now: T0 });
    await t.mutation(internal.connections.upsert, { userId, starA: x, starB: b, type: "blocks", strength: 0.9, now: T0 });
    const { star: detail, connections } = await as.query(api.stars.get, { starId: x });
    expect(detail).toMatchObject({ _id: x, evidence: [{ quote: "mine", at: T0 }], reinforcementCount: 0, description: "" });
    expect(connections).toHaveLength(2);
    expect(connections.find((c) => c.type === "causation")).toMatchObject({
      starA: a,
      starB: x,
      evidence: [{ quote: "a leads to x", at: T0 }],
    });
    expect(connections.find((c) => c.type === "blocks")).toMatchObject({ starA: x, starB: b, strength: 0.9, evidence: [] });
  });

  it("byDomain pages the domain's stars, dormant included, dismissed left out", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const health = await insertStars(t, userId, [
      {},
      { brightness: 0.05, lastReinforcedAt: T0 - 40 * DAY },
      {},
      {},
      { dismissedAt: T0, type: "dormant" },
    ]);
    await insertStar(t, userId, { domain: "wealth" });
    const seen: Id<"stars">[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: { page: { _id: Id<"stars">; domain: string }[]; isDone: boolean; continueCursor: string } =
        await as.query(api.stars.byDomain, { domain: "health", paginationOpts: { cursor, numItems: 2 } });
      expect(page.page.every((s) => s.domain === "health")).toBe(true);
      seen.push(...page.page.map((s) => s._id));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(seen).toEqual(health.slice(0, 4));
  });
});

describe("access", () => {
  it("every public function refuses a caller without an identity", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const id = await insertStar(t, userId);
    const [a, b] = await insertStars(t, userId, [{}, {}]);
    const connectionId = await insertConnection(t, userId, { starA: a, starB: b, type: "causation" });
    await expectConvexError(t.query(api.stars.constellation, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.stars.get, { starId: id }), "UNAUTHENTICATED");
    await expectConvexError(
      t.query(api.stars.byDomain, { domain: "health", paginationOpts: { cursor: null, numItems: 5 } }),
      "UNAUTHENTICATED",
    );
    await expectConvexError(t.mutation(api.stars.edit, { starId: id, label: "x" }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.stars.dismiss, { starId: id }), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.connections.remove, { connectionId }), "UNAUTHENTICATED");
  });

  it("another user's ids are refused by every public function, and their data never shows", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const [b1, b2] = await insertStars(t, bob.userId, [{ label: "bob one" }, { label: "bob two" }]);
    const bobsConnection = await insertConnection(t, bob.userId, { starA: b1, starB: b2, type: "resonance" });
    await insertStar(t, alice.userId, { label: "alice one" });
    const before = await allStars(t);

    await expectConvexError(alice.as.query(api.stars.get, { starId: b1 }), "NOT_FOUND");
    await expectConvexError(alice.as.mutation(api.stars.edit, { starId: b1, label: "mine now" }), "NOT_FOUND");
    await expectConvexError(alice.as.mutation(api.stars.dismiss, { starId: b1 }), "NOT_FOUND");
    await expectConvexError(alice.as.mutation(api.connections.remove, { connectionId: bobsConnection }), "NOT_FOUND");
    const view = await alice.as.query(api.stars.constellation, { includeDormant: true });
    expect(view.stars.map((s) => s.label)).toEqual(["alice one"]);
    expect(view.connections).toEqual([]);
    const page = await alice.as.query(api.stars.byDomain, { domain: "health", paginationOpts: { cursor: null, numItems: 10 } });
    expect(page.page.map((s) => s.label)).toEqual(["alice one"]);

    expect(await allStars(t)).toEqual(before);
    expect(await countRows(t, "connections")).toBe(1);
  });

});
