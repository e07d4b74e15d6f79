// Growth in six dimensions, event-sourced (MECHANICS §4). Every rule lives in one
// versioned config object, GROWTH_RULES, so a rule change is a reviewed diff with a new
// version, never a data migration. The ledger (`growthEvents`) is the truth; aggregates
// are a fold of it (`aggregate`), which is how the rebuild job proves they agree.
import {
  EMPTY_GROWTH_PROFILE,
  GROWTH_DIMENSIONS,
  type ConceptType,
  type Domain,
  type EvolutionState,
  type GrowthDimension,
  type GrowthEntityType,
  type GrowthProfile,
  type GrowthSource,
  type MissionAttribute,
} from "../domain";

// -------------------------------------------------------------------------------- rules

export interface EvolutionThreshold {
  /** Minimum number of active dimensions. */
  minActive: number;
  /** Minimum number of non-dormant connections. */
  minConnections: number;
}

export interface GrowthRules {
  version: string;
  /** A dimension is active for an entity when its score ≥ this. */
  activationThreshold: number;
  /** A dimension is mastered when its score ≥ this. */
  masteryThreshold: number;
  /**
   * Scores are sums of floats (0.1 + 0.2 = 0.30000000000000004), so a threshold counts as
   * reached within this tolerance; otherwise a sum that "is" 0.1 could read as 0.0999….
   */
  scoreEpsilon: number;
  /** Largest |delta| a single ledger event may carry. */
  maxAbsDelta: number;
  /** Checked from the top (supernova) down; `seed` is everything below sprout. */
  evolution: Readonly<Record<Exclude<EvolutionState, "seed">, Readonly<EvolutionThreshold>>>;
  conceptDimensions: Readonly<Record<ConceptType, readonly GrowthDimension[]>>;
  /** Dimensions for a star whose concept type is unknown. */
  unknownConceptDimensions: readonly GrowthDimension[];
  missionDimensions: Readonly<Record<MissionAttribute, GrowthDimension>>;
  deltas: Readonly<{
    starCreated: number;
    starReinforcedPerSignal: number;
    missionPer30Min: number;
    /** Mission credit stops growing after 3 × 30 minutes. */
    missionCapFactor: number;
    missionMinutesUnit: number;
    experimentCompleted: number;
    experimentDimensions: readonly GrowthDimension[];
    reflectionWritten: number;
    reflectionDimension: GrowthDimension;
    milestoneReached: number;
    milestoneDimension: GrowthDimension;
  }>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const GROWTH_RULES: GrowthRules = deepFreeze({
  version: "1.0.0",
  activationThreshold: 0.1,
  masteryThreshold: 1.0,
  scoreEpsilon: 1e-9,
  maxAbsDelta: 1,
  evolution: {
    sprout: { minActive: 1, minConnections: 0 },
    bloom: { minActive: 3, minConnections: 0 },
    constellation: { minActive: 5, minConnections: 3 },
    supernova: { minActive: 6, minConnections: 5 },
  },
  conceptDimensions: {
    emotion: ["self_know"],
    value: ["self_know"],
    belief: ["self_know"],
    habit: ["self_act"],
    skill: ["self_act"],
    goal: ["self_show", "world_act"],
    relationship: ["world_show"],
    insight: ["world_know"],
  },
  unknownConceptDimensions: ["self_know"],
  missionDimensions: {
    Growth: "self_know",
    Health: "self_act",
    Craft: "world_act",
    Connection: "world_show",
  },
  deltas: {
    starCreated: 0.1,
    starReinforcedPerSignal: 0.05,
    missionPer30Min: 0.1,
    missionCapFactor: 3,
    missionMinutesUnit: 30,
    experimentCompleted: 0.1,
    experimentDimensions: ["self_act", "world_act"],
    reflectionWritten: 0.05,
    reflectionDimension: "self_know",
    milestoneReached: 0.2,
    milestoneDimension: "world_show",
  },
} satisfies GrowthRules);

// ---------------------------------------------------------------------------- states

/** Whether a score reaches a threshold (within the float tolerance). */
export function reaches(score: number, threshold: number, rules: GrowthRules = GROWTH_RULES): boolean {
  return score >= threshold - rules.scoreEpsilon;
}

/** The dimensions whose score ≥ activation threshold, in canonical order. Missing = 0. */
export function activeDimensions(
  scores: Partial<Record<GrowthDimension, number>>,
  rules: GrowthRules = GROWTH_RULES,
): GrowthDimension[] {
  return GROWTH_DIMENSIONS.filter((dim) => reaches(scores[dim] ?? 0, rules.activationThreshold, rules));
}

/** seed → sprout (≥1 active) → bloom (≥3) → constellation (≥5, ≥3 conn.) → supernova (6, ≥5 conn.). */
export function evolutionState(
  activeDimensionCount: number,
  nonDormantConnectionCount: number,
  rules: GrowthRules = GROWTH_RULES,
): EvolutionState {
  const order = ["supernova", "constellation", "bloom", "sprout"] as const;
  for (const state of order) {
    const t = rules.evolution[state];
    if (activeDimensionCount >= t.minActive && nonDormantConnectionCount >= t.minConnections) return state;
  }
  return "seed";
}

/** A ledger delta is valid when finite and |delta| ≤ 1. */
export function isValidDelta(delta: number, rules: GrowthRules = GROWTH_RULES): boolean {
  return typeof delta === "number" && Number.isFinite(delta) && Math.abs(delta) <= rules.maxAbsDelta;
}

export interface DimensionView {
  score: number;
  active: boolean;
  /** min(1, score / mastery threshold); negative when the score is negative. */
  mastery: number;
  mastered: boolean;
}

/** What a frontend draws per dimension. */
export function profileView(
  profile: Partial<GrowthProfile>,
  rules: GrowthRules = GROWTH_RULES,
): Record<GrowthDimension, DimensionView> {
  const view = {} as Record<GrowthDimension, DimensionView>;
  for (const dim of GROWTH_DIMENSIONS) {
    const score = profile[dim] ?? 0;
    view[dim] = {
      score,
      active: reaches(score, rules.activationThreshold, rules),
      mastery: Math.min(1, score / rules.masteryThreshold),
      mastered: reaches(score, rules.masteryThreshold, rules),
    };
  }
  return view;
}

// ---------------------------------------------------------------------- event builders

/** One dimension's share of a product event, before it is stamped into the ledger. */
export interface GrowthDelta {
  dimKey: GrowthDimension;
  delta: number;
  source: GrowthSource;
}

function requireFinite(name: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`${name} must be a finite number, got ${x}`);
}

