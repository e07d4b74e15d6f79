// The product's vocabulary: every enum is listed once here as a readonly tuple.
// convex/validators.ts turns each into a `v.union` of literals, so the schema, function
// arguments and this pure code share one definition.

export const DOMAINS = ["health", "wealth", "relationships", "purpose", "soul"] as const;
export type Domain = (typeof DOMAINS)[number];

export const POLARITIES = ["light", "shadow"] as const;
export type Polarity = (typeof POLARITIES)[number];

export const STAR_TYPES = ["nascent", "flickering", "dim", "bright", "dark", "dormant"] as const;
export type StarType = (typeof STAR_TYPES)[number];
/** Every type but `dormant`: the constellation a user sees. */
export const ACTIVE_STAR_TYPES = ["nascent", "flickering", "dim", "bright", "dark"] as const;

/** What an extracted star is, conceptually; drives its growth dimensions (MECHANICS §4). */
export const CONCEPT_TYPES = [
  "emotion",
  "value",
  "belief",
  "habit",
  "skill",
  "goal",
  "relationship",
  "insight",
] as const;
export type ConceptType = (typeof CONCEPT_TYPES)[number];

export const CONNECTION_TYPES = [
  "resonance",
  "tension",
  "causation",
  "growth_edge",
  "shadow_mirror",
  "blocks",
] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];
/** Symmetric types store their pair in a canonical order (MECHANICS §2). */
export const SYMMETRIC_CONNECTION_TYPES: readonly ConnectionType[] = ["resonance", "tension"];
/**
 * Types whose pair has no direction, so A–B and B–A are one row: the symmetric types, and
 * shadow_mirror ("a dark star and another": two rows would drain the other end twice).
 */
export const UNORDERED_PAIR_CONNECTION_TYPES: readonly ConnectionType[] = [...SYMMETRIC_CONNECTION_TYPES, "shadow_mirror"];

export const USER_PHASES = ["onboarding", "mirror", "birth_chart", "walk"] as const;
export type UserPhase = (typeof USER_PHASES)[number];

export const TIERS = ["free", "pro"] as const;
export type Tier = (typeof TIERS)[number];

/** What a model call is for: the usage ledger counts tokens per purpose (src/usage.ts). */
export const USAGE_PURPOSES = ["chat", "experiment", "summary", "embedding", "report"] as const;
export type UsagePurpose = (typeof USAGE_PURPOSES)[number];

export const CONVERSATION_PHASES = ["onboarding", "mirror", "discovery", "walk", "reflection"] as const;
export type ConversationPhase = (typeof CONVERSATION_PHASES)[number];

export const CONVERSATION_STATUSES = ["active", "completed", "abandoned", "archived"] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const MESSAGE_ROLES = ["user", "assistant"] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** `queued`: waiting for one of the user's turn slots (convex/model/turns.ts); then pending. */
export const EXTRACTION_STATUSES = ["queued", "pending", "done", "failed", "skipped"] as const;
export type ExtractionStatus = (typeof EXTRACTION_STATUSES)[number];

export const JOURNEY_STATUSES = ["discovery", "plotted", "walking", "paused", "complete"] as const;
export type JourneyStatus = (typeof JOURNEY_STATUSES)[number];

export const TIMEFRAMES = ["1_month", "3_month", "6_month", "1_year", "2_year"] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const EXPERIMENT_STATUSES = ["pending", "accepted", "completed", "skipped", "expired"] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const SKILL_SOURCES = ["interview", "artifact", "echelon", "external", "transfer"] as const;
export type SkillSource = (typeof SKILL_SOURCES)[number];

export const SKILL_CATEGORIES = [
  "programming",
  "creative",
  "engineering",
  "management",
  "health",
  "relationships",
  "finance",
] as const;
export type SkillCategory = (typeof SKILL_CATEGORIES)[number];

export const GROWTH_DIMENSIONS = [
  "self_know",
  "self_act",
  "self_show",
  "world_know",
  "world_act",
  "world_show",
] as const;
export type GrowthDimension = (typeof GROWTH_DIMENSIONS)[number];
export type GrowthProfile = Record<GrowthDimension, number>;

export const GROWTH_ENTITY_TYPES = ["star", "mission", "experiment", "journey", "skill", "user"] as const;
export type GrowthEntityType = (typeof GROWTH_ENTITY_TYPES)[number];

export const GROWTH_SOURCES = [
  "star_created",
  "star_reinforced",
  "mission_completed",
  "experiment_completed",
  "reflection_written",
  "milestone_reached",
  "extraction_signal",
] as const;
export type GrowthSource = (typeof GROWTH_SOURCES)[number];

export const EVOLUTION_STATES = ["seed", "sprout", "bloom", "constellation", "supernova"] as const;
export type EvolutionState = (typeof EVOLUTION_STATES)[number];

export const MISSION_STATUSES = ["pending", "active", "completed", "failed"] as const;
export type MissionStatus = (typeof MISSION_STATUSES)[number];

export const MISSION_ATTRIBUTES = ["Growth", "Health", "Craft", "Connection"] as const;
export type MissionAttribute = (typeof MISSION_ATTRIBUTES)[number];

export const LIFE_STATE_SOURCES = ["daily", "on_demand"] as const;
export type LifeStateSource = (typeof LIFE_STATE_SOURCES)[number];

export const EMPTY_GROWTH_PROFILE: GrowthProfile = {
  self_know: 0,
  self_act: 0,
  self_show: 0,
  world_know: 0,
  world_act: 0,
  world_show: 0,
};

/** Normalizes a label for identity: case, spacing and punctuation do not make a new star. */
export function normalizeLabel(label: string): string {
  return label
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}
