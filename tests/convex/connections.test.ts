// The Convex layer of connections (MECHANICS §2): the internal upsert's checks and its
// one-row-per-(type, pair) rule, and the user's removal.
import { describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_CONNECTIONS_PER_STAR } from "../../convex/model/connections";
import type { ConnectionType } from "../../src/domain";
import { countRows, createUser, expectConvexError, newBackend, type Backend } from "../setup";
import { T0, connection, insertConnection, insertMessage, insertStar, insertStars, star } from "../support/constellation";

async function upsert(
  t: Backend,
  userId: Id<"users">,
  starA: Id<"stars">,
  starB: Id<"stars">,
  type: ConnectionType,
  extra: { strength?: number; quote?: string; messageId?: Id<"messages">; now?: number } = {},
) {
  return await t.mutation(internal.connections.upsert, { userId, starA, starB, type, now: T0, ...extra });
}

describe("connections.upsert", () => {
  it("creates a connection with the default strength and the quote", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [a, b] = await insertStars(t, userId, [{}, {}]);
    const messageId = await insertMessage(t, userId);
    const id = await upsert(t, userId, a, b, "causation", { quote: " a then b ", messageId });
    const { _id, _creationTime, ...row } = (await connection(t, id))!;
    expect(row).toEqual({
      userId,
      starA: a,
      starB: b,
      type: "causation",
      strength: 0.5,
      evidence: [{ quote: "a then b", at: T0, messageId }],
      createdAt: T0,
      updatedAt: T0,
      aState: "live",
      bState: "live",
    });
  });

  it("stores symmetric pairs in canonical order and keeps directed pairs as given", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [low, high] = await insertStars(t, userId, [{}, {}]);
    expect(low < high).toBe(true);
    const resonance = await upsert(t, userId, high, low, "resonance");
    expect(await connection(t, resonance)).toMatchObject({ starA: low, starB: high });
    expect(await upsert(t, userId, low, high, "resonance")).toBe(resonance); // same pair, either way round
    const forward = await upsert(t, userId, high, low, "blocks");
    const backward = await upsert(t, userId, low, high, "blocks");
    expect(forward).not.toBe(backward);
    expect(await connection(t, forward)).toMatchObject({ starA: high, starB: low });
    // Another type between the same stars is another connection.
    await upsert(t, userId, low, high, "tension");
    expect(await countRows(t, "connections")).toBe(4);
  });

  it("strengthens a re-detected connection and keeps the newest 10 quotes", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [a, b] = await insertStars(t, userId, [{}, {}]);
    const id = await upsert(t, userId, a, b, "resonance", { quote: "q0" });
    await upsert(t, userId, b, a, "resonance", { quote: "q1", strength: 0.1, now: T0 + 1 }); // strength ignored
    expect(await connection(t, id)).toMatchObject({ strength: 0.6, updatedAt: T0 + 1, createdAt: T0 });
    await upsert(t, userId, a, b, "resonance", { now: T0 + 2 }); // no quote: evidence unchanged
    const third = (await connection(t, id))!;
    expect(third.strength).toBeCloseTo(0.68, 12);
    expect(third.evidence.map((e) => e.quote)).toEqual(["q0", "q1"]);
    for (let i = 2; i < 12; i++) await upsert(t, userId, a, b, "resonance", { quote: `q${i}`, now: T0 + 10 + i });
    const row = (await connection(t, id))!;
    expect(row.evidence.map((e) => e.quote)).toEqual(["q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11"]);
    expect(row.strength).toBeLessThan(1);
    expect(await countRows(t, "connections")).toBe(1);
  });

  it("sets lastDrainAt on a new shadow_mirror, which needs a shadow star at one end", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [dark, light, other] = await insertStars(t, userId, [{ polarity: "shadow" }, {}, {}]);
    const mirror = await upsert(t, userId, light, dark, "shadow_mirror");
    const [starA, starB] = [light, dark].sort(); // unordered type: canonical id order
    expect(await connection(t, mirror)).toMatchObject({ lastDrainAt: T0, starA, starB });
    // Found again the other way round: the same row, strengthened (one drain, not two).
    expect(await upsert(t, userId, dark, light, "shadow_mirror")).toBe(mirror);
    expect((await connection(t, mirror))!.strength).toBeCloseTo(0.6, 12); // 0.5 + 0.2·0.5
    await expectConvexError(upsert(t, userId, light, other, "shadow_mirror"), "INVALID_ARGUMENT");
    const growthEdge = await upsert(t, userId, light, other, "growth_edge");
    expect((await connection(t, growthEdge))!.lastDrainAt).toBeUndefined();
  });

  it("refuses self-connections, bad numbers and long quotes with INVALID_ARGUMENT", async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const [a, b] = await insertStars(t, userId, [{}, {}]);
    await expectConvexError(upsert(t, userId, a, a, "resonance"), "INVALID_ARGUMENT");
    for (const strength of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expectConvexError(upsert(t, userId, a, b, "causation", { strength }), "INVALID_ARGUMENT");
    }
    await expectConvexError(upsert(t, userId, a, b, "causation", { quote: "q".repeat(501) }), "INVALID_ARGUMENT");
    expect(await countRows(t, "connections")).toBe(0);
    await upsert(t, userId, a, b, "causation", { strength: 0, quote: "q".repeat(500) });
    await upsert(t, userId, a, b, "growth_edge", { strength: 1 });
    // A refused re-detection changes nothing either.
    await expectConvexError(upsert(t, userId, a, b, "causation", { strength: 2 }), "INVALID_ARGUMENT");
    expect((await connection(t, await upsert(t, userId, a, b, "growth_edge")))!.strength).toBe(1);
  });

  it("refuses stars of another user, missing stars and another user's message with NOT_FOUND", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const mine = await insertStar(t, alice.userId);
    const theirs = await insertStar(t, bob.userId);
    const gone = await insertStar(t, alice.userId);
    await t.run(async (ctx) => await ctx.db.delete("stars", gone));
    await expectConvexError(upsert(t, alice.userId, mine, theirs, "resonance"), "NOT_FOUND");
    await expectConvexError(upsert(t, alice.userId, theirs, mine, "causation"), "NOT_FOUND");
    await expectConvexError(upsert(t, bob.userId, mine, theirs, "causation"), "NOT_FOUND");
    await expectConvexError(upsert(t, alice.userId, mine, gone, "causation"), "NOT_FOUND");
    const other = await insertStar(t, alice.userId);
    const bobsMessage = await insertMessage(t, bob.userId);
    await expectConvexError(
      upsert(t, alice.userId, mine, other, "causation", { quote: "x", messageId: bobsMessage }),
      "NOT_FOUND",
    );
    expect(await countRows(t, "connections")).toBe(0);
  });

  it(`refuses a new connection to a star that already has ${MAX_CONNECTIONS_PER_STAR}`, async () => {
    const t = newBackend();
    const { userId } = await createUser(t);
    const hub = await insertStar(t, userId);
    const spokes = await insertStars(t, userId, Array.from({ length: MAX_CONNECTIONS_PER_STAR + 1 }, () => ({})));
    await t.run(async (ctx) => {
      for (const [i, spoke] of spokes.slice(0, MAX_CONNECTIONS_PER_STAR).entries()) {
        const [starA, starB] = i % 2 === 0 ? [hub, spoke] : [spoke, hub]; // both directions count
        await ctx.db.insert("connections", {
          userId, starA, starB, type: "causation", strength: 0.5, evidence: [], createdAt: T0, updatedAt: T0,
          aState: "live", bState: "live",
        });
      }
    });
    const last = spokes[MAX_CONNECTIONS_PER_STAR];
    await expectConvexError(upsert(t, userId, last, hub, "resonance"), "CONFLICT");
    // Re-detecting an existing one is still fine.
    await upsert(t, userId, hub, spokes[0], "causation");
    expect(await countRows(t, "connections")).toBe(MAX_CONNECTIONS_PER_STAR);
  });
});

describe("connections.remove", () => {
  it("deletes the user's connection and leaves both stars as they were", async () => {
    const t = newBackend();
    const { userId, as } = await createUser(t);
    const [a, b] = await insertStars(t, userId, [{}, {}]);
    const [starA, starB] = [await star(t, a), await star(t, b)];
    const id = await upsert(t, userId, a, b, "tension");
    expect(await as.mutation(api.connections.remove, { connectionId: id })).toBeNull();
    expect(await connection(t, id)).toBeNull();
    expect(await star(t, a)).toEqual(starA);
    expect(await star(t, b)).toEqual(starB);
    await expectConvexError(as.mutation(api.connections.remove, { connectionId: id }), "NOT_FOUND");
  });

  it("refuses another user's connection and a caller without an identity", async () => {
    const t = newBackend();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const [a, b] = await insertStars(t, bob.userId, [{}, {}]);
    const id = await insertConnection(t, bob.userId, { starA: a, starB: b, type: "causation" });
    await expectConvexError(alice.as.mutation(api.connections.remove, { connectionId: id }), "NOT_FOUND");
    await expectConvexError(t.mutation(api.connections.remove, { connectionId: id }), "UNAUTHENTICATED");
    expect(await connection(t, id)).not.toBeNull();
  });
});
