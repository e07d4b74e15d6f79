// Journeys (MECHANICS §6, phases §8) through the public API: creation and its validation,
// automatic plotting on the first milestone (and the birth_chart → walk phase move), the
// status machine, milestones and their growth, completion, reads, and auth.
import { describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { MAX_OPEN_JOURNEYS } from "../../convex/model/journeys";
import { MAX_MILESTONES } from "../../src/mechanics/journeys";
import { createUser, expectConvexError, newBackend, type Backend, type TestUser } from "../setup";
import { journeyRow, rows, userRow } from "../support/trajectory";
import { growthStateRow } from "../support/userState";

const northStar = { description: "Feel strong in my body", successCriteria: "Run 10 km", timeframe: "6_month" as const };
const weights = { health: 3, wealth: 0, relationships: 1, purpose: 0, soul: 0 };

async function setPhase(t: Backend, userId: Id<"users">, currentPhase: "mirror" | "birth_chart") {
  await t.run(async (ctx) => await ctx.db.patch("users", userId, { currentPhase }));
}

/** A journey through the public API: created, `milestones` added, optionally started. */
async function plottedJourney(user: TestUser, milestones = 2, start = false) {
  const journeyId = await user.as.mutation(api.journeys.create, { northStar, domainWeights: weights });
  for (let i = 1; i <= milestones; i++) {
    await user.as.mutation(api.journeys.addMilestone, { journeyId, title: `Milestone ${i}` });
  }
  if (start) await user.as.mutation(api.journeys.start, { journeyId });
  return journeyId;
}

describe("journeys.create", () => {
  it("creates a discovery journey with the trimmed north star and the weights", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const journeyId = await user.as.mutation(api.journeys.create, {
      northStar: { ...northStar, description: "  Feel strong in my body  " },
      domainWeights: weights,
    });
    const journey = await user.as.query(api.journeys.get, { journeyId });
    expect(journey).toMatchObject({
      status: "discovery",
      northStar,
      domainWeights: weights,
      milestones: [],
      velocity: 0,
      momentum: 0,
    });
    expect(journey.plottedAt).toBeUndefined();
  });

  it("refuses bad weights and blank or long text with INVALID_ARGUMENT, writing nothing", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const bad = [
      { ...weights, soul: -0.1 },
      { ...weights, health: Number.NaN },
      { ...weights, health: Number.POSITIVE_INFINITY },
      { health: 0, wealth: 0, relationships: 0, purpose: 0, soul: 0 },
    ];
    for (const domainWeights of bad) {
      await expectConvexError(user.as.mutation(api.journeys.create, { northStar, domainWeights }), "INVALID_ARGUMENT");
    }
    for (const star of [{ ...northStar, description: "   " }, { ...northStar, description: "x".repeat(501) }]) {
      await expectConvexError(
        user.as.mutation(api.journeys.create, { northStar: star, domainWeights: weights }),
        "INVALID_ARGUMENT",
      );
    }
    expect(await rows(t, "journeys")).toEqual([]);
  });

  it(`allows ${MAX_OPEN_JOURNEYS} open journeys at once (CONFLICT beyond)`, async () => {
    const t = newBackend();
    const user = await createUser(t);
    for (let i = 0; i < MAX_OPEN_JOURNEYS; i++) {
      await user.as.mutation(api.journeys.create, { northStar, domainWeights: weights });
    }
    await expectConvexError(user.as.mutation(api.journeys.create, { northStar, domainWeights: weights }), "CONFLICT");
  });
});

