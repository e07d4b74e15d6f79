// Shared validators, one definition each, used by `defineTable`, `args` and `returns`.
// The literal lists live in src/domain.ts so pure code shares them.
import { literals } from "convex-helpers/validators";
import { v, type Infer, type ObjectType, type PropertyValidators } from "convex/values";
import {
  CONCEPT_TYPES,
  CONNECTION_TYPES,
  CONVERSATION_PHASES,
  CONVERSATION_STATUSES,
  DOMAINS,
  EVOLUTION_STATES,
  EXPERIMENT_STATUSES,
  EXTRACTION_STATUSES,
  GROWTH_DIMENSIONS,
  GROWTH_ENTITY_TYPES,
  GROWTH_SOURCES,
  JOURNEY_STATUSES,
  LIFE_STATE_SOURCES,
  MESSAGE_ROLES,
  MISSION_ATTRIBUTES,
  MISSION_STATUSES,
  POLARITIES,
  SKILL_CATEGORIES,
  SKILL_SOURCES,
  STAR_TYPES,
  TIERS,
  TIMEFRAMES,
  USAGE_PURPOSES,
  USER_PHASES,
  type GrowthProfile,
} from "../src/domain";
import type { TokenUsage } from "../src/llm/client";

export const vDomain = literals(...DOMAINS);
export const vPolarity = literals(...POLARITIES);
export const vStarType = literals(...STAR_TYPES);
export const vConceptType = literals(...CONCEPT_TYPES);
export const vConnectionType = literals(...CONNECTION_TYPES);
export const vUserPhase = literals(...USER_PHASES);
export const vTier = literals(...TIERS);
export const vConversationPhase = literals(...CONVERSATION_PHASES);
export const vConversationStatus = literals(...CONVERSATION_STATUSES);
export const vMessageRole = literals(...MESSAGE_ROLES);
export const vExtractionStatus = literals(...EXTRACTION_STATUSES);
export const vJourneyStatus = literals(...JOURNEY_STATUSES);
export const vTimeframe = literals(...TIMEFRAMES);
export const vExperimentStatus = literals(...EXPERIMENT_STATUSES);
export const vSkillSource = literals(...SKILL_SOURCES);
export const vSkillCategory = literals(...SKILL_CATEGORIES);
export const vGrowthDimension = literals(...GROWTH_DIMENSIONS);
export const vGrowthEntityType = literals(...GROWTH_ENTITY_TYPES);
export const vGrowthSource = literals(...GROWTH_SOURCES);
export const vEvolutionState = literals(...EVOLUTION_STATES);
export const vMissionStatus = literals(...MISSION_STATUSES);
export const vMissionAttribute = literals(...MISSION_ATTRIBUTES);
export const vLifeStateSource = literals(...LIFE_STATE_SOURCES);
export const vUsagePurpose = literals(...USAGE_PURPOSES);

/** One number per growth dimension (MECHANICS §4). */
export const vGrowthProfile = v.object({
  self_know: v.number(),
  self_act: v.number(),
  self_show: v.number(),
  world_know: v.number(),
  world_act: v.number(),
  world_show: v.number(),
});
void (true satisfies Same<GrowthProfile, Infer<typeof vGrowthProfile>>);

/** One weight per life domain (a journey's direction, MECHANICS §7 alignment). */
export const vDomainWeights = v.object({
  health: v.number(),
  wealth: v.number(),
  relationships: v.number(),
  purpose: v.number(),
  soul: v.number(),
});
export type DomainWeights = Infer<typeof vDomainWeights>;

/** A quote that justified a star or connection; the newest 10 are kept. */
export const vEvidenceQuote = v.object({
  quote: v.string(),
  at: v.number(),
  messageId: v.optional(v.id("messages")),
});
export type EvidenceQuote = Infer<typeof vEvidenceQuote>;

/** Tokens of one model call, or a message's total (src/llm/client.ts TokenUsage). */
export const vTokenUsage = v.object({
  promptTokens: v.number(),
  completionTokens: v.number(),
  totalTokens: v.number(),
});
void (true satisfies Same<TokenUsage, Infer<typeof vTokenUsage>>);

/**
 * One (purpose, model) line of a user-day's usage (convex/model/usage.ts). `priced` is
 * false when the price table did not know the model: its microDollars are 0 then.
 */
export const vUsageLine = v.object({
  purpose: vUsagePurpose,
  model: v.string(),
  calls: v.number(),
  promptTokens: v.number(),
  completionTokens: v.number(),
  totalTokens: v.number(),
  microDollars: v.number(),
  priced: v.boolean(),
});
export type UsageLine = Infer<typeof vUsageLine>;

/** Lifetime usage totals: what an erasure receipt keeps of the usage ledger. */
export const vUsageTotals = v.object({ calls: v.number(), totalTokens: v.number(), microDollars: v.number() });
export type UsageTotals = Infer<typeof vUsageTotals>;

/** What the extraction pipeline applied and dropped for one user message. */
export const vExtractionCounts = v.object({
  starsCreated: v.number(),
  starsReinforced: v.number(),
  connections: v.number(),
  skillEvidence: v.number(),
  growthEvents: v.number(),
  dropped: v.number(),
});
export type ExtractionCounts = Infer<typeof vExtractionCounts>;

/** Extraction status, kept on the user message (docs/pipeline.md). */
export const vExtraction = v.object({
  status: vExtractionStatus,
  reason: v.optional(v.string()),
  attempts: v.number(),
  updatedAt: v.number(),
  applied: v.optional(vExtractionCounts),
  droppedReasons: v.optional(v.array(v.string())),
});
export type Extraction = Infer<typeof vExtraction>;

export const vNorthStar = v.object({
  description: v.string(),
  successCriteria: v.string(),
  timeframe: vTimeframe,
});

export const vMilestone = v.object({
  id: v.string(),
  title: v.string(),
  description: v.optional(v.string()),
  reachedAt: v.optional(v.number()),
});
export type Milestone = Infer<typeof vMilestone>;

/** Per-table document counts (exports and deletion receipts). */
export const vTableCounts = v.record(v.string(), v.number());

// ---------------------------------------------------------------------------------------
// Views (docs/architecture.md "Views from the schema")

/**
 * The mapper of a view: copies exactly the view's fields from a document, or from any
 * object that has them (a return validator rejects every other field). The view's
 * validator, derived from the schema, is then the one list of what a client sees.
 */
export function mapperOf<Fields extends PropertyValidators>(view: {
  fields: Fields;
}): (source: ObjectType<Fields>) => ObjectType<Fields> {
  const keys = Object.keys(view.fields);
  return (source) => {
    const picked: Record<string, unknown> = {};
    for (const key of keys) {
      const value = (source as Record<string, unknown>)[key];
      if (value !== undefined) picked[key] = value;
    }
    return picked as ObjectType<Fields>;
  };
}

/**
 * `true` when A and B are the same type (mutual assignability is not enough: an extra
 * optional field passes it). `void (true satisfies Same<A, B>)` ties a hand-written type to
 * a validator's at compile time, both ways (get-convex/workpool's `satisfies` check).
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
