// A bench world: one fresh in-memory backend holding one user with a chosen active set
// (non-dormant stars and connections among them, made through the product's own internal
// writers) and a chosen history size (raw inserts, seed.ts). The clock is simulated and
// holds every timer, so nothing scheduled runs behind the bench's back: job continuations
// are run by the bench itself, measured (jobs.ts).
import { api, internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { CONNECTION_TYPES, DOMAINS } from "../src/domain";
import { DAY, HOUR } from "../src/time";
import { newBackend, type Backend } from "../demo/backend";
import { installSimClock, type SimClock } from "../demo/clock";
import { linkHubToHistory, seedLiveSetHistory } from "./liveSet";
import { seedExperiments, seedHistory } from "./seed";

/** Monday 2026-06-01 10:00 UTC: every bench run sees the same calendar. */
export const BENCH_NOW = Date.UTC(2026, 5, 1, 10);

export type World = {
  t: Backend;
  user: ReturnType<Backend["withIdentity"]>;
  userId: Id<"users">;
  clock: SimClock;
  activeStarIds: Id<"stars">[];
  journeyId: Id<"journeys">;
  /** An active walk conversation to send messages to. */
  conversationId: Id<"conversations">;
  history: number;
  activeStars: number;
  close: () => void;
};

export type WorldOptions = { history: number; activeStars: number; clerkId?: string };

/** Connections among the active stars: about one per two stars, every type represented. */
export function plannedConnections(activeStars: number): { a: number; b: number; type: (typeof CONNECTION_TYPES)[number] }[] {
  const count = Math.floor(activeStars / 2);
  const edges: { a: number; b: number; type: (typeof CONNECTION_TYPES)[number] }[] = [];
  for (let i = 0; i < count; i++) {
    const a = (2 * i) % activeStars;
    const b = (2 * i + 1) % activeStars;
    if (a !== b) edges.push({ a, b, type: CONNECTION_TYPES[i % CONNECTION_TYPES.length] });
  }
  return edges;
}

/**
 * With a model configured, a sent message is `pending` and its extraction is scheduled (as
 * in production); the held timers mean the model is never called.
 */
const BENCH_MODEL_KEY = "sk-bench-never-called";

export async function createWorld({ history, activeStars, clerkId = "user_bench" }: WorldOptions): Promise<World> {
  const previousKey = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = BENCH_MODEL_KEY;
  const clock = installSimClock({ start: BENCH_NOW - 3 * DAY, holdAllTimers: true });
  const close = () => {
    clock.uninstall();
    if (previousKey === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = previousKey;
  };
  try {
    const t = newBackend();
    const user = t.withIdentity({ subject: clerkId, email: `${clerkId}@example.com`, issuer: "https://clerk.bench" });
    const me = await user.mutation(api.users.ensure, {});
    await t.mutation(internal.skills.seed, {});
    await seedHistory(t, { userId: me._id, size: history, before: BENCH_NOW - 10 * DAY });
    const liveSetHistory = await seedLiveSetHistory(t, { userId: me._id, size: history, before: BENCH_NOW - 10 * DAY });

    // The active set, a few days old (nascent or flickering), through the real writers.
    const activeStarIds: Id<"stars">[] = [];
    for (let i = 0; i < activeStars; i++) {
      activeStarIds.push(
        await t.mutation(internal.stars.create, {
          userId: me._id,
          label: `active star ${i}`,
          description: "Something the user is working on.",
          domain: DOMAINS[i % DOMAINS.length],
          // Star 2k is the first end of connection k; every sixth connection is a
          // shadow_mirror, which needs a shadow star at one end (stars 8, 20, 32, ...).
          polarity: i % 12 === 8 ? "shadow" : "light",
          intensity: 0.3 + ((i * 37) % 60) / 100,
          conceptType: "habit",
        }),
      );
    }
    for (const edge of plannedConnections(activeStars)) {
      await t.mutation(internal.connections.upsert, {
        userId: me._id,
        starA: activeStarIds[edge.a],
        starB: activeStarIds[edge.b],
        type: edge.type,
        strength: 0.5,
      });
    }
    // The first active star is a hub whose old links go to stars that went to sleep.
    if (activeStarIds.length > 0) await linkHubToHistory(t, me._id, activeStarIds[0], liveSetHistory);
    // A walking journey (velocity, alignment, mass); past experiments sit on an old one.
    const journeyId = await user.mutation(api.journeys.create, {
      northStar: { description: "Feel steady", successCriteria: "Sleep, run, lead", timeframe: "3_month" },
      domainWeights: { health: 0.4, wealth: 0.15, relationships: 0.15, purpose: 0.2, soul: 0.1 },
    });
    await user.mutation(api.journeys.addMilestone, { journeyId, title: "First milestone" });
    await user.mutation(api.journeys.addMilestone, { journeyId, title: "Second milestone" });
    await user.mutation(api.journeys.start, { journeyId });
    await seedExperiments(t, { userId: me._id, size: history, before: BENCH_NOW - 10 * DAY });
    const conversationId = await user.mutation(api.conversations.start, { phase: "walk" });
    await clock.advanceTo(BENCH_NOW - HOUR);
    return {
      t,
      user,
      userId: me._id,
      clock,
      activeStarIds,
      journeyId,
      conversationId,
      history,
      activeStars,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
