// Skills API (MECHANICS §3): the taxonomy, the caller's beliefs and evidence history, and
// evidence the user brings themselves. The extraction pipeline writes through the internal
// addEvidence (or model/skills.ts addSkillEvidence directly, inside its own mutation).
import { doc, literals } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import type { SkillSource } from "../src/domain";
import { internalMutation } from "./_generated/server";
import { invalidArgument, notFound } from "./errors";
import { userMutation, userQuery } from "./functions";
import { addSkillEvidence, applySkillEvidence, beliefFor, listSkills, seedSkillTaxonomy } from "./model/skills";
import schema from "./schema";
import { mapperOf } from "./validators";

/** Beliefs returned by skills.mine: one per skill, so bounded by the taxonomy. */
export const MY_SKILLS_LIMIT = 500;
/** What a user may claim on their own; interview and echelon come from the coach only. */
export const USER_EVIDENCE_SOURCES: readonly SkillSource[] = ["artifact", "external"];

/** A taxonomy entry (the document without its matching key). */
const vSkillView = doc(schema, "skills").omit("_creationTime", "normalizedName");
const toSkillView = mapperOf(vSkillView);

/** A belief with its skill's name, category and domain. */
const vBeliefView = schema.tables.skills.validator
  .pick("name", "category", "domain")
  .extend(schema.tables.skillBeliefs.validator.omit("userId").fields);
const toBeliefView = mapperOf(vBeliefView);

/** An evidence row (the document without its owner). */
const vEvidenceView = doc(schema, "skillEvidence").omit("_creationTime", "userId");
const toEvidenceView = mapperOf(vEvidenceView);

/** The taxonomy, in name order: what a user can pick when adding evidence. */
export const catalog = userQuery({
  args: {},
  returns: v.array(vSkillView),
  handler: async (ctx) => (await listSkills(ctx)).map(toSkillView),
});

/** The caller's beliefs with their skill names, highest mean first. */
export const mine = userQuery({
  args: {},
  returns: v.array(vBeliefView),
  handler: async (ctx) => {
    const beliefs = await ctx.db
      .query("skillBeliefs")
      .withIndex("by_user_mean", (q) => q.eq("userId", ctx.user._id))
      .order("desc")
      .take(MY_SKILLS_LIMIT);
    const skills = await Promise.all(beliefs.map((belief) => ctx.db.get("skills", belief.skillId)));
    return beliefs.flatMap((belief, i) => {
      const skill = skills[i];
      return skill === null ? [] : [toBeliefView({ ...skill, ...belief })];
    });
  },
});

/** The caller's evidence on one skill (transfer rows included), newest first. */
export const history = userQuery({
  args: { skillId: v.id("skills"), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vEvidenceView),
  handler: async (ctx, { skillId, paginationOpts }) => {
    if ((await ctx.db.get("skills", skillId)) === null) throw notFound("skill");
    const page = await ctx.db
      .query("skillEvidence")
      .withIndex("by_user_skill", (q) => q.eq("userId", ctx.user._id).eq("skillId", skillId))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toEvidenceView) };
  },
});

/** Evidence the user brings (an artifact they made, an external assessment). */
export const addEvidence = userMutation({
  args: schema.tables.skillEvidence.validator.pick("skillId", "level", "confidence", "source", "sourceRef", "notes").fields,
  returns: v.object({ evidenceId: v.id("skillEvidence"), transfers: v.number(), belief: vBeliefView }),
  handler: async (ctx, args) => {
    const { source } = args;
    if (source === "interview" || source === "echelon" || source === "transfer") {
      throw invalidArgument(`source must be one of ${USER_EVIDENCE_SOURCES.join(", ")}`);
    }
    const applied = await applySkillEvidence(ctx, ctx.user._id, { ...args, source }, Date.now());
    if (applied === null) throw notFound("skill");
    const belief = await beliefFor(ctx, ctx.user._id, applied.skill._id);
    if (belief === null) throw new Error("belief missing right after its evidence was applied");
    return { evidenceId: applied.evidenceId, transfers: applied.transfers, belief: toBeliefView({ ...applied.skill, ...belief }) };
  },
});

// ---------------------------------------------------------------------------------------
// Internal

/**
 * Evidence from the extraction pipeline (internal twin of addEvidence; one module cannot
 * export two functions of one name). An unknown skill (name matched case-insensitively) or
 * a user who is gone is dropped: returns null and writes nothing, which is also how an
 * unseeded taxonomy is tolerated.
 */
export const addExtractedEvidence = internalMutation({
  args: {
    userId: v.id("users"),
    skillName: v.optional(v.string()),
    skillId: v.optional(v.id("skills")),
    level: v.number(),
    confidence: v.number(),
    source: literals("interview", "artifact", "echelon", "external"),
    sourceRef: v.optional(v.string()),
    notes: v.optional(v.string()),
  },
  returns: v.union(v.id("skillEvidence"), v.null()),
  handler: async (ctx, { userId, ...input }) => {
    if ((await ctx.db.get("users", userId)) === null) return null;
    return await addSkillEvidence(ctx, userId, input, Date.now());
  },
});

/** Seeds the taxonomy (idempotent). Run once after each deploy: `npx convex run skills:seed`. */
export const seed = internalMutation({
  args: {},
  returns: v.object({
    skillsInserted: v.number(),
    skillsUpdated: v.number(),
    edgesInserted: v.number(),
    edgesUpdated: v.number(),
  }),
  handler: async (ctx) => await seedSkillTaxonomy(ctx),
});
