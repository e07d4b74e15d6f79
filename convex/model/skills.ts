// Skills (MECHANICS §3): the global taxonomy and its seed, and the only writer of
// skillEvidence/skillBeliefs. Every evidence row updates its belief in the same transaction,
// with one hop of transfer along the taxonomy's edges. Formulas live in src/mechanics/skills.ts.
import { TEXT_BOUNDS, fitsBound } from "../../src/text";
import { DAY } from "../../src/time";
import {
  SKILL_EDGE_SEED,
  SKILL_SEED,
  UTILIZATION_FULL_AT,
  UTILIZATION_WINDOW_DAYS,
  clampConfidence,
  normalizeSkillName,
  transferObservation,
  updateBelief,
  utilization,
  type RangedSkillSource,
  type SkillEvidence,
} from "../../src/mechanics/skills";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { invalidArgument } from "../errors";

/** The taxonomy is curated (≈50 skills seeded); reads of all of it stop here. */
export const SKILL_TAXONOMY_LIMIT = 1_000;
/** Transfer edges followed from one skill (the seed has at most 2). */
export const MAX_TRANSFER_EDGES = 32;

/** Evidence as callers give it; `transfer` rows are made here only, never by callers. */
export type SkillEvidenceInput = {
  skillName?: string;
  skillId?: Id<"skills">;
  level: number;
  confidence: number;
  source: RangedSkillSource;
  sourceRef?: string;
  notes?: string;
};

// ---------------------------------------------------------------------------------------
// Taxonomy

/** A skill by id, or by name matched case-insensitively (normalizeSkillName); null if unknown. */
export async function findSkill(
  ctx: QueryCtx,
  ref: { skillName?: string; skillId?: Id<"skills"> },
): Promise<Doc<"skills"> | null> {
  if (ref.skillId !== undefined) return await ctx.db.get("skills", ref.skillId);
  if (ref.skillName === undefined) return null;
  const normalizedName = normalizeSkillName(ref.skillName);
  if (normalizedName.length === 0) return null;
  return await ctx.db
    .query("skills")
    .withIndex("by_normalized_name", (q) => q.eq("normalizedName", normalizedName))
    .first();
}

/** The whole taxonomy in name order (small by construction: curated, never model-written). */
export async function listSkills(ctx: QueryCtx): Promise<Doc<"skills">[]> {
  return await ctx.db.query("skills").withIndex("by_normalized_name").take(SKILL_TAXONOMY_LIMIT);
}

/** normalized name → id, what the extraction sanitizer matches model output against. */
export async function knownSkillNames(ctx: QueryCtx): Promise<Map<string, Id<"skills">>> {
  return new Map((await listSkills(ctx)).map((skill) => [skill.normalizedName, skill._id]));
}

export type SeedCounts = { skillsInserted: number; skillsUpdated: number; edgesInserted: number; edgesUpdated: number };

/**
 * Upserts SKILL_SEED and SKILL_EDGE_SEED: a skill is matched by normalized name, an edge by
 * (from, to). Running it again inserts nothing and updates only what the seed changed.
 */
