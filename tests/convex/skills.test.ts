import { afterEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { SKILL_EDGE_SEED, SKILL_SEED } from "../../src/mechanics/skills";
import { DAY } from "../../src/time";
import { type Backend, countRows, createUser, expectConvexError, newBackend } from "../setup";

afterEach(() => {
  vi.useRealTimers();
});

// Expectations computed by hand from MECHANICS §3 (σobs² = 0.25 + 9(1 − c)², precision-
// weighted posterior on the prior 5 / 9), not from src/.
const PY_FIRST = { mean: 7.341311134235171, variance: 0.5712799167533817 }; // 7.5 @ 0.8
const JS_TRANSFER = { mean: 5.161689039638967, variance: 3.1791945729972118 }; // 5.25 @ 0.28
const DATA_TRANSFER = { mean: 4.688546828714599, variance: 3.3938429168627673 }; // 4.5 @ 0.24
const PY_SECOND_AFTER_10_DAYS = 7.7984718242597895; // 8 @ 0.95→0.9 on variance + 0.2
const EXTERNAL_CLAMPED = 5.7205764611689345; // 6 @ 0.1→0.4

async function seeded(): Promise<Backend> {
  const t = newBackend();
  await t.mutation(internal.skills.seed, {});
  return t;
}

async function skillId(t: Backend, name: string): Promise<Id<"skills">> {
  const skill = await t.run(async (ctx) =>
    ctx.db
      .query("skills")
      .withIndex("by_normalized_name", (q) => q.eq("normalizedName", name.toLowerCase()))
      .unique(),
  );
  if (skill === null) throw new Error(`no skill ${name}`);
  return skill._id;
}

async function evidenceOf(t: Backend, userId: Id<"users">, skill: Id<"skills">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("skillEvidence")
      .withIndex("by_user_skill", (q) => q.eq("userId", userId).eq("skillId", skill))
      .collect(),
  );
}

async function beliefOf(t: Backend, userId: Id<"users">, skill: Id<"skills">) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("skillBeliefs")
      .withIndex("by_user_skill", (q) => q.eq("userId", userId).eq("skillId", skill))
      .unique(),
  );
}

describe("skills.seed", () => {
  it("seeds the starter taxonomy once: a second run inserts and updates nothing", async () => {
    const t = newBackend();
    const first = await t.mutation(internal.skills.seed, {});
    expect(first).toEqual({
      skillsInserted: SKILL_SEED.length,
      skillsUpdated: 0,
      edgesInserted: SKILL_EDGE_SEED.length,
      edgesUpdated: 0,
    });
    expect(SKILL_SEED.length).toBeGreaterThanOrEqual(40);
    const second = await t.mutation(internal.skills.seed, {});
    expect(second).toEqual({ skillsInserted: 0, skillsUpdated: 0, edgesInserted: 0, edgesUpdated: 0 });
    expect(await countRows(t, "skills")).toBe(SKILL_SEED.length);
    expect(await countRows(t, "skillEdges")).toBe(SKILL_EDGE_SEED.length);
  });

  it("repairs a drifted row instead of duplicating it, and keeps the Python → JavaScript weight", async () => {
    const t = await seeded();
    const python = await skillId(t, "Python");
    const javascript = await skillId(t, "JavaScript");
    await t.run(async (ctx) => {
      await ctx.db.patch("skills", python, { name: "python", description: "old" });
      const edge = await ctx.db
        .query("skillEdges")
        .withIndex("by_from", (q) => q.eq("fromSkillId", python).eq("toSkillId", javascript))
        .unique();
      await ctx.db.patch("skillEdges", edge!._id, { weight: 0.1 });
    });
    expect(await t.mutation(internal.skills.seed, {})).toEqual({
      skillsInserted: 0,
      skillsUpdated: 1,
      edgesInserted: 0,
      edgesUpdated: 1,
    });
    const { skill, edge } = await t.run(async (ctx) => ({
      skill: await ctx.db.get("skills", python),
      edge: await ctx.db
        .query("skillEdges")
        .withIndex("by_from", (q) => q.eq("fromSkillId", python).eq("toSkillId", javascript))
        .unique(),
    }));
    expect(skill?.name).toBe("Python");
    expect(edge?.weight).toBe(0.7);
    expect(await countRows(t, "skills")).toBe(SKILL_SEED.length);
  });
});

