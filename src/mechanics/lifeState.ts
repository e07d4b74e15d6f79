// LifeState, the trajectory physics (MECHANICS §7): thrust, alignment, gravity, mass, the
// escape index and the 15-number latent vector. Each piece is a small pure function; the
// caller loads the rows and passes `now`.
import { DOMAINS, GROWTH_DIMENSIONS } from "../domain";
import type { Domain, GrowthProfile, JourneyStatus, Polarity, StarType } from "../domain";
import { clamp } from "../math";
import { DAY } from "../time";
import { GROWTH_RULES } from "./growth";

/** Recency half-life of a growth event, in days: w = 2^(−ageDays/3.5). */
export const RECENCY_HALF_LIFE_DAYS = 3.5;
/** Only growth events of the last 7 days count toward thrust and alignment. */
export const EFFORT_WINDOW_DAYS = 7;
/** Alignment when there is effort but no active journey to align with. */
export const NO_JOURNEY_ALIGNMENT = 0.5;
/** Each shadow_mirror adds half the dark star's brightness again to gravity. */
export const SHADOW_MIRROR_FACTOR = 0.5;
/** Gravity per unit strength of an active blocks connection. */
export const BLOCK_FACTOR = 0.5;
/** Gravity per unit of strength·min(bA, bB) of a tension. */
export const TENSION_FACTOR = 0.25;
/** Load scale of mass: M = 1 − exp(−L/5). */
export const MASS_SCALE = 5;
/** Thrust is divided by (MASS_OFFSET + M), so a user with no load is not divided by 0. */
export const MASS_OFFSET = 0.5;
/** Gravity below this is treated as this, so the escape index stays finite. */
export const GRAVITY_FLOOR = 0.05;
/** The escape index is clamped to [0, MAX_ESCAPE_INDEX]. */
export const MAX_ESCAPE_INDEX = 10;
/** 5 domains + 6 growth dimensions + T, A, G, M. */
export const LATENT_SIZE = DOMAINS.length + GROWTH_DIMENSIONS.length + 4;

export type DomainVector = Record<Domain, number>;

/** A row of the growth ledger, as far as the trajectory reads it. */
export interface GrowthEventInput {
  delta: number;
  domain?: Domain;
  createdAt: number;
}

export function zeroDomainVector(): DomainVector {
  return { health: 0, wealth: 0, relationships: 0, purpose: 0, soul: 0 };
}

// ---------------------------------------------------------------------------------------
// Thrust and alignment

/** w = 2^(−ageDays/3.5): an event loses half its weight every 3.5 days. */
export function recencyWeight(ageMs: number): number {
  return Math.pow(2, -ageMs / DAY / RECENCY_HALF_LIFE_DAYS);
}

/**
 * The events that count at `now`: positive deltas with 0 ≤ now − createdAt < 7 days.
 * Events stamped after `now` are not "before now" and are left out.
 */
function effortEvents(events: readonly GrowthEventInput[], now: number): GrowthEventInput[] {
  return events.filter((e) => {
    const age = now - e.createdAt;
    return e.delta > 0 && age >= 0 && age < EFFORT_WINDOW_DAYS * DAY;
  });
}

/** E = Σ w·delta over the effort events, domain or not. */
export function weightedEffort(events: readonly GrowthEventInput[], now: number): number {
  return effortEvents(events, now).reduce((sum, e) => sum + recencyWeight(now - e.createdAt) * e.delta, 0);
}

/** T = 1 − exp(−E), in [0, 1). */
export function thrust(events: readonly GrowthEventInput[], now: number): number {
  return 1 - Math.exp(-weightedEffort(events, now));
}

/**
 * e: Σ w·delta per domain. Events without a domain add thrust but no direction, so they
 * do not count toward alignment.
 */
export function effortByDomain(events: readonly GrowthEventInput[], now: number): DomainVector {
  const effort = zeroDomainVector();
  for (const e of effortEvents(events, now)) {
    if (e.domain !== undefined) effort[e.domain] += recencyWeight(now - e.createdAt) * e.delta;
  }
  return effort;
}

function norm(v: DomainVector): number {
  return Math.sqrt(DOMAINS.reduce((sum, d) => sum + v[d] * v[d], 0));
}

