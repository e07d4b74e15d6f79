// Skill levels as Bayesian beliefs on a 0–10 scale (MECHANICS §3). Pure: `now` is always
// an argument. A belief is a normal distribution over the user's true level; each piece of
// evidence is a noisy observation whose noise comes from its confidence, so a confident
// artifact moves the mean far more than a vague interview remark.
import type { Domain, SkillCategory, SkillSource } from "../domain";
import { clamp } from "../math";
import { DAY } from "../time";

// ---------------------------------------------------------------------------- constants

/** Prior mean: with no evidence we assume a mid-scale level. */
export const PRIOR_MEAN = 5;
/** Prior variance (σ0² = 9, σ0 = 3): wide enough to cover most of 0..10. Also the ceiling of inflation. */
export const PRIOR_VARIANCE = 9;
/** Observation variance at full confidence: even perfect evidence keeps some noise. */
export const OBS_BASE_VARIANCE = 0.25;
/** How fast observation variance grows as confidence falls: σobs² = 0.25 + 9·(1 − c)². */
export const OBS_SPREAD = 9;
/** Uncertainty regained per idle day (skills fade from our knowledge, not from the user). */
export const INFLATION_PER_DAY = 0.02;
/** Utilization counts evidence in this many trailing days… */
export const UTILIZATION_WINDOW_DAYS = 30;
/** …and is full (1) at this many pieces of evidence in the window. */
export const UTILIZATION_FULL_AT = 4;
/** A transferred observation is half as trustworthy as the edge weight alone suggests. */
export const TRANSFER_CONFIDENCE_FACTOR = 0.5;
/** The level scale. */
export const LEVEL_MIN = 0;
export const LEVEL_MAX = 10;

/** Sources whose stated confidence is clamped into a range; `transfer` is derived, not clamped. */
export type RangedSkillSource = Exclude<SkillSource, "transfer">;

/** How much each kind of evidence can be trusted, whatever the caller claims. */
export const SOURCE_CONFIDENCE_RANGES: Readonly<Record<RangedSkillSource, readonly [number, number]>> = Object.freeze({
  interview: Object.freeze([0.5, 0.7] as const),
  artifact: Object.freeze([0.7, 0.9] as const),
  echelon: Object.freeze([0.8, 1.0] as const),
  external: Object.freeze([0.4, 0.6] as const),
});

// -------------------------------------------------------------------------------- types

/** The stored belief about one user's level in one skill. */
export interface SkillBelief {
  mean: number;
  variance: number;
  /** 1 − variance/σ0²: 0 at the prior, approaching 1 as evidence piles up. */
  confidence: number;
  lastEvidenceAt: number;
}

/** One observation: a level on 0..10 and how much it can be trusted (0..1). */
export interface SkillObservation {
  level: number;
  confidence: number;
}

/** Evidence as it arrives: the observation plus where it came from (decides clamping). */
export interface SkillEvidence extends SkillObservation {
  source: SkillSource;
}

// ---------------------------------------------------------------------------- formulas

function requireFinite(name: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`${name} must be a finite number, got ${x}`);
}

/**
 * A stated confidence, clamped into its source's range. `transfer` has no range (its
 * confidence is derived from the edge), so it is only kept inside [0, 1].
 */
export function clampConfidence(source: SkillSource, confidence: number): number {
  requireFinite("confidence", confidence);
  if (source === "transfer") return clamp(confidence, 0, 1);
  const [lo, hi] = SOURCE_CONFIDENCE_RANGES[source];
  return clamp(confidence, lo, hi);
}

/** A level kept on the 0..10 scale (evidence outside it is treated as the nearest end). */
export function clampLevel(level: number): number {
  requireFinite("level", level);
  return clamp(level, LEVEL_MIN, LEVEL_MAX);
}

/** σobs² = 0.25 + 9·(1 − c)²: from 0.25 at c = 1 to 9.25 at c = 0. */
export function observationVariance(confidence: number): number {
  const doubt = 1 - confidence;
  return OBS_BASE_VARIANCE + OBS_SPREAD * doubt * doubt;
}

/**
 * σ² = min(σ0², σ² + 0.02·days). Idle time widens the belief, but never past the prior.
 * Negative days (clock skew, out-of-order evidence) count as 0.
 */
export function inflateVariance(variance: number, daysSinceLastEvidence: number): number {
  const days = Math.max(0, daysSinceLastEvidence);
  return Math.min(PRIOR_VARIANCE, variance + INFLATION_PER_DAY * days);
}

/**
 * Precision-weighted posterior of a normal prior and one normal observation:
 * σ'² = 1/(1/σ² + 1/σobs²), μ' = σ'²·(μ/σ² + x/σobs²). The posterior variance is always
 * smaller than both inputs, and the mean lies between μ and x.
 */
export function bayesianUpdate(
  belief: { mean: number; variance: number },
  observation: SkillObservation,
): { mean: number; variance: number } {
  const obsVariance = observationVariance(observation.confidence);
  const variance = 1 / (1 / belief.variance + 1 / obsVariance);
  const mean = variance * (belief.mean / belief.variance + observation.level / obsVariance);
  return { mean, variance };
}

