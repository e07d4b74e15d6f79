// Fixtures for the constellation tests (stars, connections, decay): users and stars written
// straight into the in-memory backend, with physics from the pure formulas, so each test
// states only what differs from a plain star.
import type { PaginationResult } from "convex/server";
import { starState } from "../../src/domain";
import { classify, createStar as newStarPhysics, radiusFor } from "../../src/mechanics/stars";
import { DAY } from "../../src/time";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import type { Backend } from "../setup";

/** A fixed instant (the cron's minute), so expected numbers do not depend on the clock. */
export const T0 = Date.UTC(2026, 0, 10, 3, 17);
export { DAY };

export type StarSeed = Partial<Omit<Doc<"stars">, "_id" | "_creationTime" | "userId">> & { label?: string };

let labelCounter = 0;

/**
 * A star document for `userId`: a light health star of brightness 0.5 created at T0 − 10 days
 * and last touched at T0; any field can be overridden.
 */
export function starDoc(userId: Id<"users">, seed: StarSeed = {}): Omit<Doc<"stars">, "_id" | "_creationTime"> {
  labelCounter += 1;
  const label = seed.label ?? `star ${labelCounter}`;
  const createdAt = seed.createdAt ?? T0 - 10 * DAY;
  const physics = newStarPhysics({
    label,
    domain: seed.domain ?? "health",
    polarity: seed.polarity,
    intensity: seed.brightness ?? 0.5,
    mirrorDay: 0,
    now: createdAt,
  });
  const doc = {
    ...physics,
    userId,
    description: "",
    evidence: [],
    reinforcementCount: 0,
    lastUpdatedAt: T0,
    lastReinforcedAt: T0,
    ...seed,
    label,
  };
  // The classifier's type at T0 unless the test pins one; the state follows, as the writers keep it.
  const type = seed.type ?? classify(doc, T0);
  return { ...doc, radius: seed.radius ?? radiusFor(doc.brightness), type, state: seed.state ?? starState({ ...doc, type }) };
}

export async function insertStar(t: Backend, userId: Id<"users">, seed: StarSeed = {}): Promise<Id<"stars">> {
  return await t.run(async (ctx) => await ctx.db.insert("stars", starDoc(userId, seed)));
}

export async function insertStars(t: Backend, userId: Id<"users">, seeds: StarSeed[]): Promise<Id<"stars">[]> {
  return await t.run(async (ctx) => {
    const ids: Id<"stars">[] = [];
    for (const seed of seeds) ids.push(await ctx.db.insert("stars", starDoc(userId, seed)));
    return ids;
  });
}

export type ConnectionSeed = Pick<Doc<"connections">, "starA" | "starB" | "type"> & Partial<Doc<"connections">>;

/** A connection document whose end states are those of its stars (as the writers keep them). */
export async function connectionDoc(
  ctx: { db: { get: (table: "stars", id: Id<"stars">) => Promise<Doc<"stars"> | null> } },
  userId: Id<"users">,
  fields: ConnectionSeed,
): Promise<Omit<Doc<"connections">, "_id" | "_creationTime">> {
  const [a, b] = await Promise.all([ctx.db.get("stars", fields.starA), ctx.db.get("stars", fields.starB)]);
  return {
    userId,
    strength: 0.5,
    evidence: [],
    createdAt: T0,
    updatedAt: T0,
    lastDrainAt: fields.type === "shadow_mirror" ? T0 : undefined,
    aState: a === null ? "dismissed" : starState(a),
    bState: b === null ? "dismissed" : starState(b),
    ...fields,
  };
}

export async function insertConnection(t: Backend, userId: Id<"users">, fields: ConnectionSeed): Promise<Id<"connections">> {
  return await t.run(async (ctx) => await ctx.db.insert("connections", await connectionDoc(ctx, userId, fields)));
}

export function userDoc(clerkId: string): Omit<Doc<"users">, "_id" | "_creationTime"> {
  return {
    clerkId,
    email: `${clerkId}@example.com`,
    createdAt: T0 - 30 * DAY,
    currentPhase: "walk",
    mirrorDay: 0,
    tier: "free",
    timezone: "UTC",
    dailyCapacityMinutes: 60,
    clerkUpdatedAt: 0,
  };
}

export async function star(t: Backend, id: Id<"stars">): Promise<Doc<"stars">> {
  const doc = await t.run(async (ctx) => await ctx.db.get("stars", id));
  if (doc === null) throw new Error(`star ${id} is gone`);
  return doc;
}

export async function connection(t: Backend, id: Id<"connections">): Promise<Doc<"connections"> | null> {
  return await t.run(async (ctx) => await ctx.db.get("connections", id));
}

/** Every star of the backend (test-only scan, paged to stay under t.run's read limit). */
export async function allStars(t: Backend): Promise<Doc<"stars">[]> {
  const stars: Doc<"stars">[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: PaginationResult<Doc<"stars">> = await t.run(
      async (ctx) => await ctx.db.query("stars").paginate({ cursor, numItems: 8_000 }),
    );
    stars.push(...page.page);
    if (page.isDone) return stars;
    cursor = page.continueCursor;
  }
}

/** A message of `userId` (its conversation too), for evidence and source ids. */
export async function insertMessage(t: Backend, userId: Id<"users">): Promise<Id<"messages">> {
  return await t.run(async (ctx) => {
    const conversationId = await ctx.db.insert("conversations", {
      userId,
      phase: "mirror",
      status: "active",
      messageCount: 1,
      userMessageCount: 1,
      startedAt: T0,
      lastMessageAt: T0,
    });
    return await ctx.db.insert("messages", { userId, conversationId, role: "user", content: "hi", createdAt: T0 });
  });
}
