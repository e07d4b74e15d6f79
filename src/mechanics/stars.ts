// Star physics (MECHANICS §1, docs/mechanics.md "Stars"): creation, layout, reinforcement,
// spillover, classification, stabilization, decay and shadow drain. Pure: no Convex, no
// clock; every function takes `now` and returns a new object.
import type { ConnectionType, Domain, Polarity, StarType } from "../domain";
import { DOMAINS, normalizeLabel } from "../domain";
import { clamp } from "../math";
import { DAY } from "../time";

/** Every number of §1, named once. */
export const STAR_CONSTANTS = {
  MIN_BRIGHTNESS: 0.05,
  MAX_BRIGHTNESS: 1.0,
  BRIGHT_THRESHOLD: 0.7,
  DIM_THRESHOLD: 0.3,
  STABILIZATION_DAYS: 7,
  LEARNING_RATE: 0.25,
  VARIANCE_ALPHA: 0.3,
  INITIAL_VARIANCE: 0.05,
  STABLE_VARIANCE: 0.005,
  FLICKER_VARIANCE: 0.02,
  HALF_LIFE_DAYS: 14,
  STABILIZED_HALF_LIFE_DAYS: 30,
  DORMANT_AFTER_DAYS: 30,
  DORMANT_EPSILON: 0.01,
  DEFAULT_INTENSITY: 0.3,
  /** A label mentioned again reinforces its star with this much signal per unit of intensity. */
  REMENTION_SIGNAL_PER_INTENSITY: 0.5,
  BLOCKED_CEILING: 0.5,
  GROWTH_EDGE_BOOST: 0.2,
  RESONANCE_SPILL: 0.15,
  TENSION_SPILL: 0.08,
  SHADOW_DRAIN_RATE: 0.01,
  /** Layout: a label's angle stays inside the middle 80% of its domain's sector. */
  SECTOR_MARGIN: 0.1,
  /** Layout: radius = 1 − RADIUS_SPAN·brightness, so bright stars sit near the centre. */
  RADIUS_SPAN: 0.9,
  /** The daily job skips a write when brightness moved less than this and nothing else changed. */
  DECAY_WRITE_EPSILON: 1e-6,
} as const;

const C = STAR_CONSTANTS;
const SECTOR = (2 * Math.PI) / DOMAINS.length;

/** The fields the formulas read and write; Convex `stars` documents use the same names. */
export interface StarPhysics {
  domain: Domain;
  normalizedLabel: string;
  polarity: Polarity;
  type: StarType;
  brightness: number;
  variance: number;
  theta: number;
  radius: number;
  createdAt: number;
  lastUpdatedAt: number;
  lastReinforcedAt: number;
  /** `undefined` (not absent) when cleared, so a `db.patch` with the result removes it. */
  stabilizedAt?: number;
}

export interface NewStar extends StarPhysics {
  label: string;
  extractedDay: number;
}

/** A changed star and the brightness change actually applied (Δ* = b' − b). */
export interface Applied<T extends StarPhysics> {
  next: T;
  appliedDelta: number;
}

/** A growth_edge pointing into the star being reinforced. */
export interface IncomingGrowthEdge {
  sourceBrightness: number;
  strength: number;
}

// ---------------------------------------------------------------------------------------
// Layout

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const UINT32 = 2 ** 32;
const utf8 = new TextEncoder();

/**
 * Stable hash of a normalized label in [0, 1): FNV-1a 32-bit over its UTF-8 bytes, divided
 * by 2^32. Integer-only arithmetic, so every machine and language gets the same angle.
 */
export function labelHash(normalizedLabel: string): number {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(normalizedLabel)) {
    hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  }
  return hash / UINT32;
}

/** Radius on the chart: bright stars near the centre (0.1 at MAX), faint ones near the rim. */
export function radiusFor(brightness: number): number {
  return 1 - C.RADIUS_SPAN * brightness;
}

/** Angle inside the domain's sector [k·2π/5, (k+1)·2π/5), set by the label alone. */
export function thetaFor(domain: Domain, normalizedLabel: string): number {
  const sectorStart = DOMAINS.indexOf(domain) * SECTOR;
  const u = labelHash(normalizedLabel);
  return sectorStart + (C.SECTOR_MARGIN + (1 - 2 * C.SECTOR_MARGIN) * u) * SECTOR;
}

