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

/**
 * Where a star stands in the live constellation (docs/architecture.md "The live set"):
 * `live` (any type but dormant), `dormant` (history, shown only on request) or `dismissed`
 * (rejected by the user: dormant for good and never shown). Stored on the star and on both
 * ends of each of its connections, so every read of the current constellation is an index
 * range over live data only.
 */
export const STAR_STATES = ["live", "dormant", "dismissed"] as const;
export type StarState = (typeof STAR_STATES)[number];

/** The one definition of a star's state: dismissed wins, then dormant, else live. */
export function starState(star: { type: StarType; dismissedAt?: number }): StarState {
  if (star.dismissedAt !== undefined) return "dismissed";
  return star.type === "dormant" ? "dormant" : "live";
}

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

/** An assistant message: being written by a streaming attempt, or the final reply. */
export const REPLY_STATUSES = ["streaming", "final"] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];
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

// Reflection (MECHANICS §9): check-ins and the 2-, 7- and 21-day reports.
export const EMOTION_VALENCES = ["positive", "neutral", "negative"] as const;
export type EmotionValence = (typeof EMOTION_VALENCES)[number];

/** `self`: the user logged it; `inferred`: extraction read it in one of their messages. */
export const CHECKIN_SOURCES = ["self", "inferred"] as const;
export type CheckinSource = (typeof CHECKIN_SOURCES)[number];

export const REPORT_TYPES = ["two_day", "seven_day", "twenty_one_day"] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

/** A report's statistics: `computing` while the scheduled steps page the window, then `ready`. */
export const REPORT_STATUSES = ["computing", "ready"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The model's optional narrative: never blocks the numbers (docs/reflection-api.md). */
export const NARRATIVE_STATUSES = ["waiting", "pending", "written", "skipped", "failed"] as const;
export type NarrativeStatus = (typeof NARRATIVE_STATUSES)[number];

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
  // Identity, not display: everything but letters, marks and digits goes, so case, spacing
  // and punctuation (apostrophes, hyphens, quotes) never separate two labels: "Mom's Advice"
  // = "moms advice", "Doom-Scrolling" = "doomscrolling" = "doom scrolling".
  return label
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, "");
}

// Companions and quests (MECHANICS §10)

/** The world a character (and a user's story) belongs to. */
export const SCENARIOS = ["sci-fi", "modern", "fantasy", "medieval"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Relationship depth tiers by level: 0–2, 3–6, 7–10 (src/mechanics/companions.ts). */
export const RELATIONSHIP_TIERS = ["acquaintance", "companion", "confidant"] as const;
export type RelationshipTier = (typeof RELATIONSHIP_TIERS)[number];

export const STORY_EVENT_KINDS = [
  "quest_revealed",
  "quest_completed",
  "chapter_advanced",
  "story_completed",
] as const;
export type StoryEventKind = (typeof STORY_EVENT_KINDS)[number];

// Semantic memory (docs/pipeline.md "Memory")

/**
 * What a memory remembers: a user message (or one chunk of a long one), a star (label and
 * description), a conversation's summary, an experiment's reflection. A dismissed star keeps
 * its memory as `dismissed_star`: never recalled into a prompt, only compared with new stars
 * so the concept is not recreated under another wording.
 */
export const MEMORY_KINDS = ["message", "star", "dismissed_star", "summary", "reflection"] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];
/** The kinds a turn and memory.search may recall. */
export const RECALLED_MEMORY_KINDS = ["message", "star", "summary", "reflection"] as const satisfies readonly MemoryKind[];
/** The kinds a new star is compared with (dedupe by meaning). */
export const STAR_MEMORY_KINDS = ["star", "dismissed_star"] as const satisfies readonly MemoryKind[];
