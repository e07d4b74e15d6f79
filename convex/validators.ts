// Shared validators, one definition each, used by `defineTable`, `args` and `returns`.
// The literal lists live in src/domain.ts so pure code shares them.
import { literals } from "convex-helpers/validators";
import { v, type Infer, type ObjectType, type PropertyValidators } from "convex/values";
import {
  CONCEPT_TYPES,
  CONNECTION_TYPES,
  CONVERSATION_PHASES,
  CHECKIN_SOURCES,
  CONVERSATION_STATUSES,
  DOMAINS,
  EMOTION_VALENCES,
  EVOLUTION_STATES,
  EXPERIMENT_STATUSES,
  EXTRACTION_STATUSES,
  REPLY_STATUSES,
  GROWTH_DIMENSIONS,
  GROWTH_ENTITY_TYPES,
  GROWTH_SOURCES,
  JOURNEY_STATUSES,
  LIFE_STATE_SOURCES,
  MESSAGE_ROLES,
  MISSION_ATTRIBUTES,
  MISSION_STATUSES,
  NARRATIVE_STATUSES,
  POLARITIES,
  RELATIONSHIP_TIERS,
  MEMORY_KINDS,
  SCENARIOS,
  REPORT_STATUSES,
  REPORT_TYPES,
  SKILL_CATEGORIES,
  SKILL_SOURCES,
  STAR_STATES,
  STAR_TYPES,
  STORY_EVENT_KINDS,
  TIERS,
  TIMEFRAMES,
  USAGE_PURPOSES,
  USER_PHASES,
  type GrowthProfile,
} from "../src/domain";
import type { ModelFailure, TokenUsage } from "../src/llm/client";

export const vDomain = literals(...DOMAINS);
export const vPolarity = literals(...POLARITIES);
export const vStarType = literals(...STAR_TYPES);
export const vStarState = literals(...STAR_STATES);
export const vConceptType = literals(...CONCEPT_TYPES);
export const vConnectionType = literals(...CONNECTION_TYPES);
export const vUserPhase = literals(...USER_PHASES);
export const vTier = literals(...TIERS);
export const vConversationPhase = literals(...CONVERSATION_PHASES);
export const vConversationStatus = literals(...CONVERSATION_STATUSES);
export const vMessageRole = literals(...MESSAGE_ROLES);
export const vExtractionStatus = literals(...EXTRACTION_STATUSES);
export const vReplyStatus = literals(...REPLY_STATUSES);
/** What an action attempt works on (schema attemptJobs): a user message's turn, or an experiment offer. */
export const vAttemptKind = literals("turn", "experiment");
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
export const vEmotionValence = literals(...EMOTION_VALENCES);
export const vCheckinSource = literals(...CHECKIN_SOURCES);
export const vReportType = literals(...REPORT_TYPES);
export const vReportStatus = literals(...REPORT_STATUSES);
export const vNarrativeStatus = literals(...NARRATIVE_STATUSES);
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

/**
 * One failed model call, as an action passes it to its recording mutation (the failure arm
 * of the extraction's and the report narrative's outcomes).
 */
export const vModelFailure = v.object({
  kind: v.literal("failure"),
  failureKind: v.union(v.literal("retryable"), v.literal("final")),
  reason: v.string(),
  retryAfterMs: v.optional(v.number()),
  usage: v.optional(vTokenUsage),
});
void (true satisfies Same<ModelFailure, Infer<typeof vModelFailure>>);

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

// Companions and quests (MECHANICS §10)
export const vScenario = literals(...SCENARIOS);
export const vRelationshipTier = literals(...RELATIONSHIP_TIERS);
export const vMemoryKind = literals(...MEMORY_KINDS);
export const vStoryEventKind = literals(...STORY_EVENT_KINDS);

/** One revealed quest of a user's narrative: the template and the mission made from it. */
export const vQuestReveal = v.object({
  questKey: v.string(),
  chapter: v.number(),
  missionId: v.id("missions"),
  revealedAt: v.number(),
});
export type QuestReveal = Infer<typeof vQuestReveal>;
// Reflection (MECHANICS §9): check-ins and reports. Shapes mirror src/mechanics/reflection.ts,
// tied to it by the `satisfies` checks in convex/model/reports.ts.

