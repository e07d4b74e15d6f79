// The live set's part of the bench (issue 12, docs/architecture.md "The live set"): the
// history that used to fill a read's first N rows (links among dormant stars, dismissed
// stars that keep their brightness, dormant stars frozen just above the floor, old links
// from an active star to stars that went to sleep), and the reads about the current
// constellation, each measured and its answer kept. A read passes when its documents read
// stay flat (the usual verdict) and its answer is the same at every history size: the
// answer a user with no history gets. Kept apart from suite.ts and seed.ts so the two evolve
// separately.
import { api, internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { CONNECTION_TYPES, DOMAINS } from "../src/domain";
import { layout } from "../src/mechanics/stars";
import { DAY } from "../src/time";
import type { Backend } from "../demo/backend";
import { measureMutation, measureQuery } from "./measure";
import type { Row, Verdict } from "./report";
import type { Operation } from "./suite";
import { BENCH_NOW, type World } from "./world";

/** Documents per seeding transaction (as in seed.ts). */
const SEED_BATCH = 2_000;
/** Old links from the hub (the first active star) to stars that went to sleep: past every per-star cap. */
export const HUB_HISTORY_LINKS = 1_000;

export type LiveSetHistory = { frozen: Id<"stars">[] };

async function inBatches(size: number, write: (from: number, to: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < size; from += SEED_BATCH) await write(from, Math.min(size, from + SEED_BATCH));
}

/**
 * N dismissed stars (bright: they keep their brightness), N dormant stars frozen at 0.055
 * (every third a shadow star), and N connections among the frozen ones, every type in turn.
 */
export async function seedLiveSetHistory(
  t: Backend,
  { userId, size, before }: { userId: Id<"users">; size: number; before: number },
): Promise<LiveSetHistory> {
  const frozen: Id<"stars">[] = [];
  const star = (i: number, kind: "rejected" | "frozen") => {
    const domain = DOMAINS[i % DOMAINS.length];
    const label = `${kind} pattern ${i}`;
    const at = before - 60 * DAY - i * 60_000;
    const brightness = kind === "rejected" ? 0.9 : 0.055;
    return {
      userId,
      label,
      normalizedLabel: label,
      description: `A pattern from long ago (${i}).`,
      domain,
      polarity: kind === "frozen" && i % 3 === 0 ? ("shadow" as const) : ("light" as const),
      type: "dormant" as const,
      state: kind === "rejected" ? ("dismissed" as const) : ("dormant" as const),
      brightness,
      variance: 0.004,
      ...layout(domain, label, brightness),
      extractedDay: 0,
      evidence: [{ quote: "something I used to say", at }],
      reinforcementCount: 1,
      createdAt: at - 30 * DAY,
      lastUpdatedAt: at,
      lastReinforcedAt: at - 30 * DAY,
      ...(kind === "rejected" ? { dismissedAt: at } : {}),
    };
  };
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        await ctx.db.insert("stars", star(i, "rejected"));
        frozen.push(await ctx.db.insert("stars", star(i, "frozen")));
      }
    });
  });
  if (frozen.length < 2) return { frozen };
  await inBatches(size, async (from, to) => {
    await t.run(async (ctx) => {
      for (let i = from; i < to; i++) {
        const at = before - 40 * DAY - i * 60_000;
        await ctx.db.insert("connections", {
          userId,
          starA: frozen[i % frozen.length],
          starB: frozen[(i + 1) % frozen.length],
          type: CONNECTION_TYPES[i % CONNECTION_TYPES.length],
          strength: 0.5,
          evidence: [],
          createdAt: at,
          updatedAt: at,
          lastDrainAt: CONNECTION_TYPES[i % CONNECTION_TYPES.length] === "shadow_mirror" ? at : undefined,
          aState: "dormant",
          bState: "dormant",
        });
      }
    });
  });
  return { frozen };
}

/** Old links from the hub (a live star) to frozen stars: history in the hub's own index range. */
export async function linkHubToHistory(t: Backend, userId: Id<"users">, hub: Id<"stars">, history: LiveSetHistory) {
  const targets = history.frozen.slice(0, HUB_HISTORY_LINKS);
  await t.run(async (ctx) => {
    for (const starB of targets) {
      await ctx.db.insert("connections", {
        userId,
        starA: hub,
        starB,
        type: "causation",
        strength: 0.5,
        evidence: [],
        createdAt: BENCH_NOW - 20 * DAY,
        updatedAt: BENCH_NOW - 20 * DAY,
        aState: "live",
        bState: "dormant",
      });
    }
  });
}

// ---------------------------------------------------------------------------------------
// The reads, measured, with their answers

/** Each operation's answer per history size, filled while the sweep runs. */
const answers = new Map<string, Map<number, string>>();

function keep(operation: string, w: World, answer: unknown): void {
  const bySize = answers.get(operation) ?? new Map<number, string>();
  bySize.set(w.history, JSON.stringify(answer));
  answers.set(operation, bySize);
}

/** Labels instead of ids: ids differ from world to world, labels of the active set do not. */
async function labels(w: World): Promise<Map<string, string>> {
  const ids = [...w.activeStarIds];
  const stars = await w.t.run(async (ctx) => await Promise.all(ids.map((id) => ctx.db.get("stars", id))));
  return new Map(stars.flatMap((s) => (s === null ? [] : [[s._id as string, s.label]])));
}