/** The dimensions of a concept type; unknown (missing or unrecognised) → self_know. */
export function conceptDimensions(
  conceptType: ConceptType | null | undefined,
  rules: GrowthRules = GROWTH_RULES,
): readonly GrowthDimension[] {
  if (conceptType && Object.hasOwn(rules.conceptDimensions, conceptType)) return rules.conceptDimensions[conceptType];
  return rules.unknownConceptDimensions;
}

function spread(dims: readonly GrowthDimension[], delta: number, source: GrowthSource): GrowthDelta[] {
  // A zero delta changes no score; we do not write noise into an append-only ledger.
  if (delta === 0) return [];
  return dims.map((dimKey) => ({ dimKey, delta, source }));
}

/** New star: +0.1 on each of its concept type's dimensions. */
export function starCreatedDeltas(conceptType?: ConceptType | null, rules: GrowthRules = GROWTH_RULES): GrowthDelta[] {
  return spread(conceptDimensions(conceptType, rules), rules.deltas.starCreated, "star_created");
}

/** Star reinforced with signal s ∈ [−1, 1] (clamped): +0.05·s on its concept dimensions. */
export function starReinforcedDeltas(
  conceptType: ConceptType | null | undefined,
  signal: number,
  rules: GrowthRules = GROWTH_RULES,
): GrowthDelta[] {
  requireFinite("signal", signal);
  const s = Math.min(1, Math.max(-1, signal));
  return spread(conceptDimensions(conceptType, rules), rules.deltas.starReinforcedPerSignal * s, "star_reinforced");
}