/** An emotion check-in's own fields (the table adds userId, kind, localDate, createdAt). */
export const vEmotionFields = {
  valence: vEmotionValence,
  /** 1–40 characters, e.g. "anxious". */
  label: v.string(),
  /** 0 to 1. */
  intensity: v.number(),
  source: vCheckinSource,
  conversationId: v.optional(v.id("conversations")),
  /** inferred only: the user message it was read in (at most one emotion per message). */
  messageId: v.optional(v.id("messages")),
};

/** An energy reading's own fields. */
export const vEnergyFields = {
  /** Whole number 1–10. */
  level: v.number(),
  /** At most 500 characters. */
  note: v.optional(v.string()),
};

const vValenceTally = v.object({ count: v.number(), intensitySum: v.number() });
const vEnergyPoint = v.object({ at: v.number(), level: v.number() });
const vEmotionPoint = v.object({ at: v.number(), valence: vEmotionValence, intensity: v.number() });
const vStarGrowth = v.object({ starId: v.string(), delta: v.number() });

/** The paged folds of a report being computed (ReportAccumulator). */
export const vReportAccumulator = v.object({
  userMessages: v.number(),
  conversationsCompleted: v.number(),
  growthByDimension: vGrowthProfile,
  starGrowth: v.array(vStarGrowth),
  starGrowthTruncated: v.boolean(),
  emotions: v.object({ positive: vValenceTally, neutral: vValenceTally, negative: vValenceTally }),
  energy: v.object({
    count: v.number(),
    sum: v.number(),
    first: v.union(vEnergyPoint, v.null()),
    last: v.union(vEnergyPoint, v.null()),
  }),
  energyPoints: v.array(vEnergyPoint),
  emotionPoints: v.array(vEmotionPoint),
});

/** Where a report's computation stands: the phase being paged and its cursor. */
export const vReportProgress = v.object({
  phase: v.union(
    v.literal("messages"),
    v.literal("conversations"),
    v.literal("growth"),
    v.literal("checkins"),
    v.literal("final"),
  ),
  cursor: v.union(v.string(), v.null()),
  accumulator: vReportAccumulator,
});

const vRankedStar = v.object({ starId: v.string(), label: v.union(v.string(), v.null()), delta: v.number() });
const vValenceStats = v.object({ count: v.number(), meanIntensity: v.union(v.number(), v.null()) });

/** A report's statistics (ReportStats), every one an exact function of stored data. */
export const vReportStats = v.object({
  messages: v.object({ userMessages: v.number(), conversationsCompleted: v.number() }),
  growth: v.object({
    byDimension: vGrowthProfile,
    topStars: v.array(vRankedStar),
    bottomStars: v.array(vRankedStar),
    starsTruncated: v.boolean(),
  }),
  missions: v.object({ completed: v.number(), minutes: v.number(), essence: v.number(), streakAtEnd: v.number() }),
  experiments: v.object({ offered: v.number(), completed: v.number(), skipped: v.number(), expired: v.number() }),
  trajectory: v.object({
    escapeIndex: v.union(v.object({ first: v.number(), last: v.number(), min: v.number(), max: v.number() }), v.null()),
    velocity: v.union(v.number(), v.null()),
    momentum: v.union(v.number(), v.null()),
  }),
  emotions: v.object({ positive: vValenceStats, neutral: vValenceStats, negative: vValenceStats }),
  energy: v.object({
    count: v.number(),
    mean: v.union(v.number(), v.null()),
    first: v.union(v.number(), v.null()),
    last: v.union(v.number(), v.null()),
  }),
  consistency: v.number(),
});

/** What the chart draws (ReportSeries). */
export const vReportSeries = v.object({
  days: v.array(
    v.object({
      localDate: v.string(),
      escapeIndex: v.union(v.number(), v.null()),
      missionsCompleted: v.number(),
      experimentsCompleted: v.number(),
    }),
  ),
  energy: v.array(vEnergyPoint),
  emotions: v.array(vEmotionPoint),
});