/** confidence = 1 − σ²/σ0², kept in [0, 1]. */
export function beliefConfidence(variance: number): number {
  return clamp(1 - variance / PRIOR_VARIANCE, 0, 1);
}

/** utilization = min(1, n/4) for n pieces of evidence in the last 30 days. */
export function utilization(evidenceInLast30Days: number): number {
  return clamp(evidenceInLast30Days / UTILIZATION_FULL_AT, 0, 1);
}

/** How many evidence timestamps fall in the utilization window `[now − 30 days, now]`. */
export function evidenceInWindow(evidenceTimes: readonly number[], now: number): number {
  const since = now - UTILIZATION_WINDOW_DAYS * DAY;
  return evidenceTimes.filter((t) => t >= since && t <= now).length;
}

/** The belief before any evidence: μ0 = 5, σ0² = 9 (confidence 0). */
export function priorBelief(): { mean: number; variance: number; confidence: number } {
  return { mean: PRIOR_MEAN, variance: PRIOR_VARIANCE, confidence: beliefConfidence(PRIOR_VARIANCE) };
}

/**
 * One hop of transfer along an edge A→B of weight w: evidence (x, c) on A becomes an
 * observation (x·w, c·w·0.5) on B. Not clamped into any source range (spec); the caller
 * records it with source `transfer`.
 */
export function transferObservation(evidence: SkillObservation, weight: number): SkillObservation {
  return { level: evidence.level * weight, confidence: evidence.confidence * weight * TRANSFER_CONFIDENCE_FACTOR };
}

/**
 * The whole update for one piece of evidence: clamp confidence to its source and the level
 * to 0..10, inflate the stored variance for the (fractional) days since the last evidence
 * (the prior is never inflated: it is already at σ0²), then apply the Bayesian update.
 * `lastEvidenceAt` never moves backwards, so late-arriving evidence cannot rewind idle time.
 */
export function updateBelief(
  belief: Pick<SkillBelief, "mean" | "variance" | "lastEvidenceAt"> | null,
  evidence: SkillEvidence,
  now: number,
): SkillBelief {
  const observation: SkillObservation = {
    level: clampLevel(evidence.level),
    confidence: clampConfidence(evidence.source, evidence.confidence),
  };
  const start = belief
    ? { mean: belief.mean, variance: inflateVariance(belief.variance, (now - belief.lastEvidenceAt) / DAY) }
    : priorBelief();
  const posterior = bayesianUpdate(start, observation);
  return {
    mean: posterior.mean,
    variance: posterior.variance,
    confidence: beliefConfidence(posterior.variance),
    lastEvidenceAt: belief ? Math.max(belief.lastEvidenceAt, now) : now,
  };
}

// ------------------------------------------------------------------------------ taxonomy

/** Identity of a skill name: lowercase, trimmed, inner whitespace collapsed to one space. */
export function normalizeSkillName(name: string): string {
  return name.normalize("NFKC").trim().toLowerCase().replace(/\s+/g, " ");
}

export interface SkillSeed {
  name: string;
  category: SkillCategory;
  domain: Domain;
  description: string;
}

export interface SkillEdgeSeed {
  from: string;
  to: string;
  /** Transfer weight in (0, 1]: how much evidence on `from` says about `to`. */
  weight: number;
}

function skill(name: string, category: SkillCategory, domain: Domain, description: string): SkillSeed {
  return Object.freeze({ name, category, domain, description });
}