describe("plotting and phases", () => {
  it("the first milestone plots a discovery journey and moves a birth_chart user to walk", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await setPhase(t, user.userId, "birth_chart");
    const journeyId = await user.as.mutation(api.journeys.create, { northStar, domainWeights: weights });
    const first = await user.as.mutation(api.journeys.addMilestone, {
      journeyId,
      title: " Run 5 km ",
      description: "  ",
    });
    expect(first).toEqual({ milestoneId: "m1", status: "plotted" });
    const journey = await journeyRow(t, journeyId);
    expect(journey.status).toBe("plotted");
    expect(journey.plottedAt).toBeTypeOf("number");
    expect(journey.milestones).toEqual([{ id: "m1", title: "Run 5 km" }]);
    expect((await userRow(t, user.userId)).currentPhase).toBe("walk");
    // Later milestones keep the status.
    expect(await user.as.mutation(api.journeys.addMilestone, { journeyId, title: "Run 10 km", description: "flat" }))
      .toEqual({ milestoneId: "m2", status: "plotted" });
  });

  it("phases move only along the documented path: a mirror user stays in the mirror", async () => {
    const t = newBackend();
    const user = await createUser(t);
    await setPhase(t, user.userId, "mirror");
    await plottedJourney(user, 1, true);
    expect((await userRow(t, user.userId)).currentPhase).toBe("mirror");
    // Starting a plotted journey after the mirror ended moves birth_chart → walk.
    await setPhase(t, user.userId, "birth_chart");
    await plottedJourney(user, 1, true);
    expect((await userRow(t, user.userId)).currentPhase).toBe("walk");
  });

  it(`holds at most ${MAX_MILESTONES} milestones (CONFLICT)`, async () => {
    const t = newBackend();
    const user = await createUser(t);
    const journeyId = await plottedJourney(user, MAX_MILESTONES);
    await expectConvexError(user.as.mutation(api.journeys.addMilestone, { journeyId, title: "one more" }), "CONFLICT");
    await expectConvexError(
      user.as.mutation(api.journeys.addMilestone, { journeyId: await plottedJourney(user, 0), title: " " }),
      "INVALID_ARGUMENT",
    );
  });
});

describe("status machine", () => {
  it("discovery → plotted → walking ⇄ paused; every other move is INVALID_TRANSITION", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const journeyId = await user.as.mutation(api.journeys.create, { northStar, domainWeights: weights });
    const move = (name: "start" | "pause" | "resume") => user.as.mutation(api.journeys[name], { journeyId });
    for (const name of ["start", "pause", "resume"] as const) await expectConvexError(move(name), "INVALID_TRANSITION");
    await user.as.mutation(api.journeys.addMilestone, { journeyId, title: "Run 5 km" });
    await expectConvexError(move("pause"), "INVALID_TRANSITION");
    await expectConvexError(move("resume"), "INVALID_TRANSITION");
    await move("start");
    const started = await journeyRow(t, journeyId);
    expect(started.status).toBe("walking");
    expect(started.startedAt).toBeTypeOf("number");
    await expectConvexError(move("start"), "INVALID_TRANSITION");
    await expectConvexError(move("resume"), "INVALID_TRANSITION");
    await move("pause");
    expect((await journeyRow(t, journeyId)).status).toBe("paused");
    await expectConvexError(move("pause"), "INVALID_TRANSITION");
    await expectConvexError(move("start"), "INVALID_TRANSITION");
    await move("resume");
    const resumed = await journeyRow(t, journeyId);
    expect(resumed.status).toBe("walking");
    expect(resumed.startedAt).toBe(started.startedAt); // resuming is not a new start
  });

  it("reaching milestones writes world_show growth on the dominant domain; the last completes", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const journeyId = await plottedJourney(user, 2);
    const reach = (milestoneId: string) => user.as.mutation(api.journeys.reachMilestone, { journeyId, milestoneId });
    await expectConvexError(reach("m1"), "INVALID_TRANSITION"); // plotted, not started
    await user.as.mutation(api.journeys.start, { journeyId });
    await expectConvexError(reach("m9"), "NOT_FOUND");
    expect(await reach("m1")).toEqual({ status: "walking" });
    await expectConvexError(reach("m1"), "INVALID_TRANSITION");
    const events = await rows(t, "growthEvents");
    expect(events.map((e) => [e.entityType, e.entityId, e.dimKey, e.delta, e.source, e.domain])).toEqual([
      ["journey", journeyId, "world_show", 0.2, "milestone_reached", "health"],
    ]);
    // Reaching the last one while paused completes the journey too.
    await user.as.mutation(api.journeys.pause, { journeyId });
    expect(await reach("m2")).toEqual({ status: "complete" });
    const journey = await journeyRow(t, journeyId);
    expect(journey.status).toBe("complete");
    expect(journey.completedAt).toBe(journey.milestones[1].reachedAt);
    expect(journey.milestones.every((m) => m.reachedAt !== undefined)).toBe(true);
    expect((await growthStateRow(t, user.userId)).growthProfile.world_show).toBeCloseTo(0.4, 15);
    // complete is final.
    await expectConvexError(user.as.mutation(api.journeys.resume, { journeyId }), "INVALID_TRANSITION");
    await expectConvexError(
      user.as.mutation(api.journeys.addMilestone, { journeyId, title: "encore" }),
      "INVALID_TRANSITION",
    );
  });
});