export function layout(
  domain: Domain,
  normalizedLabel: string,
  brightness: number,
): { theta: number; radius: number } {
  return { theta: thetaFor(domain, normalizedLabel), radius: radiusFor(brightness) };
}

// ---------------------------------------------------------------------------------------
// Classification and stabilization

type Classified = Pick<
  StarPhysics,
  "brightness" | "variance" | "polarity" | "createdAt" | "lastReinforcedAt"
>;

/** §1 classification, first match wins. */
export function classify(star: Classified, now: number): StarType {
  const b = star.brightness;
  if (
    now - star.lastReinforcedAt >= C.DORMANT_AFTER_DAYS * DAY &&
    b <= C.MIN_BRIGHTNESS + C.DORMANT_EPSILON
  ) {
    return "dormant";
  }
  if (star.polarity === "shadow") return "dark";
  if (isNascent(star, now)) return "nascent";
  if (b < C.DIM_THRESHOLD) return "dim";
  if (b >= C.BRIGHT_THRESHOLD && star.variance <= C.FLICKER_VARIANCE) return "bright";
  return "flickering";
}

/**
 * Age-based: a star is nascent during its first STABILIZATION_DAYS whatever its displayed
 * type, so a young shadow star (type `dark`) cannot stabilize either.
 */
export function isNascent(star: Pick<StarPhysics, "createdAt">, now: number): boolean {
  return now - star.createdAt < C.STABILIZATION_DAYS * DAY;
}

/**
 * When a star that is not yet stabilized became so between its last update and `now`
 * without any change of variance: its variance was already ≤ STABLE_VARIANCE and it left
 * the nascent window at createdAt + STABILIZATION_DAYS. Lets decay switch half-life at
 * the exact instant, so split runs compose.
 */
export function stabilizationReached(
  star: Pick<StarPhysics, "variance" | "createdAt" | "lastUpdatedAt" | "stabilizedAt">,
  now: number,
): number | undefined {
  if (star.stabilizedAt !== undefined || star.variance > C.STABLE_VARIANCE) return undefined;
  const at = Math.max(star.lastUpdatedAt, star.createdAt + C.STABILIZATION_DAYS * DAY);
  return at <= now ? at : undefined;
}

/**
 * stabilizedAt after a variance change at `now`: cleared above FLICKER_VARIANCE, kept once
 * set, set to `now` the first time a non-nascent star has variance ≤ STABLE_VARIANCE.
 */