/**
 * A = cos(e, g) clamped to [0, 1]. Rules in order:
 * 1. no effort (e = 0): A = 0 — nothing is moving, so nothing is aligned (takes precedence);
 * 2. no journey, or a journey whose weights are all 0 (no direction): A = 0.5;
 * 3. otherwise the cosine, clamped (negative weights can only lower it to 0).
 */
export function alignment(effort: DomainVector, journeyWeights: DomainVector | null): number {
  const effortNorm = norm(effort);
  if (effortNorm === 0) return 0;
  if (journeyWeights === null) return NO_JOURNEY_ALIGNMENT;
  const goalNorm = norm(journeyWeights);
  if (goalNorm === 0) return NO_JOURNEY_ALIGNMENT;
  const dot = DOMAINS.reduce((sum, d) => sum + effort[d] * journeyWeights[d], 0);
  return clamp(dot / (effortNorm * goalNorm), 0, 1);
}

/**
 * The journey alignment is measured against: the walking journey started most recently
 * (paused, plotted and finished journeys give no direction). `null` when none walks.
 */
export function activeJourneyWeights(
  journeys: readonly { status: JourneyStatus; startedAt?: number; domainWeights: DomainVector }[],
): DomainVector | null {
  let best: { startedAt: number; domainWeights: DomainVector } | null = null;
  for (const j of journeys) {
    if (j.status !== "walking") continue;
    const startedAt = j.startedAt ?? 0;
    if (best === null || startedAt > best.startedAt) best = { startedAt, domainWeights: j.domainWeights };
  }
  return best?.domainWeights ?? null;
}

// ---------------------------------------------------------------------------------------
// Gravity and mass

export interface GravityInputs {
  /** Non-dormant dark stars, each with its count of shadow_mirror connections. */
  darkStars: readonly { brightness: number; shadowMirrorCount: number }[];
  /** Active blocks: the blocker star is not dormant. */
  blocks: readonly { strength: number }[];
  /** Tensions between two non-dormant stars, with both brightnesses. */
  tensions: readonly { strength: number; bA: number; bB: number }[];
}

/** D = Σ b(1 + 0.5·mirrors) + Σ 0.5·strength + Σ 0.25·strength·min(bA, bB). */
export function gravityDrag(inputs: GravityInputs): number {
  const dark = inputs.darkStars.reduce(
    (s, d) => s + d.brightness * (1 + SHADOW_MIRROR_FACTOR * d.shadowMirrorCount),
    0,
  );
  const blocks = inputs.blocks.reduce((s, b) => s + BLOCK_FACTOR * b.strength, 0);
  const tensions = inputs.tensions.reduce((s, t) => s + TENSION_FACTOR * t.strength * Math.min(t.bA, t.bB), 0);
  return dark + blocks + tensions;
}

/** G = 1 − exp(−D), in [0, 1). */
export function gravity(inputs: GravityInputs): number {
  return 1 - Math.exp(-gravityDrag(inputs));
}

/** The star and connection fields gravity reads (structural: Convex documents fit). */
export interface GravityStar {
  id: string;
  type: StarType;
  polarity: Polarity;
  brightness: number;
}
export interface GravityConnection {
  type: string;
  fromStarId: string;
  toStarId: string;
  strength: number;
}

/**
 * Builds the gravity inputs from a user's stars and connections. Dormant stars are out
 * of the constellation: a dormant dark star pulls nothing, a blocks whose blocker is
 * dormant is inactive, and a tension needs both ends non-dormant. A non-dormant dark
 * star counts every shadow_mirror it is an end of (the mirrored star may be dormant: the
 * pattern it mirrors is still there). Connections to stars not in `stars` are ignored.
 */
export function gravityInputsFrom(
  stars: readonly GravityStar[],
  connections: readonly GravityConnection[],
): GravityInputs {
  const known = new Map(stars.map((s) => [s.id, s]));
  const awake = new Map(stars.filter((s) => s.type !== "dormant").map((s) => [s.id, s]));
  const mirrors = new Map<string, number>();
  const blocks: { strength: number }[] = [];
  const tensions: { strength: number; bA: number; bB: number }[] = [];
  for (const c of connections) {
    const from = awake.get(c.fromStarId);
    const to = awake.get(c.toStarId);
    if (c.type === "blocks" && from && known.has(c.toStarId)) blocks.push({ strength: c.strength });
    if (c.type === "tension" && from && to) {
      tensions.push({ strength: c.strength, bA: from.brightness, bB: to.brightness });
    }
    if (c.type === "shadow_mirror" && known.has(c.fromStarId) && known.has(c.toStarId)) {
      for (const id of [c.fromStarId, c.toStarId]) mirrors.set(id, (mirrors.get(id) ?? 0) + 1);
    }
  }
  const darkStars = [...awake.values()]
    .filter((s) => s.polarity === "shadow")
    .map((s) => ({ brightness: s.brightness, shadowMirrorCount: mirrors.get(s.id) ?? 0 }));
  return { darkStars, blocks, tensions };
}

