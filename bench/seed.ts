// Seeds one user's history for the bench: N rows in each history table, written with raw
// `t.run` inserts in batches (convex-test enforces Convex's real limits: at most 16,000
// documents and 16 MiB written per transaction). History is what the product's claim says
// must not matter: dormant stars, old messages, growth events, LifeState snapshots, finished
// missions and experiments, past daily progress and skill evidence. All of it is dated before
// the active set, so "recent" windows (7-day effort, today's progress) see none of it.
import { DAY } from "../src/time";
import { layout } from "../src/mechanics/stars";
import { DOMAINS, GROWTH_DIMENSIONS } from "../src/domain";
import type { Id } from "../convex/_generated/dataModel";
import type { Backend } from "../demo/backend";

/** Documents per seeding transaction: far below 16,000 and, at ≈1 KB each, below 16 MiB. */
export const SEED_BATCH = 2_000;

export type HistoryOptions = {
  userId: Id<"users">;
  size: number;
  /** History ends before this instant (older than every active-set document). */
  before: number;
};

function isoDate(instant: number): string {
  return new Date(instant).toISOString().slice(0, 10);
}

async function inBatches(size: number, write: (from: number, to: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < size; from += SEED_BATCH) {
    await write(from, Math.min(size, from + SEED_BATCH));
  }
}

/** N dormant stars: faint, not reinforced for 60+ days (docs/mechanics.md classification). */
export async function seedDormantStars(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const domain = DOMAINS[i % DOMAINS.length];
        const label = `old pattern ${i}`;
        const normalizedLabel = label;
        const at = before - 60 * DAY - i * 60_000;
        await ctx.db.insert("stars", {
          userId,
          label,
          normalizedLabel,
          description: `A pattern from long ago (${i}).`,
          domain,
          polarity: "light",
          type: "dormant",
          state: "dormant",
          brightness: 0.05,
          variance: 0.004,
          ...layout(domain, normalizedLabel, 0.05),
          extractedDay: 0,
          evidence: [{ quote: "something I used to say", at }],
          reinforcementCount: 1,
          createdAt: at - 30 * DAY,
          lastUpdatedAt: at,
          lastReinforcedAt: at - 30 * DAY,
        });
      }
    });
  });
}

/** One archived conversation holding N old messages (user and assistant alternating). */
export async function seedMessages(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  const start = before - 90 * DAY;
  const conversationId = await t.run(async (ctx) =>
    ctx.db.insert("conversations", {
      userId,
      phase: "mirror",
      mirrorDay: 1,
      status: "completed",
      messageCount: size,
      userMessageCount: Math.ceil(size / 2),
      startedAt: start,
      lastMessageAt: start + size * 1_000,
      completedAt: start + size * 1_000,
    }),
  );
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const role = i % 2 === 0 ? "user" : "assistant";
        await ctx.db.insert("messages", {
          userId,
          conversationId,
          role,
          content: role === "user" ? `An old thought about my week, number ${i}.` : `An old reply, number ${i}.`,
          createdAt: start + i * 1_000,
          ...(role === "user" ? { extraction: { status: "done" as const, attempts: 1, updatedAt: start + i * 1_000 } } : {}),
        });
      }
    });
  });
}

/** N growth ledger rows, all older than the 7-day effort window. */
export async function seedGrowthEvents(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        await ctx.db.insert("growthEvents", {
          userId,
          entityType: "star",
          entityId: `history-${i % 50}`,
          dimKey: GROWTH_DIMENSIONS[i % GROWTH_DIMENSIONS.length],
          delta: 0.01,
          source: "star_reinforced",
          domain: DOMAINS[i % DOMAINS.length],
          createdAt: before - 30 * DAY - i * 60_000,
        });
      }
    });
  });
}

/** N LifeState snapshots, one per (past) day, newest just before `before`. */
export async function seedSnapshots(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const timestamp = before - (i + 1) * DAY;
        await ctx.db.insert("lifeStates", {
          userId,
          timestamp,
          localDate: isoDate(timestamp),
          source: "daily",
          thrust: 0.2,
          alignment: 0.5,
          gravity: 0.3,
          mass: 0.1,
          escapeIndex: 0.5,
          latent: new Array<number>(15).fill(0.1),
        });
      }
    });
  });
}

/** N finished missions and N days of past daily progress (streaks long broken). */
export async function seedMissionHistory(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const at = before - 10 * DAY - i * DAY;
        await ctx.db.insert("missions", {
          userId,
          title: `Old mission ${i}`,
          description: "Done long ago.",
          durationMinutes: 20,
          essenceReward: 10,
          attributeType: "Growth",
          status: "completed",
          createdAt: at - 3_600_000,
          startedAt: at - 1_800_000,
          completedAt: at,
        });
        await ctx.db.insert("dailyProgress", {
          userId,
          localDate: isoDate(at),
          missionsCompleted: 1,
          minutesCompleted: 20,
          essenceEarned: 10,
          dciScore: 20 / 60,
          streakDays: 1,
        });
      }
    });
  });
}

/**
 * A journey completed long ago with N past experiments (completed, skipped, expired): the
 * history a user who walked before carries. Offers never predate their journey, so they
 * belong to this old one, not to the walking journey the bench measures.
 */
export async function seedExperiments(t: Backend, { userId, size, before }: HistoryOptions): Promise<void> {
  const firstOffer = before - 10 * DAY - size * DAY;
  const journeyId = await t.run(async (ctx) =>
    ctx.db.insert("journeys", {
      userId,
      status: "complete",
      northStar: { description: "An earlier North Star", successCriteria: "Reached", timeframe: "1_year" },
      domainWeights: { health: 0.2, wealth: 0.2, relationships: 0.2, purpose: 0.2, soul: 0.2 },
      milestones: [{ id: "m1", title: "Done", reachedAt: before - 10 * DAY }],
      velocity: 0.5,
      momentum: 5,
      lastVelocityDate: isoDate(before - 10 * DAY),
      createdAt: firstOffer - DAY,
      plottedAt: firstOffer - DAY,
      startedAt: firstOffer - DAY,
      completedAt: before - 10 * DAY,
    }),
  );
  const statuses = ["completed", "skipped", "expired"] as const;
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const offeredAt = before - 10 * DAY - i * DAY;
        const status = statuses[i % statuses.length];
        await ctx.db.insert("experiments", {
          userId,
          journeyId,
          when: "When the day starts",
          will: "do one small thing",
          at: "at home",
          starIds: [],
          status,
          offeredAt,
          offeredDate: isoDate(offeredAt),
          expiresAt: offeredAt + DAY,
          ...(status === "completed" ? { completedAt: offeredAt + 3_600_000 } : {}),
          ...(status === "skipped" ? { skippedAt: offeredAt + 3_600_000 } : {}),
          ...(status === "expired" ? { expiredAt: offeredAt + DAY } : {}),
        });
      }
    });
  });
}

export type HistoryTable = "stars" | "messages" | "growthEvents" | "lifeStates" | "missions";

export const HISTORY_SEEDERS: Record<HistoryTable, (t: Backend, options: HistoryOptions) => Promise<void>> = {
  stars: seedDormantStars,
  messages: seedMessages,
  growthEvents: seedGrowthEvents,
  lifeStates: seedSnapshots,
  missions: seedMissionHistory,
};

export async function seedHistory(t: Backend, options: HistoryOptions): Promise<void> {
  for (const seed of Object.values(HISTORY_SEEDERS)) await seed(t, options);
}
