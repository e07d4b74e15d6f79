// The operations the bench measures and the sweeps it runs. Each operation measures one
// call in a prepared world (world.ts); the sweeps build a fresh world per size so one
// measurement cannot warm or dirty another.
import { api, internal } from "../convex/_generated/api";
import { normalizeLabel } from "../src/domain";
import { normalizeSkillName, sanitizeTurn } from "../src/llm/sanitize";
import { DAY } from "../src/time";
import { measureJob } from "./jobs";
import { LIVE_SET_OPERATIONS, answerVerdicts } from "./liveSet";
import { measureMutation, measureQuery, type OpMetrics } from "./measure";
import type { OpKind, Row, Verdict } from "./report";
import { BENCH_NOW, createWorld, type World } from "./world";

export const HISTORY_SIZES = [10, 1_000, 10_000] as const;
export const ACTIVE_SIZES = [10, 100, 1_000] as const;
/** The active set held fixed while history grows: a month-old constellation. */
export const ACTIVE_STARS_FOR_HISTORY = 40;
/** History held fixed while the active set grows. */
export const HISTORY_FOR_ACTIVE = 1_000;
/** Queries are repeated and the median wall time kept (reads are deterministic). */
const QUERY_REPEATS = 3;

export type Operation = {
  name: string;
  kind: OpKind;
  claim: Row["claim"];
  measure: (world: World) => Promise<OpMetrics & { transactions?: number }>;
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A query measured QUERY_REPEATS times: counts from the first run, wall time the median. */
async function repeatedQuery(run: () => Promise<OpMetrics>): Promise<OpMetrics> {
  const runs: OpMetrics[] = [];
  for (let i = 0; i < QUERY_REPEATS; i++) runs.push(await run());
  return { ...runs[0], wallMs: median(runs.map((r) => r.wallMs)) };
}

// ---------------------------------------------------------------------------------------
// User-facing operations (measured along history)

function query(name: string, run: (w: World) => Promise<OpMetrics>, claim: Row["claim"] = "constant"): Operation {
  return { name, kind: "query", claim, measure: (w) => repeatedQuery(() => run(w)) };
}

export const USER_OPERATIONS: Operation[] = [
  query("stars.constellation", async (w) => (await measureQuery(w.user, api.stars.constellation, {})).metrics),
  query("lifeStates.current", async (w) => (await measureQuery(w.user, api.lifeStates.current, {})).metrics),
  // A list bounded by its `days` argument (one snapshot per date): reported, like paginated lists.
  query(
    "lifeStates.history (30 days)",
    async (w) => (await measureQuery(w.user, api.lifeStates.history, { days: 30, now: BENCH_NOW })).metrics,
    "paginated",
  ),
  query("growth.profile", async (w) => (await measureQuery(w.user, api.growth.profile, {})).metrics),
  query(
    "growth.cards (first page of 25)",
    async (w) => (await measureQuery(w.user, api.growth.cards, { paginationOpts: { numItems: 25, cursor: null } })).metrics,
    "paginated",
  ),
  query("progress.today", async (w) => (await measureQuery(w.user, api.progress.today, { now: BENCH_NOW })).metrics),
  query("progress.streak", async (w) => (await measureQuery(w.user, api.progress.streak, { now: BENCH_NOW })).metrics),
  {
    // Setup (create + start) is not measured; the completion is: essence, growth, the
    // day's progress row and the streak.
    name: "missions.complete",
    kind: "mutation",
    claim: "constant",
    measure: async (w) => {
      const mission = await w.user.mutation(api.missions.create, {
        title: "Evening walk",
        description: "Twenty minutes outside.",
        durationMinutes: 20,
        essenceReward: 10,
        attributeType: "Health",
      });
      await w.user.mutation(api.missions.start, { missionId: mission._id });
      return (await measureMutation(w.user, api.missions.complete, { missionId: mission._id })).metrics;
    },
  },
  {
    name: "messages.send",
    kind: "mutation",
    claim: "constant",
    measure: async (w) =>
      (await measureMutation(w.user, api.messages.send, { conversationId: w.conversationId, content: "I ran 5 km today." }))
        .metrics,
  },
  {
    // The apply step of the pipeline (extraction.finishAttempt with a reply): the assistant
    // message, 2 new stars, 3 reinforcements (with spillover), 2 connections, skill
    // evidence and growth, as a typical turn carries.
    name: "extraction.finishAttempt (apply a turn)",
    kind: "mutation",
    claim: "constant",
    measure: async (w) => {
      // The bench runs no actions, so earlier sends stay pending and would fill the user's
      // turn slots (model/turns.ts): finish them first, so this message is in flight, not queued.
      await finishTurnsInFlight(w);
      const messageId = await w.user.mutation(api.messages.send, { conversationId: w.conversationId, content: "A turn." });
      const turn = await typicalTurn(w);
      const outcome = { kind: "reply" as const, turn, usage: { promptTokens: 900, completionTokens: 250, totalTokens: 1150 } };
      const { metrics } = await measureMutation(w.t, internal.extraction.finishAttempt, { messageId, attempt: 1, outcome });
      // A skipped or already-applied message makes this a no-op: that would measure nothing.
      if (metrics.documentsWritten === 0) throw new Error("extraction.finishAttempt applied nothing");
      return metrics;
    },
  },
  query("skills.mine", async (w) => (await measureQuery(w.user, api.skills.mine, {})).metrics),
  query("experiments.today", async (w) => (await measureQuery(w.user, api.experiments.today, { journeyId: w.journeyId })).metrics),
];

/** A model answer as the pipeline would apply it (sanitized against the active set). */
/** Marks the user's pending turns failed, as if their actions had ended (frees the turn slots). */
async function finishTurnsInFlight(w: World): Promise<void> {
  await w.t.run(async (ctx) => {
    const pending = await ctx.db
      .query("messages")
      .withIndex("by_user_extraction_status", (q) => q.eq("userId", w.userId).eq("extraction.status", "pending"))
      .take(100);
    for (const message of pending) {
      await ctx.db.patch("messages", message._id, {
        extraction: { status: "failed", reason: "bench: finished", attempts: 1, updatedAt: Date.now() },
      });
    }
  });
}

export async function typicalTurn(w: World) {
  const { stars } = await w.user.query(api.stars.constellation, {});
  const catalog = await w.user.query(api.skills.catalog, {});
  const [a, b, c] = stars;
  const quote = "I ran 5 km today.";
  return sanitizeTurn(
    {
      reply: "Five kilometres! How did it feel?",
      extraction: {
        newStars: [
          { ref: "new:1", label: `Morning runs ${w.history}`, description: "Runs before work.", domain: "health", polarity: "light", intensity: 0.5, conceptType: "habit", quote },
          { ref: "new:2", label: `Pride ${w.history}`, description: "Proud of showing up.", domain: "soul", polarity: "light", intensity: 0.4, conceptType: "emotion", quote },
        ],
        reinforcements: [a, b, c].map((star) => ({ starId: star._id, signal: 0.5, quote })),
        connections: [
          { from: "new:1", to: a._id, type: "resonance", strength: 0.5, quote },
          { from: b._id, to: "new:2", type: "causation", strength: 0.5, quote },
        ],
        skillEvidence: [{ skillName: "Running", domain: "health", level: 5.5, confidence: 0.6, quote }],
        growthSignals: [{ dimension: "self_act", delta: 0.1, quote }],
      },
    },
    {
      knownStarIds: new Set(stars.map((star) => star._id)),
      existingLabels: new Map(stars.map((star) => [normalizeLabel(star.label), star._id])),
      knownSkillNames: new Map(catalog.map((skill) => [normalizeSkillName(skill.name), skill._id])),
    },
  );
}

// ---------------------------------------------------------------------------------------
// Daily jobs, per user (measured along history and along active stars)

const forUser = (w: World) => (args: Record<string, unknown>) =>
  args.userId === w.userId || (Array.isArray(args.userIds) && args.userIds.includes(w.userId));

/** Tomorrow just after midnight UTC: the bench user (UTC) is due for the daily rollover. */
const JOB_NOW = BENCH_NOW + DAY;

export const JOB_OPERATIONS: Operation[] = [
  {
    name: "decay.user (decay + shadow drain)",
    kind: "job",
    claim: "linear-in-active",
    measure: (w) =>
      measureJob(w.t, { udfPath: "decay:user", args: { userId: w.userId, now: JOB_NOW }, follow: ["decay:user"], belongs: forUser(w) }),
  },
  {
    // Steady state: the journey's first velocity step catches up over every earlier offer
    // date (seeded history predates the journey), so the second night is the daily cost.
    name: "jobs.dailyRolloverUsers (velocity + snapshot)",
    kind: "job",
    claim: "linear-in-active",
    measure: async (w) => {
      const rollover = (now: number) =>
        measureJob(w.t, {
          udfPath: "jobs:dailyRolloverUsers",
          args: { userIds: [w.userId], now },
          follow: ["jobs:dailyRolloverUsers"],
          belongs: forUser(w),
        });
      await rollover(JOB_NOW);
      return await rollover(JOB_NOW + DAY);
    },
  },
  {
    // The first prune of a seeded history deletes most of it; the steady state is the next day's.
    name: "jobs.pruneLifeStatesUsers (steady state)",
    kind: "job",
    // Reads the snapshots that crossed the 7-day and 365-day lines since the last night
    // (a watermark in the user's dailySchedules row): a 10-day history has none at the 365-day line.
    claim: "linear-in-active-past-a-year",
    measure: async (w) => {
      const prune = (now: number) =>
        measureJob(w.t, {
          udfPath: "jobs:pruneLifeStatesUsers",
          args: { userIds: [w.userId], now },
          follow: ["jobs:pruneLifeStatesUsers", "jobs:pruneLifeStatesUser"],
          belongs: forUser(w),
        });
      await prune(JOB_NOW);
      return await prune(JOB_NOW + DAY);
    },
  },
];

/** `answers`: the live set's verdicts that an answer does not change with history (liveSet.ts). */
export type BenchOutput = { rows: Row[]; notes: string[]; answers: Verdict[] };

async function measureAll(world: World, operations: readonly Operation[], axis: Row["axis"], size: number, log: (line: string) => void) {
  const rows: Row[] = [];
  for (const op of operations) {
    const metrics = await op.measure(world);
    rows.push({ operation: op.name, kind: op.kind, claim: op.claim, axis, size, metrics });
    log(
      `  ${op.name.padEnd(40)} read ${String(metrics.documentsRead).padStart(6)}  written ${String(metrics.documentsWritten).padStart(5)}  ` +
        `ranges ${String(metrics.indexRanges).padStart(4)}  ${metrics.wallMs.toFixed(1).padStart(8)} ms`,
    );
  }
  return rows;
}

export async function runBench(options: {
  log: (line: string) => void;
  historySizes?: readonly number[];
  activeSizes?: readonly number[];
}): Promise<BenchOutput> {
  const { log } = options;
  const rows: Row[] = [];
  for (const history of options.historySizes ?? HISTORY_SIZES) {
    log(`history ${history} (active stars ${ACTIVE_STARS_FOR_HISTORY})`);
    const world = await createWorld({ history, activeStars: ACTIVE_STARS_FOR_HISTORY });
    try {
      // The live set's reads first: their answers name the active set only (typicalTurn adds stars).
      const operations = [...LIVE_SET_OPERATIONS, ...USER_OPERATIONS, ...JOB_OPERATIONS];
      rows.push(...(await measureAll(world, operations, "history", history, log)));
    } finally {
      world.close();
    }
  }
  for (const activeStars of options.activeSizes ?? ACTIVE_SIZES) {
    log(`active stars ${activeStars} (history ${HISTORY_FOR_ACTIVE})`);
    const world = await createWorld({ history: HISTORY_FOR_ACTIVE, activeStars });
    try {
      rows.push(...(await measureAll(world, JOB_OPERATIONS, "active", activeStars, log)));
    } finally {
      world.close();
    }
  }
  const notes = [
    "convex-test evaluates an index range by iterating every document of its in-memory database, so wall time grows with the database even when the documents read do not; on Convex an index range costs what it returns. Read the counts, not the milliseconds.",
    "Measured on a shared 2-CPU machine (other test runs in parallel): wall times are noisy; counts are exact and deterministic.",
    "jobs.pruneLifeStatesUsers is incremental (model/retention.ts): dailySchedules.lifeStatesPrunedAt holds the `now` of the user's last prune, and a night streams only [watermark − 7 d − 1 d, now − 7 d) and [watermark − 365 d − 7 d, now − 365 d) plus the snapshot just above each window, whatever the account's age. Its claim is judged past a year of history (1,000 and 10,000 must read exactly the same); the 10-day account reads less because nothing of it is at the 365-day line yet. The first prune of a user (no watermark) streams the whole history once; the bench measures the second night.",
    "Not measured per user: jobs.expireExperiments (one page per status of due offers, whoever owns them), jobs.archiveConversationsBatch and conversations.abandonIdleBatch (per due conversation; archiving deletes a conversation's messages by design, MESSAGES_PER_STEP per step).",
    "Jobs are measured on their second night: the first run over seeded history does one-off work (pruning thousands of seeded snapshots).",
    "The live set (bench/liveSet.ts): the constellation, the hub's evolution, both prompts' context queries, a snapshot and a new link for the hub are measured after the history that used to fill their first N rows (dismissed bright stars, dormant stars frozen at 0.055, links among dormant stars, the hub's old links to them); each must read the same documents and give the same answer at every history size.",
  ];
  return { rows, notes, answers: answerVerdicts(rows) };
}