export async function seedSkillTaxonomy(ctx: MutationCtx): Promise<SeedCounts> {
  const counts: SeedCounts = { skillsInserted: 0, skillsUpdated: 0, edgesInserted: 0, edgesUpdated: 0 };
  const idsByName = new Map<string, Id<"skills">>();
  for (const seed of SKILL_SEED) {
    const fields = {
      name: seed.name,
      normalizedName: normalizeSkillName(seed.name),
      category: seed.category,
      domain: seed.domain,
      description: seed.description,
    };
    const existing = await findSkill(ctx, { skillName: seed.name });
    if (existing === null) {
      idsByName.set(fields.normalizedName, await ctx.db.insert("skills", fields));
      counts.skillsInserted += 1;
      continue;
    }
    idsByName.set(fields.normalizedName, existing._id);
    const changed =
      existing.name !== fields.name ||
      existing.category !== fields.category ||
      existing.domain !== fields.domain ||
      existing.description !== fields.description;
    if (changed) {
      await ctx.db.patch("skills", existing._id, fields);
      counts.skillsUpdated += 1;
    }
  }
  for (const seed of SKILL_EDGE_SEED) {
    const fromSkillId = idsByName.get(normalizeSkillName(seed.from));
    const toSkillId = idsByName.get(normalizeSkillName(seed.to));
    if (fromSkillId === undefined || toSkillId === undefined) {
      throw new Error(`SKILL_EDGE_SEED names a skill missing from SKILL_SEED: ${seed.from} -> ${seed.to}`);
    }
    const existing = await ctx.db
      .query("skillEdges")
      .withIndex("by_from", (q) => q.eq("fromSkillId", fromSkillId).eq("toSkillId", toSkillId))
      .first();
    if (existing === null) {
      await ctx.db.insert("skillEdges", { fromSkillId, toSkillId, weight: seed.weight });
      counts.edgesInserted += 1;
    } else if (existing.weight !== seed.weight) {
      await ctx.db.patch("skillEdges", existing._id, { weight: seed.weight });
      counts.edgesUpdated += 1;
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------------------
// Evidence

function validateEvidence(input: SkillEvidenceInput): void {
  if ((input.skillId === undefined) === (input.skillName === undefined)) {
    throw invalidArgument("give exactly one of skillId and skillName");
  }
  if (!Number.isFinite(input.level) || input.level < 0 || input.level > 10) {
    throw invalidArgument("level must be a number from 0 to 10");
  }
  if (!Number.isFinite(input.confidence) || input.confidence < 0 || input.confidence > 1) {
    throw invalidArgument("confidence must be a number from 0 to 1");
  }
  if ((input.source as string) === "transfer") {
    throw invalidArgument("source transfer is derived from taxonomy edges, not given");
  }
  if (input.sourceRef !== undefined && !fitsBound("skillSourceRef", input.sourceRef)) {
    throw invalidArgument(`sourceRef must be at most ${TEXT_BOUNDS.skillSourceRef} characters`);
  }
  if (input.notes !== undefined && !fitsBound("skillNotes", input.notes)) {
    throw invalidArgument(`notes must be at most ${TEXT_BOUNDS.skillNotes} characters`);
  }
}

/** The user's belief in a skill (one row per user and skill). */
export async function beliefFor(
  ctx: QueryCtx,
  userId: Id<"users">,
  skillId: Id<"skills">,
): Promise<Doc<"skillBeliefs"> | null> {
  return await ctx.db
    .query("skillBeliefs")
    .withIndex("by_user_skill", (q) => q.eq("userId", userId).eq("skillId", skillId))
    .unique();
}

/**
 * Folds one observation (already stored as an evidence row) into the belief. Utilization
 * counts the evidence rows of the last 30 days, the new one and transfer rows included; it
 * needs at most UTILIZATION_FULL_AT of them to reach 1.
 */
async function applyToBelief(
  ctx: MutationCtx,
  userId: Id<"users">,
  skillId: Id<"skills">,
  evidence: SkillEvidence,
  now: number,
): Promise<void> {
  const belief = await beliefFor(ctx, userId, skillId);
  const next = updateBelief(belief, evidence, now);
  const recent = await ctx.db
    .query("skillEvidence")
    .withIndex("by_user_skill", (q) =>
      q.eq("userId", userId).eq("skillId", skillId).gte("createdAt", now - UTILIZATION_WINDOW_DAYS * DAY),
    )
    .take(UTILIZATION_FULL_AT);
  const fields = {
    mean: next.mean,
    variance: next.variance,
    confidence: next.confidence,
    utilization: utilization(recent.length),
    evidenceCount: (belief?.evidenceCount ?? 0) + 1,
    lastEvidenceAt: next.lastEvidenceAt,
  };
  if (belief === null) await ctx.db.insert("skillBeliefs", { userId, skillId, ...fields });
  else await ctx.db.patch("skillBeliefs", belief._id, fields);
}

export type AppliedEvidence = { evidenceId: Id<"skillEvidence">; skill: Doc<"skills">; transfers: number };

/**
 * Stores one piece of evidence and updates the belief, then one hop of transfer: for each
 * edge skill → target (weight w) a `transfer` row (level x·w, confidence c·w·0.5, where c is
 * the source-clamped confidence; sourceRef = the original evidence id) updates the target's
 * belief. Everything is validated before the first write. Returns null, writing nothing,
 * when the skill is unknown: model output never creates skills.
 */
export async function applySkillEvidence(
  ctx: MutationCtx,
  userId: Id<"users">,
  input: SkillEvidenceInput,
  now: number,
): Promise<AppliedEvidence | null> {
  validateEvidence(input);
  const skill = await findSkill(ctx, input);
  if (skill === null) return null;
  const observation: SkillEvidence = {
    level: input.level,
    confidence: clampConfidence(input.source, input.confidence),
    source: input.source,
  };
  const edges = await ctx.db
    .query("skillEdges")
    .withIndex("by_from", (q) => q.eq("fromSkillId", skill._id))
    .take(MAX_TRANSFER_EDGES);
  const evidenceId = await ctx.db.insert("skillEvidence", {
    userId,
    skillId: skill._id,
    level: observation.level,
    confidence: observation.confidence,
    source: observation.source,
    sourceRef: input.sourceRef,
    notes: input.notes,
    createdAt: now,
  });
  await applyToBelief(ctx, userId, skill._id, observation, now);
  for (const edge of edges) {
    const transferred: SkillEvidence = { ...transferObservation(observation, edge.weight), source: "transfer" };
    await ctx.db.insert("skillEvidence", {
      userId,
      skillId: edge.toSkillId,
      level: transferred.level,
      confidence: transferred.confidence,
      source: "transfer",
      sourceRef: evidenceId,
      transferFromSkillId: skill._id,
      createdAt: now,
    });
    await applyToBelief(ctx, userId, edge.toSkillId, transferred, now);
  }
  return { evidenceId, skill, transfers: edges.length };
}

/**
 * The extraction pipeline's entry point: the evidence id, or null when the skill is unknown
 * (an unmatched model name is dropped, never created). Throws INVALID_ARGUMENT on bad numbers.
 */
export async function addSkillEvidence(
  ctx: MutationCtx,
  userId: Id<"users">,
  input: SkillEvidenceInput,
  now: number,
): Promise<Id<"skillEvidence"> | null> {
  const applied = await applySkillEvidence(ctx, userId, input, now);
  return applied?.evidenceId ?? null;
}