describe("skills.addEvidence (public)", () => {
  it("first artifact 7.5 @ 0.8 on the prior gives 7.34, with one hop of transfer and exact numbers", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const [python, javascript, data, typescript] = await Promise.all(
      ["Python", "JavaScript", "Data Analysis", "TypeScript"].map((name) => skillId(t, name)),
    );
    const result = await user.as.mutation(api.skills.addEvidence, {
      skillId: python,
      level: 7.5,
      confidence: 0.8,
      source: "artifact",
      sourceRef: "github.com/me/project",
      notes: "a CLI tool",
    });
    expect(result.transfers).toBe(2); // Python → JavaScript 0.7, Python → Data Analysis 0.6
    expect(result.belief.name).toBe("Python");
    expect(result.belief.mean).toBeCloseTo(PY_FIRST.mean, 12);
    expect(result.belief.mean.toFixed(2)).toBe("7.34");
    expect(result.belief.variance).toBeCloseTo(PY_FIRST.variance, 12);
    expect(result.belief.confidence).toBeCloseTo(1 - PY_FIRST.variance / 9, 12);
    expect(result.belief.utilization).toBe(0.25);
    expect(result.belief.evidenceCount).toBe(1);

    const jsRows = await evidenceOf(t, user.userId, javascript);
    expect(jsRows).toHaveLength(1);
    expect(jsRows[0]).toMatchObject({
      source: "transfer",
      transferFromSkillId: python,
      sourceRef: result.evidenceId,
    });
    expect(jsRows[0].level).toBeCloseTo(5.25, 12);
    expect(jsRows[0].confidence).toBeCloseTo(0.28, 12); // 0.8 · 0.7 · 0.5, not clamped to a range
    const js = await beliefOf(t, user.userId, javascript);
    expect(js!.mean).toBeCloseTo(JS_TRANSFER.mean, 12);
    expect(js!.variance).toBeCloseTo(JS_TRANSFER.variance, 12);
    const dataBelief = await beliefOf(t, user.userId, data);
    expect(dataBelief!.mean).toBeCloseTo(DATA_TRANSFER.mean, 12);
    expect(dataBelief!.variance).toBeCloseTo(DATA_TRANSFER.variance, 12);
    // One hop only: JavaScript → TypeScript is an edge, but transfer does not cascade.
    expect(await beliefOf(t, user.userId, typescript)).toBeNull();
    expect(await countRows(t, "skillEvidence")).toBe(3);
  });

  it("clamps the stated confidence into the source's range and stores the clamped value", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const yoga = await skillId(t, "Yoga");
    await user.as.mutation(api.skills.addEvidence, { skillId: yoga, level: 6, confidence: 0.1, source: "external" });
    const [row] = await evidenceOf(t, user.userId, yoga);
    expect(row.confidence).toBe(0.4);
    expect((await beliefOf(t, user.userId, yoga))!.mean).toBeCloseTo(EXTERNAL_CLAMPED, 12);
  });

  it("inflates the variance for idle time and counts utilization over the last 30 days", async () => {
    vi.useFakeTimers();
    const start = Date.UTC(2025, 0, 10, 12);
    vi.setSystemTime(start);
    const t = await seeded();
    const user = await createUser(t);
    const python = await skillId(t, "Python");
    await user.as.mutation(api.skills.addEvidence, { skillId: python, level: 7.5, confidence: 0.8, source: "artifact" });
    vi.setSystemTime(start + 10 * DAY);
    const second = await user.as.mutation(api.skills.addEvidence, {
      skillId: python,
      level: 8,
      confidence: 0.95, // clamped to 0.9
      source: "artifact",
    });
    expect(second.belief.mean).toBeCloseTo(PY_SECOND_AFTER_10_DAYS, 12);
    expect(second.belief.utilization).toBe(0.5);
    expect(second.belief.lastEvidenceAt).toBe(start + 10 * DAY);
    // 31 days after the second piece, only the new one is in the window.
    vi.setSystemTime(start + 41 * DAY);
    const third = await user.as.mutation(api.skills.addEvidence, { skillId: python, level: 8, confidence: 0.8, source: "artifact" });
    expect(third.belief.utilization).toBe(0.25);
    expect(third.belief.evidenceCount).toBe(3);
  });

  it.each(["interview", "echelon", "transfer"] as const)("refuses source %s with INVALID_ARGUMENT and writes nothing", async (source) => {
    const t = await seeded();
    const user = await createUser(t);
    const python = await skillId(t, "Python");
    await expectConvexError(
      user.as.mutation(api.skills.addEvidence, { skillId: python, level: 5, confidence: 0.6, source }),
      "INVALID_ARGUMENT",
    );
    expect(await countRows(t, "skillEvidence")).toBe(0);
    expect(await countRows(t, "skillBeliefs")).toBe(0);
  });

  it.each([
    [{ level: 10.5 }, "level"],
    [{ level: -1 }, "level"],
    [{ level: Number.NaN }, "level"],
    [{ confidence: 1.2 }, "confidence"],
    [{ confidence: -0.1 }, "confidence"],
    [{ notes: "x".repeat(2001) }, "notes"],
    [{ sourceRef: "x".repeat(501) }, "sourceRef"],
  ])("refuses %j with INVALID_ARGUMENT naming %s", async (patch, field) => {
    const t = await seeded();
    const user = await createUser(t);
    const python = await skillId(t, "Python");
    const error = await expectConvexError(
      user.as.mutation(api.skills.addEvidence, {
        skillId: python,
        level: 5,
        confidence: 0.8,
        source: "artifact",
        ...patch,
      }),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toContain(field);
    expect(await countRows(t, "skillEvidence")).toBe(0);
  });

  it("answers NOT_FOUND for a skill id that does not exist", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const gone = await t.run(async (ctx) => {
      const id = await ctx.db.insert("skills", {
        name: "Gone",
        normalizedName: "gone",
        category: "creative",
        domain: "soul",
        description: "deleted",
      });
      await ctx.db.delete("skills", id);
      return id;
    });
    await expectConvexError(
      user.as.mutation(api.skills.addEvidence, { skillId: gone, level: 5, confidence: 0.8, source: "artifact" }),
      "NOT_FOUND",
    );
    await expectConvexError(user.as.query(api.skills.history, { skillId: gone, paginationOpts: { numItems: 5, cursor: null } }), "NOT_FOUND");
  });
});