/** Mission completed: +0.1·min(3, durationMinutes/30) on its attribute's dimension. */
export function missionCompletedDeltas(
  attribute: MissionAttribute,
  durationMinutes: number,
  rules: GrowthRules = GROWTH_RULES,
): GrowthDelta[] {
  requireFinite("durationMinutes", durationMinutes);
  const d = rules.deltas;
  const units = Math.min(d.missionCapFactor, Math.max(0, durationMinutes) / d.missionMinutesUnit);
  return spread([rules.missionDimensions[attribute]], d.missionPer30Min * units, "mission_completed");
}

/** Experiment completed: +0.1 self_act and +0.1 world_act. */
export function experimentCompletedDeltas(rules: GrowthRules = GROWTH_RULES): GrowthDelta[] {
  return spread(rules.deltas.experimentDimensions, rules.deltas.experimentCompleted, "experiment_completed");
}

/** Reflection written: +0.05 self_know. */
export function reflectionWrittenDeltas(rules: GrowthRules = GROWTH_RULES): GrowthDelta[] {
  return spread([rules.deltas.reflectionDimension], rules.deltas.reflectionWritten, "reflection_written");
}

/** Journey milestone reached: +0.2 world_show. */
export function milestoneReachedDeltas(rules: GrowthRules = GROWTH_RULES): GrowthDelta[] {
  return spread([rules.deltas.milestoneDimension], rules.deltas.milestoneReached, "milestone_reached");
}

// --------------------------------------------------------------------------- aggregation

/** A ledger row as the fold needs it (userId is implied: one user's ledger at a time). */
export interface GrowthEvent {
  entityType: GrowthEntityType;
  entityId: string;
  dimKey: GrowthDimension;
  delta: number;
  source: GrowthSource;
  createdAt: number;
  domain?: Domain;
}

/** The per-(entity, dimension) aggregate stored in `growthProgress`. */
export interface GrowthAggregate {
  entityType: GrowthEntityType;
  entityId: string;
  dimKey: GrowthDimension;
  score: number;
  eventCount: number;
  lastEventAt: number;
  lastSource: GrowthSource;
}

export function aggregateKey(e: Pick<GrowthEvent, "entityType" | "entityId" | "dimKey">): string {
  return JSON.stringify([e.entityType, e.entityId, e.dimKey]);
}

/**
 * One step of the fold: what the live path does on each append, and what the rebuild
 * repeats over the ledger. Same function, same order → bit-identical sums. `lastEventAt`
 * never moves backwards; on a tie the later event (ledger order) supplies `lastSource`.
 */
export function applyGrowthEvent(current: GrowthAggregate | null, event: GrowthEvent): GrowthAggregate {
  if (!current) {
    return {
      entityType: event.entityType,
      entityId: event.entityId,
      dimKey: event.dimKey,
      score: event.delta,
      eventCount: 1,
      lastEventAt: event.createdAt,
      lastSource: event.source,
    };
  }
  const isLatest = event.createdAt >= current.lastEventAt;
  return {
    ...current,
    score: current.score + event.delta,
    eventCount: current.eventCount + 1,
    lastEventAt: isLatest ? event.createdAt : current.lastEventAt,
    lastSource: isLatest ? event.source : current.lastSource,
  };
}

/** The user's profile after one more event: profile[dim] += delta. */
export function applyToProfile(profile: GrowthProfile, event: Pick<GrowthEvent, "dimKey" | "delta">): GrowthProfile {
  return { ...profile, [event.dimKey]: profile[event.dimKey] + event.delta };
}

/**
 * Folds a ledger (in ledger order: createdAt, then insertion) into every aggregate and the
 * profile. Aggregates are listed in order of their first event.
 */
export function aggregate(events: readonly GrowthEvent[]): {
  progress: GrowthAggregate[];
  profile: GrowthProfile;
} {
  const byKey = new Map<string, GrowthAggregate>();
  let profile: GrowthProfile = { ...EMPTY_GROWTH_PROFILE };
  for (const event of events) {
    const key = aggregateKey(event);
    byKey.set(key, applyGrowthEvent(byKey.get(key) ?? null, event));
    profile = applyToProfile(profile, event);
  }
  return { progress: [...byKey.values()], profile };
}
