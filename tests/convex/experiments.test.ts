// Daily experiments (MECHANICS §6) on the in-memory backend: the offer (MODEL_UNAVAILABLE,
// once a day, CONFLICT), generation against a real OpenAI-compatible server on loopback
// (retries, final failure, untrusted star ids), expiry at local midnight in three zones,
// the user's moves and what completion writes, and auth.
//
// Clocks: the loopback tests run on real timers (the SDK and node:http need them; the
// generator is scheduled with runAfter(0) and retried after up to a second of backoff, so
// `settle` polls). Everything else uses vitest's fake timers, so a scheduled generator or
// midnight job runs only when the test advances time.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { EXPERIMENT_REINFORCEMENT_SIGNAL, EXPERIMENT_SHADOW_SIGNAL } from "../../convex/model/experiments";
import { reinforce } from "../../src/mechanics/stars";
import { localDate } from "../../src/time";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { insertConnection, insertStars, star } from "../support/constellation";
import { startOpenAIServer, type OpenAIServer } from "../support/openaiServer";
import { DAY, experimentRow, insertJourney, jobStates, journeyRow, rows } from "../support/trajectory";

const MODEL_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"] as const;
const savedEnv = Object.fromEntries(MODEL_ENV.map((key) => [key, process.env[key]]));

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.useRealTimers();
  server.reset();
  for (const key of MODEL_ENV) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

function useModel() {
  process.env.OPENAI_API_KEY = "sk-test";
  process.env.OPENAI_BASE_URL = server.baseURL;
  delete process.env.OPENAI_MODEL;
}

function noModel() {
  for (const key of MODEL_ENV) delete process.env[key];
}

/** Runs scheduled work on real timers until `done` holds (the generator's backoff is ≤ 1 s). */
async function settle(t: Backend, done: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await t.finishInProgressScheduledFunctions();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error("settle: timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function walkingUser(t: Backend, timezone?: string) {
  const user = await createUser(t, { timezone });
  const journeyId = await insertJourney(t, user.userId);
  return { ...user, journeyId };
}

const answer = <T>(starIds: T[]) => ({
  when: "After I pour my morning coffee",
  will: "write down the one thing I am avoiding",
  at: "at the kitchen table",
  rationale: "Naming it takes the edge off.",
  starIds,
});

describe("experiments.offerToday", () => {
  it("answers MODEL_UNAVAILABLE without a key and stores, reserves and schedules nothing", async () => {
    noModel();
    const t = newBackend();
    const { as, journeyId } = await walkingUser(t);
    const before = await journeyRow(t, journeyId);
    await expectConvexError(as.mutation(api.experiments.offerToday, { journeyId }), "MODEL_UNAVAILABLE");
    expect(await journeyRow(t, journeyId)).toEqual(before);
    expect(await rows(t, "experiments")).toEqual([]);
    expect(await jobStates(t)).toEqual({});
  });

  it("offers at most once per journey per local date: the second call is CONFLICT", async () => {
    useModel();
    vi.useFakeTimers(); // the scheduled generator never runs here
    const t = newBackend();
    const { as, userId, journeyId } = await walkingUser(t, "Asia/Tokyo");
    // 2026-05-01 23:30 in Tokyo, then 00:30 the next local day.
    vi.setSystemTime(Date.UTC(2026, 4, 1, 14, 30));
    expect(await as.mutation(api.experiments.offerToday, { journeyId })).toEqual({ offeredDate: "2026-05-01" });
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBe("2026-05-01");
    await expectConvexError(as.mutation(api.experiments.offerToday, { journeyId }), "CONFLICT");
    expect(await jobStates(t)).toEqual({ "experiments:generate": { pending: 1 } });
    vi.setSystemTime(Date.UTC(2026, 4, 1, 15, 30));
    expect(await as.mutation(api.experiments.offerToday, { journeyId })).toEqual({ offeredDate: "2026-05-02" });
    // Only a walking journey takes offers.
    const paused = await insertJourney(t, userId, { status: "paused" });
    await expectConvexError(as.mutation(api.experiments.offerToday, { journeyId: paused }), "INVALID_TRANSITION");
    expect(await jobStates(t)).toEqual({ "experiments:generate": { pending: 2 } });
  });
});

describe("generation without a walking journey", () => {
  it("a journey paused before the generator runs gets its date back; the model is not called", async () => {
    useModel();
    vi.useFakeTimers();
    const t = newBackend();
    const { as, journeyId } = await walkingUser(t);
    await as.mutation(api.experiments.offerToday, { journeyId });
    await as.mutation(api.journeys.pause, { journeyId });
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(0));
    expect(server.requests).toEqual([]);
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBeUndefined();
    expect(await as.query(api.experiments.today, { journeyId })).toEqual({ experiment: null, generating: false });
    expect(await jobStates(t)).toEqual({ "experiments:generate": { success: 1 } });
  });
});