/** L: active missions + pending/accepted experiments + unreached milestones of walking journeys. */
export function load(counts: { activeMissions: number; openExperiments: number; unreachedMilestones: number }): number {
  return counts.activeMissions + counts.openExperiments + counts.unreachedMilestones;
}

/** M = 1 − exp(−L/5), in [0, 1). */
export function mass(loadCount: number): number {
  return 1 - Math.exp(-loadCount / MASS_SCALE);
}

// ---------------------------------------------------------------------------------------
// Escape index and latent vector

/** η = clamp((T/(0.5 + M))·A / max(G, 0.05), 0, 10); η ≥ 1: aligned effort beats the pull. */
export function escapeIndex(T: number, A: number, G: number, M: number): number {
  return clamp(((T / (MASS_OFFSET + M)) * A) / Math.max(G, GRAVITY_FLOOR), 0, MAX_ESCAPE_INDEX);
}

/** Mean brightness of non-dormant light stars per domain; 0 for a domain with none. */
export function meanLightBrightnessByDomain(
  stars: readonly { domain: Domain; polarity: Polarity; type: StarType; brightness: number }[],
): DomainVector {
  const sum = zeroDomainVector();
  const count = zeroDomainVector();
  for (const s of stars) {
    if (s.polarity !== "light" || s.type === "dormant") continue;
    sum[s.domain] += s.brightness;
    count[s.domain] += 1;
  }
  const mean = zeroDomainVector();
  for (const d of DOMAINS) mean[d] = count[d] === 0 ? 0 : sum[d] / count[d];
  return mean;
}

/**
 * z_t: 5 domain brightnesses (DOMAINS order), 6 growth dimensions (GROWTH_DIMENSIONS order)
 * as min(1, score/mastery_threshold) with the growth rules' threshold (1.0) — no lower
 * clamp, so a net-negative dimension stays negative — then T, A, G, M.
 */
export function latentVector(inputs: {
  meanBrightnessByDomain: DomainVector;
  growthProfile: GrowthProfile;
  T: number;
  A: number;
  G: number;
  M: number;
}): number[] {
  return [
    ...DOMAINS.map((d) => inputs.meanBrightnessByDomain[d]),
    ...GROWTH_DIMENSIONS.map((dim) => Math.min(1, inputs.growthProfile[dim] / GROWTH_RULES.masteryThreshold)),
    inputs.T,
    inputs.A,
    inputs.G,
    inputs.M,
  ];
}

export interface LifeStateInputs {
  growthEvents: readonly GrowthEventInput[];
  /** The active journey's domain weights (see `activeJourneyWeights`), or null. */
  journeyWeights: DomainVector | null;
  gravity: GravityInputs;
  /** L (see `load`). */
  load: number;
  meanBrightnessByDomain: DomainVector;
  growthProfile: GrowthProfile;
}

export interface LifeState {
  thrust: number;
  alignment: number;
  gravity: number;
  mass: number;
  escapeIndex: number;
  latent: number[];
}

export function computeLifeState(inputs: LifeStateInputs, now: number): LifeState {
  const T = thrust(inputs.growthEvents, now);
  const A = alignment(effortByDomain(inputs.growthEvents, now), inputs.journeyWeights);
  const G = gravity(inputs.gravity);
  const M = mass(inputs.load);
  return {
    thrust: T,
    alignment: A,
    gravity: G,
    mass: M,
    escapeIndex: escapeIndex(T, A, G, M),
    latent: latentVector({
      meanBrightnessByDomain: inputs.meanBrightnessByDomain,
      growthProfile: inputs.growthProfile,
      T,
      A,
      G,
      M,
    }),
  };
}