const round = (x: number) => Math.round(x * 1e12) / 1e12;

export const LIVE_SET_OPERATIONS: Operation[] = [
  {
    name: "stars.constellation (answer)",
    kind: "query",
    claim: "constant",
    measure: async (w) => {
      const { metrics, result } = await measureQuery(w.user, api.stars.constellation, {});
      const label = await labels(w);
      keep("stars.constellation (answer)", w, {
        stars: result.stars.map((s) => s.label).sort(),
        connections: result.connections.map((c) => `${label.get(c.starA)} ${c.type} ${label.get(c.starB)}`).sort(),
        truncated: result.truncated,
      });
      return metrics;
    },
  },
  {
    name: "growth.entity (hub star)",
    kind: "query",
    claim: "constant",
    measure: async (w) => {
      const args = { entityType: "star" as const, entityId: w.activeStarIds[0] };
      const { metrics, result } = await measureQuery(w.user, api.growth.entity, args);
      keep("growth.entity (hub star)", w, { connectionCount: result.connectionCount, evolutionState: result.evolutionState });
      return metrics;
    },
  },
  {
    // The context query of the chat pipeline for a message just sent (attempt 1).
    name: "extraction.turnContext (chat prompt)",
    kind: "query",
    claim: "constant",
    measure: async (w) => {
      const messageId = await w.user.mutation(api.messages.send, { conversationId: w.conversationId, content: "How am I doing?" });
      const { metrics, result } = await measureQuery(w.t, internal.extraction.turnContext, { messageId, attempt: 1 });
      keep("extraction.turnContext (chat prompt)", w, result?.kind === "turn" ? result.prompt.stars.map((s) => s.label) : result);
      return metrics;
    },
  },
  {
    // The experiment generator's context query, for today's reserved offer of the journey.
    name: "experiments.generationContext (experiment prompt)",
    kind: "query",
    claim: "constant",
    measure: async (w) => {
      const offeredDate = new Date(BENCH_NOW).toISOString().slice(0, 10);
      await w.t.run(async (ctx) => await ctx.db.patch("journeys", w.journeyId, { lastOfferDate: offeredDate }));
      const { metrics, result } = await measureQuery(w.t, internal.experiments.generationContext, { journeyId: w.journeyId, offeredDate });
      const label = await labels(w);
      keep(
        "experiments.generationContext (experiment prompt)",
        w,
        result === null
          ? null
          : {
              stars: result.prompt.stars.map((s) => s.label),
              causations: result.prompt.causations.map((c) => `${label.get(c.from)} -> ${label.get(c.to)} ${c.strength}`),
            },
      );
      await w.t.run(async (ctx) => await ctx.db.patch("journeys", w.journeyId, { lastOfferDate: undefined }));
      return metrics;
    },
  },
  {
    // The snapshot the nightly job and lifeStates.recompute store (gravity reads the live set).
    name: "lifeStates.compute (snapshot)",
    kind: "mutation",
    claim: "constant",
    measure: async (w) => {
      const { metrics, result } = await measureMutation(w.t, internal.lifeStates.compute, { userId: w.userId, now: BENCH_NOW });
      const snapshot = await w.t.run(async (ctx) => await ctx.db.get("lifeStates", result));
      keep(
        "lifeStates.compute (snapshot)",
        w,
        snapshot === null ? null : [snapshot.thrust, snapshot.alignment, snapshot.gravity, snapshot.mass, snapshot.escapeIndex].map(round),
      );
      return metrics;
    },
  },
  {
    // A new link for the hub, whose old links to sleeping stars pass the per-star cap.
    name: "connections.upsert (hub, new link)",
    kind: "mutation",
    claim: "constant",
    measure: async (w) => {
      const args = { userId: w.userId, starA: w.activeStarIds[0], starB: w.activeStarIds[5], type: "growth_edge" as const, now: BENCH_NOW };
      try {
        const { metrics } = await measureMutation(w.t, internal.connections.upsert, args);
        keep("connections.upsert (hub, new link)", w, "created");
        return metrics;
      } catch (error) {
        // A refusal is an answer too (CONFLICT when the cap counted history); it costs nothing kept.
        keep("connections.upsert (hub, new link)", w, (error as { data?: { code?: string } }).data?.code ?? String(error));
        return { documentsRead: 0, documentsWritten: 0, bytesRead: 0, bytesWritten: 0, indexRanges: 0, functionsScheduled: 0, wallMs: 0 };
      }
    },
  },
];

/** One verdict per answered operation: the same answer at every history size. */
export function answerVerdicts(rows: readonly Row[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const [operation, bySize] of answers) {
    const sizes = rows.filter((r) => r.operation === operation && r.axis === "history").map((r) => r.size).sort((a, b) => a - b);
    const distinct = new Set(sizes.map((size) => bySize.get(size)));
    const ok = sizes.length >= 2 && distinct.size === 1 && sizes.every((size) => bySize.has(size));
    verdicts.push({
      operation: `${operation}: answer`,
      axis: "history",
      ok,
      detail: ok
        ? `the same answer at history ${sizes.join(", ")}`
        : sizes.map((size) => `history ${size}: ${bySize.get(size) ?? "none"}`).join("; "),
    });
  }
  return verdicts;
}