describe("generation against the loopback OpenAI server", () => {
  it("stores one WHEN/WILL/AT experiment for the active milestone, keeping only the user's star ids", async () => {
    useModel();
    const t = newBackend();
    const { as, userId, journeyId } = await walkingUser(t);
    const other = await createUser(t);
    const [cause, effect, faded] = await insertStars(t, userId, [
      { label: "late nights", brightness: 0.6, domain: "health" },
      { label: "morning fatigue", brightness: 0.7, domain: "health" },
      { label: "forgotten", brightness: 0.05, type: "dormant", lastReinforcedAt: Date.now() - 90 * DAY },
    ]);
    await insertConnection(t, userId, { starA: cause, starB: effect, type: "causation", strength: 0.8 });
    const [foreign] = await insertStars(t, other.userId, [{ label: "someone else's secret", brightness: 0.9 }]);
    server.enqueue({ json: answer([cause, foreign, "not-an-id", cause, faded]) });

    const { offeredDate } = await as.mutation(api.experiments.offerToday, { journeyId });
    expect((await as.query(api.experiments.today, { journeyId })).generating).toBe(true);
    await settle(t, async () => (await rows(t, "experiments")).length === 1);

    const [stored] = await rows(t, "experiments");
    expect(stored).toMatchObject({
      userId,
      journeyId,
      milestoneId: "m1",
      when: "After I pour my morning coffee",
      will: "write down the one thing I am avoiding",
      at: "at the kitchen table",
      rationale: "Naming it takes the edge off.",
      starIds: [cause], // foreign, malformed, duplicate and unlisted (dormant) ids dropped
      status: "pending",
      offeredDate,
      tokenUsage: { promptTokens: 120, completionTokens: 30, totalTokens: 150 },
    });
    expect(stored.offeredDate).toBe(localDate(stored.offeredAt, "UTC"));
    const [year, month, day] = offeredDate.split("-").map(Number);
    expect(stored.expiresAt).toBe(Date.UTC(year, month - 1, day + 1)); // the next UTC midnight
    const expiry = await t.run(async (ctx) => await ctx.db.system.get("_scheduled_functions", stored.expiryJobId!));
    expect(expiry).toMatchObject({ name: "experiments:expire", scheduledTime: stored.expiresAt, state: { kind: "pending" } });

    const today = await as.query(api.experiments.today, { journeyId });
    expect(today.generating).toBe(false);
    expect(today.experiment?._id).toBe(stored._id);

    // The prompt: the user's own listed stars and the causation as a cause; no one else's data.
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0].body as { messages: { role: string; content: string }[]; response_format: { json_schema: { name: string } } };
    expect(body.response_format.json_schema.name).toBe("tars_experiment");
    const context = body.messages[1].content;
    expect(context).toContain(`"causes":["${cause}"]`);
    expect(context).toContain("morning fatigue");
    expect(context).toContain("Run 5 km"); // the active milestone
    expect(context).not.toContain("someone else's secret");
    expect(context).not.toContain(faded);
  });

  it("retries a retryable failure through the scheduler, then stores", async () => {
    useModel();
    const t = newBackend();
    const { as, journeyId } = await walkingUser(t);
    server.enqueue({ status: 503 }, { raw: "{not json" }, { json: answer([]) });
    await as.mutation(api.experiments.offerToday, { journeyId });
    await settle(t, async () => (await rows(t, "experiments")).length === 1);
    expect(server.requests).toHaveLength(3);
    expect((await jobStates(t))["experiments:generate"]).toEqual({ success: 3 });
  });

  it("gives the date back after a final failure, so the user can ask again the same day", async () => {
    useModel();
    const t = newBackend();
    const { as, journeyId } = await walkingUser(t);
    server.enqueue({ refusal: "I can't help with that." });
    await as.mutation(api.experiments.offerToday, { journeyId });
    await settle(t, async () => (await journeyRow(t, journeyId)).lastOfferDate === undefined);
    expect(server.requests).toHaveLength(1); // a refusal is final: no retry
    expect(await rows(t, "experiments")).toEqual([]);
    expect(await as.query(api.experiments.today, { journeyId })).toEqual({ experiment: null, generating: false });

    server.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    await as.mutation(api.experiments.offerToday, { journeyId });
    await settle(t, async () => (await journeyRow(t, journeyId)).lastOfferDate === undefined && server.pending() === 0);
    expect(server.requests).toHaveLength(4); // MAX_ATTEMPTS = 3, then released
    expect(await rows(t, "experiments")).toEqual([]);
  });
});