/** The starter taxonomy seeded by skills.seed (global; never written by the model). */
export const SKILL_SEED: readonly SkillSeed[] = Object.freeze([
  // programming
  skill("Python", "programming", "wealth", "Writing, reading and debugging Python programs."),
  skill("JavaScript", "programming", "wealth", "Building programs and web interfaces in JavaScript."),
  skill("TypeScript", "programming", "wealth", "Typed JavaScript: modelling data and APIs with static types."),
  skill("SQL", "programming", "wealth", "Querying and shaping relational data with SQL."),
  skill("Rust", "programming", "wealth", "Systems programming in Rust with ownership and lifetimes."),
  skill("Go", "programming", "wealth", "Writing concurrent services in Go."),
  skill("Data Analysis", "programming", "wealth", "Cleaning, exploring and explaining data sets."),
  skill("Machine Learning", "programming", "wealth", "Training, evaluating and shipping statistical models."),
  // engineering
  skill("System Design", "engineering", "wealth", "Designing services that scale, fail safely and stay simple."),
  skill("Architecture", "engineering", "wealth", "Structuring software into components with clear boundaries."),
  skill("Cloud Infrastructure", "engineering", "wealth", "Running software on cloud platforms: networks, compute, storage."),
  skill("Security", "engineering", "wealth", "Threat modelling and building systems that resist attack."),
  skill("Debugging", "engineering", "wealth", "Finding the cause of a failure methodically."),
  skill("Technical Writing", "engineering", "wealth", "Explaining technical work clearly in documents."),
  // creative
  skill("Drawing", "creative", "soul", "Sketching and drawing from observation or imagination."),
  skill("Painting", "creative", "soul", "Working with colour and paint on a surface."),
  skill("Animation", "creative", "soul", "Bringing drawings or models to life through motion and timing."),
  skill("Choreography", "creative", "soul", "Composing sequences of movement for dancers."),
  skill("Dance", "creative", "soul", "Moving with rhythm, control and expression."),
  skill("Photography", "creative", "soul", "Composing, lighting and capturing photographs."),
  skill("Music Production", "creative", "soul", "Recording, arranging and mixing music."),
  skill("Guitar", "creative", "soul", "Playing the guitar: chords, technique and songs."),
  skill("Singing", "creative", "soul", "Using the voice with pitch, breath and tone."),
  skill("Creative Writing", "creative", "soul", "Writing fiction, poetry or personal essays."),
  skill("Graphic Design", "creative", "wealth", "Visual communication with type, layout and colour."),
  // management
  skill("Project Management", "management", "wealth", "Planning, tracking and delivering work on time."),
  skill("Product Management", "management", "wealth", "Deciding what to build and why, with users in mind."),
  skill("Team Leadership", "management", "purpose", "Setting direction and growing a team."),
  skill("Delegation", "management", "purpose", "Handing off work with the right context and trust."),
  skill("Strategic Planning", "management", "purpose", "Choosing long-term goals and the path to them."),
  skill("Public Speaking", "management", "purpose", "Presenting ideas to an audience with clarity and presence."),
  // health
  skill("Running", "health", "health", "Endurance running: pacing, form and training plans."),
  skill("Strength Training", "health", "health", "Building strength safely with progressive resistance."),
  skill("Yoga", "health", "health", "Postures, breath and balance practice."),
  skill("Nutrition", "health", "health", "Choosing and planning food that supports the body."),
  skill("Cooking", "health", "health", "Preparing healthy meals from whole ingredients."),
  skill("Sleep Hygiene", "health", "health", "Habits that make sleep regular and restful."),
  skill("Meditation", "health", "soul", "Training attention and awareness through practice."),
  // relationships
  skill("Active Listening", "relationships", "relationships", "Listening to understand, and showing it."),
  skill("Empathy", "relationships", "relationships", "Sensing and honouring what another person feels."),
  skill("Conflict Resolution", "relationships", "relationships", "Working through disagreements to a fair outcome."),
  skill("Negotiation", "relationships", "wealth", "Reaching agreements that serve both sides."),
  skill("Mentoring", "relationships", "purpose", "Guiding someone else's growth with advice and feedback."),
  skill("Parenting", "relationships", "relationships", "Raising children with warmth and structure."),
  skill("Networking", "relationships", "relationships", "Building and keeping professional relationships."),
  // finance
  skill("Budgeting", "finance", "wealth", "Planning and tracking income and spending."),
  skill("Investing", "finance", "wealth", "Allocating savings to assets for long-term growth."),
  skill("Financial Planning", "finance", "wealth", "Setting financial goals and the plan to reach them."),
  skill("Tax Planning", "finance", "wealth", "Understanding and organising taxes lawfully and early."),
  skill("Bookkeeping", "finance", "wealth", "Recording transactions accurately for a household or business."),
]);

function edge(from: string, to: string, weight: number): SkillEdgeSeed {
  return Object.freeze({ from, to, weight });
}

/** Directed transfer edges by skill name; every name exists in SKILL_SEED (tested). */
export const SKILL_EDGE_SEED: readonly SkillEdgeSeed[] = Object.freeze([
  edge("Python", "JavaScript", 0.7),
  edge("Choreography", "Animation", 0.6),
  edge("System Design", "Architecture", 0.8),
  edge("Architecture", "System Design", 0.7),
  edge("JavaScript", "TypeScript", 0.9),
  edge("TypeScript", "JavaScript", 0.8),
  edge("JavaScript", "Python", 0.6),
  edge("Python", "Data Analysis", 0.6),
  edge("SQL", "Data Analysis", 0.5),
  edge("Data Analysis", "Machine Learning", 0.5),
  edge("Go", "Rust", 0.5),
  edge("Dance", "Choreography", 0.7),
  edge("Drawing", "Painting", 0.6),
  edge("Drawing", "Animation", 0.5),
  edge("Guitar", "Music Production", 0.4),
  edge("Project Management", "Product Management", 0.5),
  edge("Team Leadership", "Mentoring", 0.6),
  edge("Active Listening", "Empathy", 0.6),
  edge("Conflict Resolution", "Negotiation", 0.5),
  edge("Budgeting", "Financial Planning", 0.6),
  edge("Investing", "Financial Planning", 0.5),
  edge("Yoga", "Meditation", 0.4),
  edge("Nutrition", "Cooking", 0.4),
  edge("Running", "Strength Training", 0.3),
]);