describe("skills.addExtractedEvidence (internal, the pipeline)", () => {
  it("matches a model's skill name case-insensitively", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const evidenceId = await t.mutation(internal.skills.addExtractedEvidence, {
      userId: user.userId,
      skillName: "  sYSTEM   design ",
      level: 6,
      confidence: 0.9, // interview: clamped to 0.7
      source: "interview",
    });
    expect(evidenceId).not.toBeNull();
    const systemDesign = await skillId(t, "System Design");
    const [row] = await evidenceOf(t, user.userId, systemDesign);
    expect(row).toMatchObject({ _id: evidenceId, source: "interview", confidence: 0.7, level: 6 });
    // System Design → Architecture 0.8: a transfer row of 4.8 @ 0.28.
    const [transfer] = await evidenceOf(t, user.userId, await skillId(t, "Architecture"));
    expect(transfer.level).toBeCloseTo(4.8, 12);
    expect(transfer.confidence).toBeCloseTo(0.28, 12);
  });

  it("drops an unknown name: returns null, creates no skill and writes nothing", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const result = await t.mutation(internal.skills.addExtractedEvidence, {
      userId: user.userId,
      skillName: "Underwater Basket Weaving",
      level: 9,
      confidence: 0.6,
      source: "interview",
    });
    expect(result).toBeNull();
    expect(await countRows(t, "skills")).toBe(SKILL_SEED.length);
    expect(await countRows(t, "skillEvidence")).toBe(0);
    expect(await countRows(t, "skillBeliefs")).toBe(0);
  });

  it("tolerates an unseeded taxonomy (drops) and a user who is gone", async () => {
    const t = newBackend();
    const user = await createUser(t);
    const args = { skillName: "Python", level: 5, confidence: 0.6, source: "interview" as const };
    expect(await t.mutation(internal.skills.addExtractedEvidence, { userId: user.userId, ...args })).toBeNull();
    await t.mutation(internal.skills.seed, {});
    await t.run(async (ctx) => ctx.db.delete("users", user.userId));
    expect(await t.mutation(internal.skills.addExtractedEvidence, { userId: user.userId, ...args })).toBeNull();
    expect(await countRows(t, "skills")).toBe(SKILL_SEED.length);
    expect(await countRows(t, "skillEvidence")).toBe(0);
  });

  it("refuses out-of-range numbers with INVALID_ARGUMENT", async () => {
    const t = await seeded();
    const user = await createUser(t);
    await expectConvexError(
      t.mutation(internal.skills.addExtractedEvidence, {
        userId: user.userId,
        skillName: "Python",
        level: 12,
        confidence: 0.6,
        source: "interview",
      }),
      "INVALID_ARGUMENT",
    );
  });
});