describe("expiry at local midnight", () => {
  // One offer instant, three zones: 2026-03-08 09:00 UTC is 01:00 in Los Angeles (PST, and
  // DST starts at 02:00: that day has 23 hours), 14:30 in Kolkata (+05:30, no DST) and 22:00
  // in Auckland (NZDT, +13). Each offer lasts until the zone's next local midnight.
  const OFFERED = Date.UTC(2026, 2, 8, 9);
  const zones = [
    { timezone: "Pacific/Auckland", expiresAt: Date.UTC(2026, 2, 8, 11) }, // 03-09 00:00 NZDT
    { timezone: "Asia/Kolkata", expiresAt: Date.UTC(2026, 2, 8, 18, 30) }, // 03-09 00:00 IST
    { timezone: "America/Los_Angeles", expiresAt: Date.UTC(2026, 2, 9, 7) }, // 03-09 00:00 PDT
  ];

  it("each offer's runAt job expires it exactly at its zone's midnight", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(OFFERED);
    const t = newBackend();
    const offers: { id: Id<"experiments">; expiresAt: number; user: TestUser }[] = [];
    for (const zone of zones) {
      const user = await createUser(t, { timezone: zone.timezone });
      const journeyId = await insertJourney(t, user.userId, { lastOfferDate: "2026-03-08" });
      const id = await t.mutation(internal.experiments.storeOffer, {
        journeyId,
        offeredAt: OFFERED,
        offeredDate: "2026-03-08",
        ...answer([]),
      });
      offers.push({ id: id!, expiresAt: zone.expiresAt, user });
    }
    for (const offer of offers) expect((await experimentRow(t, offer.id)).expiresAt).toBe(offer.expiresAt);

    let clock = OFFERED;
    const advanceTo = async (instant: number) => {
      vi.advanceTimersByTime(instant - clock);
      clock = instant;
      await t.finishInProgressScheduledFunctions();
    };
    for (const [i, offer] of offers.entries()) {
      await advanceTo(offer.expiresAt - 1);
      expect((await experimentRow(t, offer.id)).status, zones[i].timezone).toBe("pending");
      await offer.user.as.mutation(api.experiments.accept, { experimentId: offer.id }); // still today
      await advanceTo(offer.expiresAt);
      expect(await experimentRow(t, offer.id), zones[i].timezone).toMatchObject({
        status: "expired",
        expiredAt: offer.expiresAt,
      });
      for (const later of offers.slice(i + 1)) expect((await experimentRow(t, later.id)).status).toBe("pending");
    }
    expect(await jobStates(t)).toEqual({ "experiments:expire": { success: 3 } });
  });

  it("refuses every move after expiresAt even before the expiry job has run", async () => {
    const t = newBackend();
    const { as, userId, journeyId } = await walkingUser(t);
    const yesterday = Date.now() - DAY;
    const experimentId = await t.run(
      async (ctx) =>
        await ctx.db.insert("experiments", {
          userId,
          journeyId,
          when: "w",
          will: "w",
          at: "a",
          starIds: [],
          status: "pending",
          offeredAt: yesterday,
          offeredDate: localDate(yesterday, "UTC"),
          expiresAt: Date.now() - 1,
        }),
    );
    for (const move of ["accept", "skip", "complete"] as const) {
      await expectConvexError(as.mutation(api.experiments[move], { experimentId }), "INVALID_TRANSITION");
    }
    expect((await experimentRow(t, experimentId)).status).toBe("pending");
    expect(await rows(t, "growthEvents")).toEqual([]);
  });
});

