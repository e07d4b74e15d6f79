// Data rights (docs/privacy.md): export completeness and scale, the grace period, cancel,
// batched erasure of large accounts, the receipt, and what a deleted user's token sees.
import type { WithoutSystemFields } from "convex/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { DELETION_GRACE_MS } from "../../convex/model/privacy";
import {
  RATE_LIMIT_TABLE,
  USER_RATE_LIMIT_NAMES,
  USER_TABLES,
  USER_TABLE_NAMES,
  type UserOwnedTable,
  userRowsQuery,
} from "../../convex/model/userTables";
import schema from "../../convex/schema";
import { DAY, HOUR, addDays } from "../../src/time";
import {
  type Backend,
  WEBHOOK_SECRET,
  clerkDeletedEvent,
  createUser,
  expectConvexError,
  newBackend,
  newSvixId,
  postClerkEvent,
} from "../setup";

beforeEach(() => {
  process.env.CLERK_WEBHOOK_SIGNING_SECRET = WEBHOOK_SECRET;
});
afterEach(() => {
  delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------------------
// Fixtures: realistic rows for every registry table. The mapped type makes a new registry
// table without a fixture a type error here.

type Refs = {
  conversationId: Id<"conversations">;
  journeyId: Id<"journeys">;
  starA: Id<"stars">;
  starB: Id<"stars">;
  skillId: Id<"skills">;
  /** A canceled scheduled function: what an attempt row points at. */
  jobId: Id<"_scheduled_functions">;
  memoryId: Id<"memories">;
};
type Row<T extends UserOwnedTable> = WithoutSystemFields<Doc<T>>;
type RowBuilders = { [T in UserOwnedTable]: (userId: Id<"users">, refs: Refs, i: number) => Row<T> };

const T0 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

const ROWS: RowBuilders = {
  stars: (userId, _refs, i) => ({
    userId,
    label: `Evening runs clear my head ${i}`,
    normalizedLabel: `evening runs clear my head ${i}`,
    description: "After a run the work worries feel smaller",
    domain: "health",
    polarity: "light",
    conceptType: "habit",
    type: "dim",
    brightness: 0.4,
    variance: 0.1,
    theta: 1.2,
    radius: 0.6,
    extractedDay: 1,
    evidence: [{ quote: "I felt lighter after the run", at: T0 + i }],
    reinforcementCount: 1,
    createdAt: T0 + i,
    lastUpdatedAt: T0 + i,
    lastReinforcedAt: T0 + i,
  }),
  connections: (userId, refs, i) => ({
    userId,
    starA: refs.starA,
    starB: refs.starB,
    type: "causation",
    strength: 0.3,
    evidence: [{ quote: "running helps me sleep", at: T0 + i }],
    createdAt: T0 + i,
    updatedAt: T0 + i,
  }),
  conversations: (userId, _refs, i) => ({
    userId,
    phase: "mirror",
    mirrorDay: 1,
    status: "active",
    title: `Day ${i} of the mirror`,
    messageCount: 2,
    userMessageCount: 1,
    startedAt: T0 + i,
    lastMessageAt: T0 + i,
  }),
  messages: (userId, refs, i) => ({
    userId,
    conversationId: refs.conversationId,
    role: i % 2 === 0 ? "user" : "assistant",
    content: `I keep skipping my evening run because work runs late, and then I feel restless all night (${i}).`,
    createdAt: T0 + i,
  }),
  journeys: (userId, _refs, i) => ({
    userId,
    status: "walking",
    northStar: { description: "Run a half marathon", successCriteria: "Finish in under 2h30", timeframe: "6_month" },
    domainWeights: { health: 0.6, wealth: 0.1, relationships: 0.1, purpose: 0.1, soul: 0.1 },
    milestones: [{ id: "m1", title: "First 10k" }],
    velocity: 0.2,
    momentum: 0.1,
    createdAt: T0 + i,
  }),
  experiments: (userId, refs, i) => ({
    userId,
    journeyId: refs.journeyId,
    when: "after work",
    will: "run for 20 minutes",
    at: "the park",
    starIds: [refs.starA],
    status: "pending",
    offeredAt: T0 + i,
    offeredDate: "2025-01-01",
    expiresAt: T0 + i + DAY,
  }),
  lifeStates: (userId, _refs, i) => ({
    userId,
    timestamp: T0 + i,
    localDate: "2025-01-01",
    source: "daily",
    thrust: 0.5,
    alignment: 0.4,
    gravity: 0.3,
    mass: 0.2,
    escapeIndex: 0.1,
    latent: Array.from({ length: 15 }, (_, k) => k / 15),
  }),
  skillEvidence: (userId, refs, i) => ({
    userId,
    skillId: refs.skillId,
    level: 2,
    confidence: 0.5,
    source: "interview",
    notes: "talked about weekly long runs",
    createdAt: T0 + i,
  }),
  skillBeliefs: (userId, refs, i) => ({
    userId,
    skillId: refs.skillId,
    mean: 2,
    variance: 0.5,
    confidence: 0.5,
    utilization: 0.3,
    evidenceCount: 1,
    lastEvidenceAt: T0 + i,
  }),
  missions: (userId, _refs, i) => ({
    userId,
    title: "Stretch for ten minutes",
    description: "Before bed, ten minutes of slow stretching",
    durationMinutes: 10,
    essenceReward: 5,
    attributeType: "Health",
    status: "pending",
    createdAt: T0 + i,
  }),
  dailyProgress: (userId, _refs, i) => ({
    userId,
    localDate: `2025-01-${String((i % 28) + 1).padStart(2, "0")}`,
    missionsCompleted: 1,
    minutesCompleted: 10,
    essenceEarned: 5,
    dciScore: 0.4,
    streakDays: 1,
  }),
  growthEvents: (userId, _refs, i) => ({
    userId,
    entityType: "star",
    entityId: `star-${i}`,
    dimKey: "self_know",
    delta: 0.1,
    source: "star_created",
    domain: "health",
    createdAt: T0 + i,
  }),
  growthProgress: (userId, _refs, i) => ({
    userId,
    entityType: "star",
    entityId: `star-${i}`,
    dimKey: "self_act",
    score: 0.2,
    eventCount: 1,
    lastEventAt: T0 + i,
    lastSource: "star_created",
  }),
  // The per-user state documents: createUser makes one of each, which seedUser counts in.
  growthStates: (userId) => ({
    userId,
    growthProfile: { self_know: 0.3, self_act: 0.2, self_show: 0.1, world_know: 0, world_act: 0.4, world_show: 0 },
  }),
  progressStates: (userId) => ({ userId, essence: 40, streakDays: 3, lastActiveDate: "2025-01-03" }),
  dailySchedules: (userId, _refs, i) => ({
    userId,
    nextDailyAt: T0 + (i + 1) * DAY,
    lastDailyDate: "2025-01-01",
    lifeStatesPrunedAt: T0,
  }),
  relationships: (userId, _refs, i) => ({
    userId,
    characterKey: `character-${i}`,
    interactions: 5,
    level: 3,
    lastInteractionDate: "2025-01-01",
    lastInteractionAt: T0 + i,
    createdAt: T0 + i,
  }),
  narrativeStates: (userId, _refs, i) => ({
    userId,
    scenario: "sci-fi",
    chapter: 1,
    bookVersion: "1.0.0",
    quests: [],
    createdAt: T0 + i,
    updatedAt: T0 + i,
  }),
  storyEvents: (userId, _refs, i) => ({
    userId,
    kind: "quest_revealed",
    chapter: 1,
    questKey: "three-dawns",
    title: "Three dawns",
    text: "Three days in a row of showing up.",
    createdAt: T0 + i,
  }),
  checkins: (userId, refs, i) =>
    i % 2 === 0
      ? {
          userId,
          kind: "emotion",
          localDate: "2025-01-01",
          createdAt: T0 + i,
          valence: "negative",
          label: "anxious",
          intensity: 0.6,
          source: "self",
          conversationId: refs.conversationId,
        }
      : { userId, kind: "energy", localDate: "2025-01-01", createdAt: T0 + i, level: 4, note: "slept badly" },
  reports: (userId, _refs, i) => ({
    userId,
    type: "seven_day",
    firstDate: "2025-01-01",
    lastDate: `2025-01-${String((i % 28) + 1).padStart(2, "0")}`,
    startsAt: T0,
    endsAt: T0 + 7 * DAY,
    dayNumber: 7,
    status: "ready",
    consistency: 42.9,
    velocity: 0.2,
    momentum: 0.1,
    narrative: "You kept showing up on the hard days.",
    narrativeStatus: "written",
    narrativeAttempts: 1,
    createdAt: T0 + i,
  }),
  attemptJobs: (userId, refs, i) => ({
    userId,
    kind: "experiment",
    journeyId: refs.journeyId,
    offeredDate: `2025-02-${String((i % 28) + 1).padStart(2, "0")}`,
    offeredAt: T0 + i,
    attempt: 1,
    jobId: refs.jobId,
    deadlineAt: T0 + i,
  }),
  // The usage ledger: one row per local date (the erasure receipt keeps their totals).
  usageDays: (userId, _refs, i) => ({
    userId,
    localDate: addDays("2025-01-01", i),
    calls: 2,
    promptTokens: 240,
    completionTokens: 60,
    totalTokens: 300,
    microDollars: 72,
    unpricedCalls: 0,
    reservedTokens: 0,
    lines: [
      { purpose: "chat", model: "gpt-4o-mini", calls: 2, promptTokens: 240, completionTokens: 60, totalTokens: 300, microDollars: 72, priced: true },
    ],
  }),
  usageReservations: (userId, _refs, i) => ({
    userId,
    localDate: "2025-01-01",
    purpose: "chat",
    model: "gpt-4o-mini",
    tokens: 2_000,
    createdAt: T0 + i,
    expiresAt: T0 + i + 600_000,
  }),
  memories: (userId, _refs, i) => ({
    userId,
    kind: "message",
    sourceId: `message-${i}`,
    chunk: 0,
    text: `I told my sister about the new job ${i}`,
    createdAt: T0 + i,
    importance: 0.5,
    vectorStatus: "embedded",
    embedAttempts: 0,
  }),
  memoryVectors: (userId, refs, i) => ({
    userId,
    memoryId: refs.memoryId,
    kind: "message",
    userKind: `${userId}:message`,
    embedding: Array.from({ length: 1536 }, (_, d) => (d === i % 1536 ? 1 : 0)),
  }),
};

type Plan = Record<UserOwnedTable, number>;
type Seeded = { [T in UserOwnedTable]: Id<T>[] } & { rateLimits: Id<"rateLimits">[] };

/** One row in every registry table (two stars, for connections). */
const EVERY_TABLE: Plan = Object.fromEntries(
  USER_TABLE_NAMES.map((table) => [table, table === "stars" ? 2 : 1]),
) as Plan;

/** Well under t.run's 16,000-writes limit, so big seeds run as several transactions. */
const SEED_CHUNK = 5_000;

async function newSkill(t: Backend): Promise<Id<"skills">> {
  return await t.run(async (ctx) => {
    const skillId = await ctx.db.insert("skills", {
      name: "Running",
      normalizedName: "running",
      category: "health",
      domain: "health",
      description: "Endurance running",
    });
    await ctx.db.insert("skillEdges", { fromSkillId: skillId, toSkillId: skillId, weight: 0.5 });
    return skillId;
  });
}

async function insertRow<T extends UserOwnedTable>(
  ctx: Parameters<Parameters<Backend["run"]>[0]>[0],
  table: T,
  userId: Id<"users">,
  refs: Refs,
  i: number,
): Promise<Id<T>> {
  return await ctx.db.insert(table, ROWS[table](userId, refs, i));
}

/** Seeds `plan` rows per registry table plus one row per per-user rate limiter. */
async function seedUser(t: Backend, userId: Id<"users">, plan: Plan, skillId: Id<"skills">): Promise<Seeded> {
  // Rows the user already has (their state documents, made with the account) count as seeded.
  const existing = await t.run(async (ctx) =>
    Object.fromEntries(
      await Promise.all(
        USER_TABLE_NAMES.map(async (table) => [table, (await userRowsQuery(ctx.db, table, userId).take(10)).map((row) => row._id)]),
      ),
    ),
  );
  const base = await t.run(async (ctx) => {
    // Canceled at once: the row only needs a real scheduled function id.
    const jobId = await ctx.scheduler.runAfter(DAY, internal.skills.seed, {});
    await ctx.scheduler.cancel(jobId);
    const partial = { skillId, jobId } as Refs;
    const conversationId = await insertRow(ctx, "conversations", userId, partial, 0);
    const journeyId = await insertRow(ctx, "journeys", userId, partial, 0);
    const starA = await insertRow(ctx, "stars", userId, partial, 0);
    const starB = await insertRow(ctx, "stars", userId, partial, 1);
    const memoryId = await insertRow(ctx, "memories", userId, partial, 0);
    const rateLimits = await Promise.all(
      USER_RATE_LIMIT_NAMES.map((name) => ctx.db.insert("rateLimits", { name, key: userId, value: 3, ts: T0 })),
    );
    return { refs: { conversationId, journeyId, starA, starB, skillId, jobId, memoryId }, rateLimits };
  });
  const seeded = { ...existing } as unknown as Seeded;
  seeded.conversations.push(base.refs.conversationId);
  seeded.journeys.push(base.refs.journeyId);
  seeded.stars.push(base.refs.starA, base.refs.starB);
  seeded.memories.push(base.refs.memoryId);
  seeded.rateLimits = base.rateLimits;
  for (const table of USER_TABLE_NAMES) {
    const ids: Id<UserOwnedTable>[] = seeded[table];
    while (ids.length < plan[table]) {
      const from = ids.length;
      const to = Math.min(plan[table], from + SEED_CHUNK);
      ids.push(
        ...(await t.run(async (ctx) => {
          const batch: Id<UserOwnedTable>[] = [];
          for (let i = from; i < to; i++) batch.push(await insertRow(ctx, table, userId, base.refs, i));
          return batch;
        })),
      );
    }
  }
  return seeded;
}

type ExportFile = {
  formatVersion: number;
  exportedAt: number;
  user: Doc<"users">;
  tables: Record<string, { _id: string; userId?: string; key?: string }[]>;
};

/** The newest export file, read back from storage (convex-test URLs cannot be fetched). */
async function readExportFile(t: Backend): Promise<ExportFile> {
  const text = await t.run(async (ctx) => {
    const file = await ctx.db.system.query("_storage").order("desc").first();
    if (file === null) throw new Error("no export file stored");
    const blob = await ctx.storage.get(file._id);
    return (await blob?.text()) ?? "";
  });
  return JSON.parse(text) as ExportFile;
}

async function erasureJobs(t: Backend) {
  return await t.run(async (ctx) =>
    (await ctx.db.system.query("_scheduled_functions").take(1_000)).filter((job) => job.name.includes("eraseAccount")),
  );
}

/** Every document in every schema table that mentions `needle` (after erasure: a small scan). */
async function documentsMentioning(t: Backend, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of Object.keys(schema.tables)) {
    let cursor: string | null = null;
    for (;;) {
      const page: { page: unknown[]; isDone: boolean; continueCursor: string } = await t.run(
        async (ctx) => await ctx.db.query(table as "users").paginate({ cursor, numItems: 5_000 }),
      );
      for (const doc of page.page) {
        const text = JSON.stringify(doc);
        if (needles.some((needle) => text.includes(needle))) found.push(`${table}: ${text.slice(0, 120)}`);
      }
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
  }
  return found;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function userRowCount(t: Backend, table: UserOwnedTable, userId: Id<"users">): Promise<number> {
  return await t.run(async (ctx) => {
    const rows = await ctx.db
      .query(table as "stars")
      .withIndex(USER_TABLES[table] as "by_user", (q) => q.eq("userId", userId as Id<"users">))
      .take(30_000);
    return rows.length;
  });
}

// ---------------------------------------------------------------------------------------

describe("privacy: access", () => {
  it("refuses every public function without an identity", async () => {
    const t = newBackend();
    await expectConvexError(t.action(api.privacy.exportMyData, {}), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.privacy.requestDeletion, {}), "UNAUTHENTICATED");
    await expectConvexError(t.mutation(api.privacy.cancelDeletion, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.privacy.deletionStatus, {}), "UNAUTHENTICATED");
    expect(await erasureJobs(t)).toHaveLength(0);
  });
});

describe("privacy.exportMyData", () => {
  it("exports every document of the caller exactly once, and none of anyone else's", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const skillId = await newSkill(t);
    const [me, other] = [await createUser(t), await createUser(t)];
    const plan = Object.fromEntries(USER_TABLE_NAMES.map((table) => [table, 3])) as Plan;
    const mine = await seedUser(t, me.userId, plan, skillId);
    await seedUser(t, other.userId, plan, skillId);
    await t.run(async (ctx) => {
      await ctx.db.insert("rateLimits", { name: "globalLlm", value: 1, ts: T0 }); // a global limiter row
    });

    const result = await me.as.action(api.privacy.exportMyData, {});
    expect(result.url).toMatch(/^https:\/\//);
    expect(result.expiresAt - Date.now()).toBeLessThanOrEqual(HOUR);
    expect(result.expiresAt - Date.now()).toBeGreaterThan(HOUR - 60_000);

    const file = await readExportFile(t);
    expect(file.formatVersion).toBe(1);
    expect(file.exportedAt).toBeTypeOf("number");
    expect(file.user).toMatchObject({ _id: me.userId, clerkId: me.clerkId, email: me.email });
    expect(Object.keys(file.tables).sort()).toEqual([...USER_TABLE_NAMES, RATE_LIMIT_TABLE].sort());
    for (const table of USER_TABLE_NAMES) {
      const exported = file.tables[table].map((doc) => doc._id);
      expect(exported.slice().sort(), table).toEqual([...mine[table]].sort());
      expect(file.tables[table].every((doc) => doc.userId === me.userId), table).toBe(true);
      expect(result.counts[table], table).toBe(mine[table].length);
    }
    expect(file.tables.rateLimits.map((doc) => doc._id).sort()).toEqual([...mine.rateLimits].sort());
    expect(file.tables.rateLimits.every((doc) => doc.key === me.userId)).toBe(true);
    expect(result.counts).toMatchObject({ users: 1, rateLimits: USER_RATE_LIMIT_NAMES.length });

    // Short-lived: the file (and so the URL) is gone an hour later.
    vi.advanceTimersByTime(HOUR);
    await t.finishInProgressScheduledFunctions();
    expect(await t.run(async (ctx) => await ctx.db.system.query("_storage").take(10))).toHaveLength(0);
  });

  it("exports 50,000 messages without hitting a transaction limit", async () => {
    const t = newBackend();
    const skillId = await newSkill(t);
    const me = await createUser(t);
    const started = performance.now();
    await seedUser(t, me.userId, { ...EVERY_TABLE, messages: 50_000 }, skillId);
    const seededAt = performance.now();
    const result = await me.as.action(api.privacy.exportMyData, {});
    const exportedAt = performance.now();
    expect(result.counts.messages).toBe(50_000);
    const file = await readExportFile(t);
    expect(new Set(file.tables.messages.map((doc) => doc._id)).size).toBe(50_000);
    console.info(
      `50k export: seed ${Math.round(seededAt - started)} ms, export ${Math.round(exportedAt - seededAt)} ms`,
    );
  });

  it("refuses an account pending deletion", async () => {
    const t = newBackend();
    const me = await createUser(t);
    await me.as.mutation(api.privacy.requestDeletion, {});
    await expectConvexError(me.as.action(api.privacy.exportMyData, {}), "ACCOUNT_DELETION_PENDING");
  });
});

describe("privacy: deletion", () => {
  it("erases a large account in batches after the grace period, leaving others untouched", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const skillId = await newSkill(t);
    const [victim, other] = [await createUser(t), await createUser(t)];
    const big: Plan = {
      ...EVERY_TABLE,
      messages: 12_000,
      stars: 2_000,
      connections: 1_000,
      conversations: 100,
      growthEvents: 2_500,
      growthProgress: 500,
      lifeStates: 1_000,
      skillEvidence: 500,
      skillBeliefs: 20,
      missions: 300,
      dailyProgress: 200,
      usageDays: 40,
      experiments: 200,
      journeys: 3,
    };
    const victimRows = await seedUser(t, victim.userId, big, skillId);
    const otherRows = await seedUser(t, other.userId, { ...EVERY_TABLE, messages: 50 }, skillId);
    const seededTotal = USER_TABLE_NAMES.reduce((sum, table) => sum + victimRows[table].length, 0);
    expect(seededTotal).toBeGreaterThanOrEqual(20_000);

    const status = await victim.as.mutation(api.privacy.requestDeletion, {});
    expect(status.scheduledFor - status.requestedAt).toBe(DELETION_GRACE_MS);
    expect(await victim.as.query(api.privacy.deletionStatus, {})).toEqual(status);
    await expectConvexError(victim.as.mutation(api.privacy.requestDeletion, {}), "ACCOUNT_DELETION_PENDING");

    // Inside the grace period nothing is erased.
    vi.advanceTimersByTime(DELETION_GRACE_MS - HOUR);
    await t.finishInProgressScheduledFunctions();
    expect(await userRowCount(t, "messages", victim.userId)).toBe(12_000);

    // The first batch runs at the deadline; from then on the erasure cannot be cancelled.
    vi.advanceTimersByTime(HOUR);
    await t.finishInProgressScheduledFunctions();
    const afterFirst = await userRowCount(t, "messages", victim.userId);
    expect(afterFirst).toBeGreaterThan(0); // more than one batch is needed
    await expectConvexError(victim.as.mutation(api.privacy.cancelDeletion, {}), "INVALID_TRANSITION");

    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect((await erasureJobs(t)).length).toBeGreaterThan(2); // the grace job and its continuations

    for (const table of USER_TABLE_NAMES) {
      expect(await userRowCount(t, table, victim.userId), table).toBe(0);
      expect(await userRowCount(t, table, other.userId), table).toBe(otherRows[table].length);
    }
    const leftovers = await documentsMentioning(t, [victim.userId, victim.clerkId, victim.email]);
    expect(leftovers).toEqual([]);
    expect(await t.run(async (ctx) => await ctx.db.get("users", other.userId))).not.toBeNull();
    expect(
      await t.run(async (ctx) =>
        ctx.db
          .query("rateLimits")
          .withIndex("name", (q) => q.eq("name", "sendMessage").eq("key", other.userId))
          .take(5),
      ),
    ).toHaveLength(1);
    // Global taxonomy stays.
    expect(await t.run(async (ctx) => [await ctx.db.get("skills", skillId), await ctx.db.query("skillEdges").take(5)])).toEqual([
      expect.objectContaining({ name: "Running" }),
      [expect.objectContaining({ fromSkillId: skillId })],
    ]);

    const receipts = await t.run(async (ctx) => await ctx.db.query("deletionReceipts").take(10));
    expect(receipts).toHaveLength(1);
    const [receipt] = receipts;
    expect(receipt.clerkIdHash).toBe(await sha256Hex(victim.clerkId));
    expect(receipt.requestedAt).toBe(status.requestedAt);
    expect(receipt.completedAt).toBeGreaterThanOrEqual(status.scheduledFor);
    const expectedCounts = Object.fromEntries(USER_TABLE_NAMES.map((table) => [table, victimRows[table].length]));
    expect(receipt.counts).toEqual({ ...expectedCounts, rateLimits: USER_RATE_LIMIT_NAMES.length, users: 1 });
    // Of the usage ledger only the lifetime totals stay (ROWS.usageDays: 2 calls, 300 tokens, 72 µ$ a day).
    const usageDays = victimRows.usageDays.length;
    expect(receipt.usage).toEqual({ calls: 2 * usageDays, totalTokens: 300 * usageDays, microDollars: 72 * usageDays });
    const receiptText = JSON.stringify(receipt);
    for (const secret of [victim.clerkId, victim.email, victim.userId, "evening run"]) {
      expect(receiptText).not.toContain(secret);
    }
    // Scheduled arguments carry ids and counts only (the usage totals are counts too).
    for (const job of await erasureJobs(t)) {
      const { userId, counts, usage, ...rest } = job.args[0] as {
        userId: string;
        counts?: Record<string, unknown>;
        usage?: Record<string, unknown>;
      };
      expect(rest).toEqual({});
      expect(userId).toBe(victim.userId);
      expect(Object.values(counts ?? {}).every((n) => typeof n === "number")).toBe(true);
      expect(Object.values(usage ?? {}).every((n) => typeof n === "number")).toBe(true);
    }
  });

  it("cancel inside the grace period stops the job; the account works and nothing is erased", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const skillId = await newSkill(t);
    const me = await createUser(t);
    const rows = await seedUser(t, me.userId, EVERY_TABLE, skillId);

    await me.as.mutation(api.privacy.requestDeletion, {});
    await expectConvexError(me.as.mutation(api.users.ensure, {}), "ACCOUNT_DELETION_PENDING");
    const [job] = await erasureJobs(t);
    expect(job.state.kind).toBe("pending");

    vi.advanceTimersByTime(3 * DAY);
    await me.as.mutation(api.privacy.cancelDeletion, {});
    await me.as.mutation(api.privacy.cancelDeletion, {}); // idempotent
    expect(await me.as.query(api.privacy.deletionStatus, {})).toBeNull();
    expect((await erasureJobs(t)).map((j) => j.state.kind)).toEqual(["canceled"]);
    expect(await me.as.mutation(api.users.ensure, {})).toMatchObject({ _id: me.userId });
    expect((await me.as.action(api.privacy.exportMyData, {})).counts.messages).toBe(1);

    vi.advanceTimersByTime(8 * DAY);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    for (const table of USER_TABLE_NAMES) {
      expect(await userRowCount(t, table, me.userId), table).toBe(rows[table].length);
    }
    expect(await t.run(async (ctx) => await ctx.db.query("deletionReceipts").take(1))).toHaveLength(0);
    const user = await t.run(async (ctx) => await ctx.db.get("users", me.userId));
    expect(user?.deletionRequestedAt).toBeUndefined();
    expect(user?.deletionJobId).toBeUndefined();

    // Asking again schedules a fresh job (only one pending).
    await me.as.mutation(api.privacy.requestDeletion, {});
    expect((await erasureJobs(t)).filter((j) => j.state.kind === "pending")).toHaveLength(1);
  });

  it("a deleted user's token sees no old data: reads refuse, users.ensure makes a fresh account", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const skillId = await newSkill(t);
    const me = await createUser(t);
    await seedUser(t, me.userId, EVERY_TABLE, skillId);
    await me.as.mutation(api.privacy.requestDeletion, {});
    await t.finishAllScheduledFunctions(vi.runAllTimers);

    expect(await me.as.query(api.users.me, {})).toBeNull();
    await expectConvexError(me.as.query(api.privacy.deletionStatus, {}), "ACCOUNT_NOT_READY");
    await expectConvexError(me.as.action(api.privacy.exportMyData, {}), "ACCOUNT_NOT_READY");

    const fresh = await me.as.mutation(api.users.ensure, {});
    expect(fresh._id).not.toBe(me.userId);
    expect(fresh).toMatchObject({ currentPhase: "onboarding", essence: 0, streakDays: 0 });
    const exported = await me.as.action(api.privacy.exportMyData, {});
    expect(exported.counts).toEqual({
      ...Object.fromEntries(USER_TABLE_NAMES.map((table) => [table, 0])),
      // The fresh account's own state documents, nothing of the old one.
      growthStates: 1,
      progressStates: 1,
      dailySchedules: 1,
      rateLimits: 0,
      users: 1,
    });
  });

  it("the erasure job does nothing for a cancelled request or a missing user", async () => {
    const t = newBackend();
    const skillId = await newSkill(t);
    const me = await createUser(t);
    await seedUser(t, me.userId, EVERY_TABLE, skillId);
    await t.mutation(internal.privacy.eraseAccount, { userId: me.userId }); // no request pending
    expect(await userRowCount(t, "messages", me.userId)).toBe(1);
    const gone = await createUser(t);
    await t.run(async (ctx) => await ctx.db.delete("users", gone.userId));
    await t.mutation(internal.privacy.eraseAccount, { userId: gone.userId });
    expect(await t.run(async (ctx) => await ctx.db.query("deletionReceipts").take(1))).toHaveLength(0);
  });

  it("a replayed user.deleted webhook (same and new svix id) schedules one erasure", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const skillId = await newSkill(t);
    const me = await createUser(t);
    await seedUser(t, me.userId, EVERY_TABLE, skillId);
    const event = clerkDeletedEvent(me.clerkId);
    const svixId = newSvixId();
    expect((await postClerkEvent(t, event, { svixId })).status).toBe(200);
    expect((await postClerkEvent(t, event, { svixId })).status).toBe(200);
    vi.advanceTimersByTime(DAY);
    expect((await postClerkEvent(t, clerkDeletedEvent(me.clerkId))).status).toBe(200);
    const jobs = await erasureJobs(t);
    expect(jobs.map((job) => job.state.kind)).toEqual(["pending"]);
    expect(await me.as.query(api.privacy.deletionStatus, {})).toMatchObject({
      scheduledFor: jobs[0].scheduledTime,
    });

    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.run(async (ctx) => await ctx.db.query("deletionReceipts").take(5))).toHaveLength(1);
    // A replay after the erasure finds no user and schedules nothing.
    expect((await postClerkEvent(t, clerkDeletedEvent(me.clerkId))).status).toBe(200);
    expect((await erasureJobs(t)).filter((job) => job.state.kind === "pending")).toHaveLength(0);
  });

  it("a request marked before erasure was scheduled gets its job on the next user.deleted", async () => {
    const t = newBackend();
    const me = await createUser(t);
    await t.run(async (ctx) => await ctx.db.patch("users", me.userId, { deletionRequestedAt: T0 }));
    expect(await erasureJobs(t)).toHaveLength(0);
    expect((await postClerkEvent(t, clerkDeletedEvent(me.clerkId))).status).toBe(200);
    const jobs = await erasureJobs(t);
    expect(jobs.map((job) => job.state.kind)).toEqual(["pending"]);
    const user = await t.run(async (ctx) => await ctx.db.get("users", me.userId));
    expect(user).toMatchObject({ deletionRequestedAt: T0, deletionJobId: jobs[0]._id });
  });
});