export function nextStabilizedAt(
  star: Pick<StarPhysics, "variance" | "createdAt" | "stabilizedAt">,
  now: number,
): number | undefined {
  if (star.variance > C.FLICKER_VARIANCE) return undefined;
  if (star.stabilizedAt !== undefined) return star.stabilizedAt;
  if (!isNascent(star, now) && star.variance <= C.STABLE_VARIANCE) return now;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Creation

export function createStar(input: {
  label: string;
  domain: Domain;
  polarity?: Polarity;
  intensity?: number;
  mirrorDay: number;
  now: number;
}): NewStar {
  const { label, domain, polarity = "light", mirrorDay, now } = input;
  // NaN from a malformed extraction falls back to the default rather than poisoning state.
  const intensity = Number.isNaN(input.intensity) ? undefined : input.intensity;
  const brightness = clamp(intensity ?? C.DEFAULT_INTENSITY, C.MIN_BRIGHTNESS, C.MAX_BRIGHTNESS);
  const normalizedLabel = normalizeLabel(label);
  const physics = {
    label,
    normalizedLabel,
    domain,
    polarity,
    brightness,
    variance: C.INITIAL_VARIANCE,
    ...layout(domain, normalizedLabel, brightness),
    extractedDay: mirrorDay,
    createdAt: now,
    lastUpdatedAt: now,
    lastReinforcedAt: now,
    stabilizedAt: undefined,
  };
  return { ...physics, type: classify(physics, now) };
}

// ---------------------------------------------------------------------------------------
// Reinforcement and spillover

/**
 * Brightness ceiling from the *blocks* edges pointing into a star: BLOCKED_CEILING while
 * any non-dormant blocker is at least DIM_THRESHOLD bright, else MAX_BRIGHTNESS.
 */
export function ceilingFor(blockers: readonly Pick<StarPhysics, "brightness" | "type">[]): number {
  const blocked = blockers.some((s) => s.type !== "dormant" && s.brightness >= C.DIM_THRESHOLD);
  return blocked ? C.BLOCKED_CEILING : C.MAX_BRIGHTNESS;
}

/** 1 + GROWTH_EDGE_BOOST·strength of the strongest growth_edge from a bright star; s > 0 only. */
export function growthEdgeMultiplier(
  incoming: readonly IncomingGrowthEdge[],
  signal: number,
): number {
  if (!(signal > 0)) return 1;
  const strengths = incoming
    .filter((edge) => edge.sourceBrightness >= C.BRIGHT_THRESHOLD)
    .map((edge) => edge.strength);
  return strengths.length === 0 ? 1 : 1 + C.GROWTH_EDGE_BOOST * Math.max(...strengths);
}

/** The signal is a confidence in [−1, 1]; anything else is clamped, NaN means no evidence. */
export function clampSignal(signal: number): number {
  return Number.isNaN(signal) ? 0 : clamp(signal, -1, 1);
}

/** Δ before boost and ceiling: a step toward MAX when affirmed, toward MIN when contradicted. */
export function reinforcementDelta(brightness: number, signal: number): number {
  return signal >= 0
    ? C.LEARNING_RATE * signal * (C.MAX_BRIGHTNESS - brightness)
    : C.LEARNING_RATE * signal * (brightness - C.MIN_BRIGHTNESS);
}

/**
 * One brightness change (reinforcement or spill): clamp into [MIN, ceiling] (so a star above
 * an active ceiling is pulled down to it), update variance with the change actually applied,
 * then relayout, reclassify and restabilize. Only reinforcement moves lastReinforcedAt.
 */
export function applyDelta<T extends StarPhysics>(
  star: T,
  delta: number,
  ceiling: number,
  now: number,
  options: { reinforced: boolean },
): Applied<T> {
  const brightness = clamp(star.brightness + delta, C.MIN_BRIGHTNESS, ceiling);
  const appliedDelta = brightness - star.brightness;
  const alpha = C.VARIANCE_ALPHA;
  const variance = (1 - alpha) * (star.variance + alpha * appliedDelta ** 2);
  const moved = {
    ...star,
    brightness,
    variance,
    radius: radiusFor(brightness),
    lastUpdatedAt: now,
    lastReinforcedAt: options.reinforced ? now : star.lastReinforcedAt,
    // A stabilization reached quietly since the last update still counts as already set.
    stabilizedAt: star.stabilizedAt ?? stabilizationReached(star, now),
  };
  const stabilized = { ...moved, stabilizedAt: nextStabilizedAt(moved, now) };
  return { next: { ...stabilized, type: classify(stabilized, now) }, appliedDelta };
}

/**
 * Reinforce with evidence of strength `signal`. The caller supplies the star's ceiling
 * (ceilingFor) and growth_edge multiplier, then spills `appliedDelta` one hop (spill).
 * Reinforcing a dormant star wakes it: lastReinforcedAt = now fails the dormancy test.
 */
export function reinforce<T extends StarPhysics>(
  star: T,
  signal: number,
  context: { ceiling: number; growthEdgeMultiplier: number },
  now: number,
): Applied<T> {
  const s = clampSignal(signal);
  const boost = s > 0 ? context.growthEdgeMultiplier : 1;
  const delta = reinforcementDelta(star.brightness, s) * boost;
  return applyDelta(star, delta, context.ceiling, now, { reinforced: true });
}

/**
 * Δn a neighbour receives over a connection when the reinforced star moved by
 * `appliedDelta` (Δ*, after its clamp and ceiling). Resonance carries the change along,
 * tension pushes back only against a rise; other types never spill.
 */
export function spilloverDelta(
  type: ConnectionType,
  strength: number,
  appliedDelta: number,
): number {
  switch (type) {
    case "resonance":
      return C.RESONANCE_SPILL * strength * appliedDelta;
    case "tension":
      return appliedDelta > 0 ? -C.TENSION_SPILL * strength * appliedDelta : 0;
    case "causation":
    case "growth_edge":
    case "shadow_mirror":
    case "blocks":
      return 0;
  }
}

/**
 * Apply a spill to one neighbour with its own ceiling. One hop only: the result's
 * appliedDelta must NOT be spilled again (no cascades). `null` when Δn is 0: a zero spill
 * leaves the neighbour untouched (no variance shrink, no lastUpdatedAt write).
 */
export function spill<T extends StarPhysics>(
  neighbour: T,
  type: ConnectionType,
  strength: number,
  appliedDelta: number,
  ceiling: number,
  now: number,
): Applied<T> | null {
  const delta = spilloverDelta(type, strength, appliedDelta);
  if (delta === 0) return null;
  return applyDelta(neighbour, delta, ceiling, now, { reinforced: false });
}

// ---------------------------------------------------------------------------------------
// Decay and shadow drain (daily job)

/** Fraction of the excess over MIN left after `days` at half-life `halfLifeDays`. */
function halvings(days: number, halfLifeDays: number): number {
  return 2 ** (-days / halfLifeDays);
}

/**
 * Decay factor over (from, to]: HALF_LIFE_DAYS before stabilization, the stabilized
 * half-life from stabilizedAt on. Piecewise, so a run split at any instant composes.
 */
export function decayFactor(from: number, to: number, stabilizedAt: number | undefined): number {
  const switchAt = stabilizedAt === undefined ? to : clamp(stabilizedAt, from, to);
  return (
    halvings((switchAt - from) / DAY, C.HALF_LIFE_DAYS) *
    halvings((to - switchAt) / DAY, C.STABILIZED_HALF_LIFE_DAYS)
  );
}

/**
 * Exponential decay toward MIN since lastUpdatedAt. Dormant stars are skipped (only their
 * type is brought up to date). Composes: decay(decay(s, t1), t2) = decay(s, t2) while the
 * star does not turn dormant in between; variance is untouched (decay is not evidence).
 */
export function decay<T extends StarPhysics>(star: T, now: number): T {
  if (classify(star, now) === "dormant") {
    return star.type === "dormant" ? star : { ...star, type: "dormant" };
  }
  if (now <= star.lastUpdatedAt) return star; // a clock behind the last write never brightens
  const stabilizedAt = star.stabilizedAt ?? stabilizationReached(star, now);
  const factor = decayFactor(star.lastUpdatedAt, now, stabilizedAt);
  const brightness = C.MIN_BRIGHTNESS + (star.brightness - C.MIN_BRIGHTNESS) * factor;
  const decayed = { ...star, brightness, radius: radiusFor(brightness), lastUpdatedAt: now, stabilizedAt };
  return { ...decayed, type: classify(decayed, now) };
}

/** False when a decay result is not worth a write: brightness barely moved, nothing else did. */
export function decayWriteNeeded(before: StarPhysics, after: StarPhysics): boolean {
  return (
    Math.abs(after.brightness - before.brightness) >= C.DECAY_WRITE_EPSILON ||
    after.type !== before.type ||
    after.stabilizedAt !== before.stabilizedAt
  );
}

/** Days of drain owed by a shadow_mirror since its lastDrainAt (never negative). */
export function drainDays(lastDrainAt: number, now: number): number {
  return Math.max(0, (now - lastDrainAt) / DAY);
}

/** Brightness after a dark star drains its mirror for `days`: the excess over MIN shrinks 1%·strength a day. */
export function shadowDrain(brightness: number, strength: number, days: number): number {
  const kept = (1 - C.SHADOW_DRAIN_RATE * strength) ** days;
  return C.MIN_BRIGHTNESS + (brightness - C.MIN_BRIGHTNESS) * kept;
}

/**
 * Drain one star. lastUpdatedAt and variance stay: drain and decay both scale the excess
 * over MIN, so they commute and decay still owes exactly the time since its last run.
 */
export function drainStar<T extends StarPhysics>(star: T, strength: number, days: number, now: number): T {
  const brightness = shadowDrain(star.brightness, strength, days);
  const drained = { ...star, brightness, radius: radiusFor(brightness) };
  return { ...drained, type: classify(drained, now) };
}

/**
 * Signal for a star whose label is extracted again (a re-mention, not a twin): half the
 * extraction's intensity, default intensity 0.3 → 0.15. Shared by the extraction
 * sanitizer and model/stars createStar so both paths agree (docs/mechanics.md).
 */
export function rementionSignal(intensity: number | undefined): number {
  return STAR_CONSTANTS.REMENTION_SIGNAL_PER_INTENSITY * (intensity ?? STAR_CONSTANTS.DEFAULT_INTENSITY);
}