describe("the user's moves", () => {
  const NOW = Date.UTC(2026, 5, 2, 10);

  async function offered(t: Backend, user: { userId: Id<"users">; journeyId: Id<"journeys"> }, starIds: string[] = []) {
    await t.run(async (ctx) => await ctx.db.patch("journeys", user.journeyId, { lastOfferDate: "2026-06-02" }));
    const id = await t.mutation(internal.experiments.storeOffer, {
      journeyId: user.journeyId,
      offeredAt: NOW - 3_600_000,
      offeredDate: "2026-06-02",
      ...answer(starIds),
    });
    return id!;
  }

  it("complete writes experiment and reflection growth on the journey's domain and reinforces linked stars", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = newBackend();
    const user = await walkingUser(t);
    const [linked, dismissed] = await insertStars(t, user.userId, [
      { label: "morning runs", brightness: 0.3, domain: "soul", conceptType: "habit" },
      { label: "rejected", brightness: 0.4, type: "dormant", dismissedAt: NOW - DAY },
    ]);
    const before = await star(t, linked);
    const experimentId = await offered(t, user, [linked, dismissed]);
    const { expiryJobId, starIds } = await experimentRow(t, experimentId);
    expect(starIds).toEqual([linked]); // storeOffer drops the dismissed star

    await expectConvexError(
      user.as.mutation(api.experiments.complete, { experimentId, reflection: "x".repeat(4_001) }),
      "INVALID_ARGUMENT",
    );
    await user.as.mutation(api.experiments.accept, { experimentId });
    await user.as.mutation(api.experiments.complete, { experimentId, reflection: "  It felt easier than I thought.  " });

    expect(await experimentRow(t, experimentId)).toMatchObject({
      status: "completed",
      acceptedAt: NOW,
      completedAt: NOW,
      reflection: "It felt easier than I thought.",
    });
    const events = (await rows(t, "growthEvents")).map((e) => [e.entityType, e.dimKey, e.delta, e.source, e.domain]);
    expect(events).toEqual([
      ["experiment", "self_act", 0.1, "experiment_completed", "health"],
      ["experiment", "world_act", 0.1, "experiment_completed", "health"],
      ["experiment", "self_know", 0.05, "reflection_written", "health"],
      ["star", "self_act", 0.05 * EXPERIMENT_REINFORCEMENT_SIGNAL, "star_reinforced", "soul"],
    ]);
    // Signal 0.5 from 0.3: Δ = 0.25·0.5·(1 − 0.3) = 0.0875.
    const after = await star(t, linked);
    expect(after.brightness).toBeCloseTo(0.3875, 15);
    expect(after.brightness).toBe(reinforce(before, 0.5, { ceiling: 1, growthEdgeMultiplier: 1 }, NOW).next.brightness);
    expect(after.evidence.map((e) => e.quote)).toEqual(["It felt easier than I thought."]);
    const job = await t.run(async (ctx) => await ctx.db.system.get("_scheduled_functions", expiryJobId!));
    expect(job?.state.kind).toBe("canceled");
    // Final: nothing moves it again.
    for (const move of ["accept", "skip", "complete"] as const) {
      await expectConvexError(user.as.mutation(api.experiments[move], { experimentId }), "INVALID_TRANSITION");
    }
  });

  it("complete dims a linked shadow star (s = −0.5) and brightens a light one (s = +0.5)", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = newBackend();
    const user = await walkingUser(t);
    const [shadow, light] = await insertStars(t, user.userId, [
      { label: "I always give up", brightness: 0.6, polarity: "shadow", conceptType: "belief" },
      { label: "morning runs", brightness: 0.3, polarity: "light", conceptType: "habit" },
    ]);
    expect(EXPERIMENT_SHADOW_SIGNAL).toBe(-0.5);
    expect(EXPERIMENT_REINFORCEMENT_SIGNAL).toBe(0.5);
    const experimentId = await offered(t, user, [shadow, light]);
    await user.as.mutation(api.experiments.complete, { experimentId });
    // §1: s < 0 → Δ = 0.25·s·(b − 0.05) = 0.25·(−0.5)·(0.6 − 0.05) = −0.06875.
    expect((await star(t, shadow)).brightness).toBeCloseTo(0.6 - 0.25 * 0.5 * (0.6 - 0.05), 15);
    // s > 0 → Δ = 0.25·s·(1 − b) = 0.25·0.5·(1 − 0.3) = 0.0875.
    expect((await star(t, light)).brightness).toBeCloseTo(0.3 + 0.25 * 0.5 * (1 - 0.3), 15);
  });

  it("mine lists the caller's experiments newest first, all or one journey's, a page at a time", async () => {
    const t = newBackend();
    const user = await walkingUser(t);
    const other = await walkingUser(t);
    const secondJourney = await insertJourney(t, user.userId);
    const insert = (userId: Id<"users">, journeyId: Id<"journeys">, day: number) =>
      t.run(
        async (ctx) =>
          await ctx.db.insert("experiments", {
            userId,
            journeyId,
            when: "w",
            will: `day ${day}`,
            at: "a",
            starIds: [],
            status: "completed",
            offeredAt: NOW + day * DAY,
            offeredDate: localDate(NOW + day * DAY, "UTC"),
            expiresAt: NOW + (day + 1) * DAY,
            completedAt: NOW + day * DAY,
          }),
      );
    const first = await insert(user.userId, user.journeyId, 0);
    const second = await insert(user.userId, secondJourney, 1);
    const third = await insert(user.userId, user.journeyId, 2);
    await insert(other.userId, other.journeyId, 3);

    const all = await user.as.query(api.experiments.mine, { paginationOpts: { numItems: 2, cursor: null } });
    expect(all.page.map((e) => e._id)).toEqual([third, second]);
    expect(all.page[0]).toMatchObject({ will: "day 2", status: "completed", journeyId: user.journeyId });
    expect(all.page[0]).not.toHaveProperty("userId");
    const rest = await user.as.query(api.experiments.mine, { paginationOpts: { numItems: 2, cursor: all.continueCursor } });
    expect(rest.page.map((e) => e._id)).toEqual([first]);
    expect(rest.isDone).toBe(true);

    const journey = await user.as.query(api.experiments.mine, {
      journeyId: user.journeyId,
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(journey.page.map((e) => e._id)).toEqual([third, first]);
    const none = await other.as.query(api.experiments.mine, {
      journeyId: other.journeyId,
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(none.page.map((e) => e.will)).toEqual(["day 3"]);
  });

  it("skip is final and writes no growth", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = newBackend();
    const user = await walkingUser(t);
    const experimentId = await offered(t, user);
    await user.as.mutation(api.experiments.skip, { experimentId });
    expect(await experimentRow(t, experimentId)).toMatchObject({ status: "skipped", skippedAt: NOW });
    await expectConvexError(user.as.mutation(api.experiments.complete, { experimentId }), "INVALID_TRANSITION");
    expect(await rows(t, "growthEvents")).toEqual([]);
  });
});

describe("auth", () => {
  it("every public function refuses an unauthenticated caller", async () => {
    vi.useFakeTimers();
    const t = newBackend();
    const owner = await walkingUser(t);
    const experimentId = await t.run(
      async (ctx) =>
        await ctx.db.insert("experiments", {
          userId: owner.userId,
          journeyId: owner.journeyId,
          when: "w",
          will: "w",
          at: "a",
          starIds: [],
          status: "pending",
          offeredAt: Date.now(),
          offeredDate: localDate(Date.now(), "UTC"),
          expiresAt: Date.now() + DAY,
        }),
    );
    useModel();
    const { journeyId } = owner;
    const calls = [
      () => t.mutation(api.experiments.offerToday, { journeyId }),
      () => t.query(api.experiments.today, { journeyId }),
      () => t.mutation(api.experiments.accept, { experimentId }),
      () => t.mutation(api.experiments.complete, { experimentId }),
      () => t.mutation(api.experiments.skip, { experimentId }),
      () => t.query(api.experiments.mine, { paginationOpts: { numItems: 10, cursor: null } }),
      () => t.query(api.experiments.mine, { journeyId, paginationOpts: { numItems: 10, cursor: null } }),
    ];
    for (const call of calls) await expectConvexError(call(), "UNAUTHENTICATED");

    const other = await createUser(t);
    const before = await experimentRow(t, experimentId);
    const crossUser = [
      () => other.as.mutation(api.experiments.offerToday, { journeyId }),
      () => other.as.query(api.experiments.today, { journeyId }),
      () => other.as.mutation(api.experiments.accept, { experimentId }),
      () => other.as.mutation(api.experiments.complete, { experimentId }),
      () => other.as.mutation(api.experiments.skip, { experimentId }),
      () => other.as.query(api.experiments.mine, { journeyId, paginationOpts: { numItems: 10, cursor: null } }),
    ];
    for (const call of crossUser) await expectConvexError(call(), "NOT_FOUND");
    expect(await experimentRow(t, experimentId)).toEqual(before);
    expect((await journeyRow(t, journeyId)).lastOfferDate).toBeUndefined();
  });
});