describe("reads", () => {
  it("mine pages the user's journeys newest first, optionally by status", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const first = await plottedJourney(user, 1, true);
    const second = await plottedJourney(user, 1);
    const third = await plottedJourney(user, 0);
    const page1 = await user.as.query(api.journeys.mine, { paginationOpts: { cursor: null, numItems: 2 } });
    expect(page1.page.map((j) => j._id)).toEqual([third, second]);
    const page2 = await user.as.query(api.journeys.mine, {
      paginationOpts: { cursor: page1.continueCursor, numItems: 2 },
    });
    expect(page2.page.map((j) => j._id)).toEqual([first]);
    expect(page2.isDone).toBe(true);
    const walking = await user.as.query(api.journeys.mine, {
      status: "walking",
      paginationOpts: { cursor: null, numItems: 10 },
    });
    expect(walking.page.map((j) => [j._id, j.status])).toEqual([[first, "walking"]]);
    expect(Object.keys(walking.page[0])).not.toContain("userId");
  });
});

describe("auth", () => {
  it("every public function refuses an unauthenticated caller", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const journeyId = await plottedJourney(owner, 1);
    const calls = [
      () => t.mutation(api.journeys.create, { northStar, domainWeights: weights }),
      () => t.mutation(api.journeys.addMilestone, { journeyId, title: "x" }),
      () => t.mutation(api.journeys.reachMilestone, { journeyId, milestoneId: "m1" }),
      () => t.mutation(api.journeys.start, { journeyId }),
      () => t.mutation(api.journeys.pause, { journeyId }),
      () => t.mutation(api.journeys.resume, { journeyId }),
      () => t.query(api.journeys.get, { journeyId }),
      () => t.query(api.journeys.mine, { paginationOpts: { cursor: null, numItems: 5 } }),
    ];
    for (const call of calls) await expectConvexError(call(), "UNAUTHENTICATED");
  });

  it("another user's journey answers NOT_FOUND everywhere and is never listed", async () => {
    const t = newBackend();
    const owner = await createUser(t);
    const other = await createUser(t);
    const journeyId = await plottedJourney(owner, 1);
    const before = await journeyRow(t, journeyId);
    const calls = [
      () => other.as.mutation(api.journeys.addMilestone, { journeyId, title: "x" }),
      () => other.as.mutation(api.journeys.reachMilestone, { journeyId, milestoneId: "m1" }),
      () => other.as.mutation(api.journeys.start, { journeyId }),
      () => other.as.mutation(api.journeys.pause, { journeyId }),
      () => other.as.mutation(api.journeys.resume, { journeyId }),
      () => other.as.query(api.journeys.get, { journeyId }),
    ];
    for (const call of calls) await expectConvexError(call(), "NOT_FOUND");
    expect(await journeyRow(t, journeyId)).toEqual(before);
    const listed = await other.as.query(api.journeys.mine, { paginationOpts: { cursor: null, numItems: 5 } });
    expect(listed.page).toEqual([]);
    // A deleted journey answers the same.
    await t.run(async (ctx) => await ctx.db.delete("journeys", journeyId));
    await expectConvexError(owner.as.query(api.journeys.get, { journeyId }), "NOT_FOUND");
  });
});