describe("skill reads", () => {
  it("skills.catalog lists the taxonomy in name order", async () => {
    const t = await seeded();
    const user = await createUser(t);
    const catalog = await user.as.query(api.skills.catalog, {});
    expect(catalog).toHaveLength(SKILL_SEED.length);
    const names = catalog.map((s) => s.name.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it("skills.mine sorts the caller's beliefs by mean with skill names; skills.history pages newest first", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2025, 4, 1));
    const t = await seeded();
    const user = await createUser(t);
    const [python, drawing] = await Promise.all([skillId(t, "Python"), skillId(t, "Drawing")]);
    await user.as.mutation(api.skills.addEvidence, { skillId: drawing, level: 2, confidence: 0.8, source: "artifact" });
    for (const [i, level] of [9, 8.5, 9.5].entries()) {
      vi.setSystemTime(Date.UTC(2025, 4, 2 + i));
      await user.as.mutation(api.skills.addEvidence, { skillId: python, level, confidence: 0.8, source: "artifact" });
    }
    const mine = await user.as.query(api.skills.mine, {});
    expect(mine.map((b) => b.name)).toEqual(["Python", "JavaScript", "Data Analysis", "Painting", "Animation", "Drawing"]);
    const means = mine.map((b) => b.mean);
    expect(means).toEqual([...means].sort((a, b) => b - a));

    const first = await user.as.query(api.skills.history, { skillId: python, paginationOpts: { numItems: 2, cursor: null } });
    expect(first.page.map((e) => e.level)).toEqual([9.5, 8.5]);
    expect(first.isDone).toBe(false);
    const rest = await user.as.query(api.skills.history, {
      skillId: python,
      paginationOpts: { numItems: 2, cursor: first.continueCursor },
    });
    expect(rest.page.map((e) => e.level)).toEqual([9]);
    expect(rest.isDone).toBe(true);
  });

  it("is per user: another user sees none of the caller's evidence, and their evidence changes nothing of it", async () => {
    const t = await seeded();
    const alice = await createUser(t);
    const bob = await createUser(t);
    const python = await skillId(t, "Python");
    await alice.as.mutation(api.skills.addEvidence, { skillId: python, level: 7.5, confidence: 0.8, source: "artifact" });
    const before = await beliefOf(t, alice.userId, python);
    const bobsView = await bob.as.query(api.skills.history, { skillId: python, paginationOpts: { numItems: 10, cursor: null } });
    expect(bobsView.page).toEqual([]);
    expect(await bob.as.query(api.skills.mine, {})).toEqual([]);
    await bob.as.mutation(api.skills.addEvidence, { skillId: python, level: 1, confidence: 0.9, source: "artifact" });
    expect(await beliefOf(t, alice.userId, python)).toEqual(before);
    expect((await alice.as.query(api.skills.mine, {}))[0].mean).toBeCloseTo(PY_FIRST.mean, 12);
  });

  it("refuses every public function without an identity", async () => {
    const t = await seeded();
    const python = await skillId(t, "Python");
    await expectConvexError(t.query(api.skills.catalog, {}), "UNAUTHENTICATED");
    await expectConvexError(t.query(api.skills.mine, {}), "UNAUTHENTICATED");
    await expectConvexError(
      t.query(api.skills.history, { skillId: python, paginationOpts: { numItems: 5, cursor: null } }),
      "UNAUTHENTICATED",
    );
    await expectConvexError(
      t.mutation(api.skills.addEvidence, { skillId: python, level: 5, confidence: 0.8, source: "artifact" }),
      "UNAUTHENTICATED",
    );
    expect(await countRows(t, "skillEvidence")).toBe(0);
  });
});
