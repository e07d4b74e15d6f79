// The model's answer is untrusted input: it may hallucinate ids, be steered by a prompt
// injection in the user's text, or just be sloppy. This turns a parsed answer into only
// what we are willing to write, item by item, and says what it dropped and why. Pure.
//
// Decisions (see LIMITS):
//  - Quotes and the experiment's rationale are TRUNCATED (with "…"), not dropped: they are
//    supporting evidence for display, and the item's meaning is in its other fields.
//  - Labels are DROPPED when empty or longer than 80 characters (a label is an identity;
//    a truncated one would be a new, wrong concept), descriptions when longer than 500.
//    Every length is src/text.ts's (code points; the bounds are its TEXT_BOUNDS).
//  - A new star whose normalized label matches an existing star becomes a reinforcement of
//    that star with signal = 0.5 × intensity: a re-mention is positive evidence but weaker
//    than a reinforcement the model chose explicitly. Connections naming its ref are
//    redirected to the existing star. Two new stars with the same label merge into the
//    first (max intensity); the second's ref then points at the first.
//  - One reinforcement per star, one evidence per skill, one signal per growth dimension
//    and one connection per (type, endpoints) per turn: the first wins. This caps how much
//    a single message (or an injection inside it) can move the constellation.
//  - Labels the user dismissed are not checked here: the model only sees 50 stars, so the
//    one complete check is the apply step's by_user_label lookup (convex/model/extraction.ts).
//  - Bounds apply to what survives the other rules, in the model's order.
//  - At most one emotion per message (MECHANICS §9, source "inferred"): an emotion outside
//    the check-in bounds (label 1–40 characters after collapsing spaces, intensity in
//    [0, 1], a known valence) is dropped, never repaired: it is a claim about the user.
//  - Reasons name the list, index and rule, never the content (they are logged).
import {
  CONCEPT_TYPES,
  CONNECTION_TYPES,
  DOMAINS,
  EMOTION_VALENCES,
  GROWTH_DIMENSIONS,
  POLARITIES,
  UNORDERED_PAIR_CONNECTION_TYPES,
  normalizeLabel,
} from "../domain";
import type { ConceptType, ConnectionType, Domain, EmotionValence, GrowthDimension, Polarity } from "../domain";
import { clamp } from "../math";
import { rementionSignal } from "../mechanics/stars";
import { TEXT_BOUNDS, collapseSpaces, textLength, truncateText } from "../text";
import type { RawExperimentOutput, RawTurnOutput } from "./schemas";

export const LIMITS = {
  newStars: 10,
  reinforcements: 20,
  connections: 20,
  skillEvidence: 10,
  growthSignals: 10,
  /**
   * Largest |delta| one message may add to a growth dimension. The ledger accepts up to 1,
   * but 1 is the mastery threshold: one message (or an injected instruction) must not
   * master a dimension, so larger signals are clamped to ±0.2, not dropped.
   */
  growthSignalMaxDelta: 0.2,
  labelChars: TEXT_BOUNDS.starLabel,
  descriptionChars: TEXT_BOUNDS.starDescription,
  quoteChars: TEXT_BOUNDS.quote,
  replyChars: TEXT_BOUNDS.reply,
  refChars: TEXT_BOUNDS.ref,
  experimentFieldChars: TEXT_BOUNDS.experimentField,
  rationaleChars: TEXT_BOUNDS.rationale,
  experimentStars: 5,
  emotionLabelChars: TEXT_BOUNDS.emotionLabel,
  narrativeChars: TEXT_BOUNDS.reportNarrative,
  /** `dropped.count` stays exact; only the list of reasons is capped. */
  reasons: 50,
} as const;

export type SanitizeContext = {
  knownStarIds: ReadonlySet<string>;
  /** normalizeLabel(label) → id of the user's existing star with that label. */
  existingLabels: ReadonlyMap<string, string>;
  /** normalizeSkillName(name) → skill id. */
  knownSkillNames: ReadonlyMap<string, string>;
};

/** A connection end: an existing star, or a new star of this turn by its ref. */
export type StarEndpoint = { kind: "star"; starId: string } | { kind: "new"; ref: string };

export type CleanNewStar = {
  ref: string;
  label: string;
  normalizedLabel: string;
  description: string;
  domain: Domain;
  polarity: Polarity;
  intensity: number;
  conceptType: ConceptType;
  quote: string;
};
export type CleanReinforcement = { starId: string; signal: number; quote: string };
export type CleanConnection = {
  from: StarEndpoint;
  to: StarEndpoint;
  type: ConnectionType;
  strength: number;
  quote: string;
};
export type CleanSkillEvidence = {
  skillId: string;
  skillName: string;
  domain: Domain;
  level: number;
  confidence: number;
  quote: string;
};
export type CleanGrowthSignal = { dimension: GrowthDimension; delta: number; quote: string };
export type CleanEmotion = { valence: EmotionValence; label: string; intensity: number };
export type DropLog = { count: number; reasons: string[] };

export type SanitizedTurn = {
  reply: string;
  newStars: CleanNewStar[];
  reinforcements: CleanReinforcement[];
  connections: CleanConnection[];
  skillEvidence: CleanSkillEvidence[];
  growthSignals: CleanGrowthSignal[];
  /** The one emotion the message shows, or null. */
  emotion: CleanEmotion | null;
  dropped: DropLog;
};

export type CleanExperiment = { when: string; will: string; at: string; rationale: string; starIds: string[] };
export type SanitizedExperiment =
  | { ok: true; experiment: CleanExperiment; dropped: DropLog }
  | { ok: false; reason: string };

// ---------------------------------------------------------------- turn

export function sanitizeTurn(output: RawTurnOutput, context: SanitizeContext): SanitizedTurn {
  const log: DropLog = { count: 0, reasons: [] };
  const extraction = output.extraction;
  const stars = sanitizeNewStars(list(extraction?.newStars), context, log);
  return {
    reply: truncateText(output.reply.trim(), LIMITS.replyChars),
    newStars: stars.newStars,
    reinforcements: sanitizeReinforcements(list(extraction?.reinforcements), stars.rementions, context, log),
    connections: sanitizeConnections(list(extraction?.connections), stars.refs, context, log),
    skillEvidence: sanitizeSkillEvidence(list(extraction?.skillEvidence), context, log),
    growthSignals: sanitizeGrowthSignals(list(extraction?.growthSignals), log),
    emotion: sanitizeEmotion(extraction?.emotion, log),
    dropped: log,
  };
}

type Remention = { at: string; reinforcement: CleanReinforcement };

function sanitizeNewStars(items: unknown[], context: SanitizeContext, log: DropLog) {
  const newStars: CleanNewStar[] = [];
  const rementions: Remention[] = [];
  const refs = new Map<string, StarEndpoint>();
  const byLabel = new Map<string, CleanNewStar>();
  for (const { at, value: star } of cleanEach(items, "newStars", log, cleanNewStar)) {
    const reject = (reason: string) => drop(log, `${at}: ${reason}`);
    const existingId = context.existingLabels.get(star.normalizedLabel);
    const twin = byLabel.get(star.normalizedLabel);
    if (context.knownStarIds.has(star.ref)) reject("ref collides with a star id");
    else if (refs.has(star.ref)) reject("duplicate ref");
    else if (existingId !== undefined) {
      refs.set(star.ref, { kind: "star", starId: existingId });
      const signal = rementionSignal(star.intensity);
      rementions.push({ at, reinforcement: { starId: existingId, signal, quote: star.quote } });
    } else if (twin !== undefined) {
      twin.intensity = Math.max(twin.intensity, star.intensity);
      refs.set(star.ref, { kind: "new", ref: twin.ref });
      reject("merged into a new star with the same label");
    } else if (newStars.length >= LIMITS.newStars) reject("over the limit");
    else {
      newStars.push(star);
      byLabel.set(star.normalizedLabel, star);
      refs.set(star.ref, { kind: "new", ref: star.ref });
    }
  }
  return { newStars, rementions, refs };
}

function cleanNewStar(item: Item): CleanNewStar {
  const label = cleanLabel(text(item, "label"));
  const normalizedLabel = normalizeLabel(label);
  if (normalizedLabel.length === 0) throw new Reject("label has no letters or digits");
  const description = text(item, "description").trim();
  if (textLength(description) > LIMITS.descriptionChars) throw new Reject("description too long");
  return {
    ref: cleanRef(text(item, "ref")),
    label,
    normalizedLabel,
    description,
    domain: oneOf(item, "domain", DOMAINS),
    polarity: oneOf(item, "polarity", POLARITIES),
    intensity: num(item, "intensity", 0, 1),
    conceptType: oneOf(item, "conceptType", CONCEPT_TYPES),
    quote: quote(item),
  };
}

function sanitizeReinforcements(
  items: unknown[],
  rementions: Remention[],
  context: SanitizeContext,
  log: DropLog,
): CleanReinforcement[] {
  const kept: CleanReinforcement[] = [];
  const seen = new Set<string>();
  const keep = (at: string, reinforcement: CleanReinforcement) => {
    const reject = (reason: string) => drop(log, `${at}: ${reason}`);
    if (!context.knownStarIds.has(reinforcement.starId)) reject("unknown star id");
    else if (seen.has(reinforcement.starId)) reject("star already reinforced this turn");
    else if (kept.length >= LIMITS.reinforcements) reject("over the limit");
    else {
      seen.add(reinforcement.starId);
      kept.push(reinforcement);
    }
  };
  for (const { at, value } of cleanEach(items, "reinforcements", log, cleanReinforcement)) keep(at, value);
  // Re-mentions are only as good as the caller's label map: they pass the same id check.
  for (const { at, reinforcement } of rementions) keep(`${at} (re-mention)`, reinforcement);
  return kept;
}

function cleanReinforcement(item: Item): CleanReinforcement {
  return { starId: text(item, "starId"), signal: num(item, "signal", -1, 1), quote: quote(item) };
}

function sanitizeConnections(
  items: unknown[],
  refs: ReadonlyMap<string, StarEndpoint>,
  context: SanitizeContext,
  log: DropLog,
): CleanConnection[] {
  const resolve = (id: string): StarEndpoint | undefined =>
    context.knownStarIds.has(id) ? { kind: "star", starId: id } : refs.get(id);
  const kept: CleanConnection[] = [];
  const seen = new Set<string>();
  for (const { at, value } of cleanEach(items, "connections", log, cleanConnection)) {
    const reject = (reason: string) => drop(log, `${at}: ${reason}`);
    const from = resolve(value.from);
    const to = resolve(value.to);
    if (!from || !to) {
      reject("unknown star id or ref");
      continue;
    }
    const key = connectionKey(value.type, from, to);
    if (endpointKey(from) === endpointKey(to)) reject("self-connection");
    else if (seen.has(key)) reject("duplicate connection");
    else if (kept.length >= LIMITS.connections) reject("over the limit");
    else {
      seen.add(key);
      kept.push({ ...value, from, to });
    }
  }
  return kept;
}

type RawConnection = { from: string; to: string; type: ConnectionType; strength: number; quote: string };

function cleanConnection(item: Item): RawConnection {
  return {
    from: text(item, "from"),
    to: text(item, "to"),
    type: oneOf(item, "type", CONNECTION_TYPES),
    strength: num(item, "strength", 0, 1),
    quote: quote(item),
  };
}

function endpointKey(endpoint: StarEndpoint): string {
  return endpoint.kind === "star" ? `star:${endpoint.starId}` : `new:${endpoint.ref}`;
}

/** Unordered types (resonance, tension, shadow_mirror) are the same edge in either direction. */
function connectionKey(type: ConnectionType, from: StarEndpoint, to: StarEndpoint): string {
  const ends = [endpointKey(from), endpointKey(to)];
  if (UNORDERED_PAIR_CONNECTION_TYPES.includes(type)) ends.sort();
  return JSON.stringify([type, ...ends]);
}

function sanitizeSkillEvidence(items: unknown[], context: SanitizeContext, log: DropLog): CleanSkillEvidence[] {
  const kept: CleanSkillEvidence[] = [];
  const seen = new Set<string>();
  for (const { at, value } of cleanEach(items, "skillEvidence", log, cleanSkillEvidence)) {
    const reject = (reason: string) => drop(log, `${at}: ${reason}`);
    const skillId = context.knownSkillNames.get(normalizeSkillName(value.skillName));
    if (skillId === undefined) reject("unknown skill");
    else if (seen.has(skillId)) reject("skill already evidenced this turn");
    else if (kept.length >= LIMITS.skillEvidence) reject("over the limit");
    else {
      seen.add(skillId);
      kept.push({ skillId, ...value });
    }
  }
  return kept;
}

function cleanSkillEvidence(item: Item): Omit<CleanSkillEvidence, "skillId"> {
  return {
    skillName: text(item, "skillName").trim(),
    domain: oneOf(item, "domain", DOMAINS),
    level: num(item, "level", 0, 10),
    confidence: num(item, "confidence", 0, 1),
    quote: quote(item),
  };
}

function sanitizeGrowthSignals(items: unknown[], log: DropLog): CleanGrowthSignal[] {
  const kept: CleanGrowthSignal[] = [];
  const seen = new Set<GrowthDimension>();
  for (const { at, value } of cleanEach(items, "growthSignals", log, cleanGrowthSignal)) {
    const reject = (reason: string) => drop(log, `${at}: ${reason}`);
    if (seen.has(value.dimension)) reject("dimension already signalled this turn");
    else if (kept.length >= LIMITS.growthSignals) reject("over the limit");
    else {
      seen.add(value.dimension);
      kept.push(value);
    }
  }
  return kept;
}

function cleanGrowthSignal(item: Item): CleanGrowthSignal {
  return {
    dimension: oneOf(item, "dimension", GROWTH_DIMENSIONS),
    delta: clamp(num(item, "delta", -1, 1), -LIMITS.growthSignalMaxDelta, LIMITS.growthSignalMaxDelta),
    quote: quote(item),
  };
}

/** null and a missing field mean "no emotion"; anything else must be a valid check-in. */
function sanitizeEmotion(value: unknown, log: DropLog): CleanEmotion | null {
  if (value === undefined || value === null) return null;
  const [kept] = cleanEach([value], "emotion", log, cleanEmotion);
  return kept?.value ?? null;
}

function cleanEmotion(item: Item): CleanEmotion {
  const label = collapseSpaces(text(item, "label"));
  if (label.length === 0) throw new Reject("label is empty");
  if (textLength(label) > LIMITS.emotionLabelChars) throw new Reject("label too long");
  return { valence: oneOf(item, "valence", EMOTION_VALENCES), label, intensity: num(item, "intensity", 0, 1) };
}

/** Skill names match ignoring case, Unicode width forms and runs of whitespace. */
export function normalizeSkillName(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

// ---------------------------------------------------------------- experiment

export function sanitizeExperiment(output: RawExperimentOutput, knownStarIds: ReadonlySet<string>): SanitizedExperiment {
  const fields: Record<"when" | "will" | "at", string> = { when: "", will: "", at: "" };
  for (const key of ["when", "will", "at"] as const) {
    const value = collapseSpaces(typeof output[key] === "string" ? output[key] : "");
    if (value.length === 0) return { ok: false, reason: `${key} is empty` };
    if (textLength(value) > LIMITS.experimentFieldChars) return { ok: false, reason: `${key} too long` };
    fields[key] = value;
  }
  const log: DropLog = { count: 0, reasons: [] };
  const rationale = typeof output.rationale === "string" ? output.rationale.trim() : "";
  return {
    ok: true,
    experiment: {
      ...fields,
      rationale: truncateText(rationale, LIMITS.rationaleChars),
      starIds: experimentStars(list(output.starIds), knownStarIds, log),
    },
    dropped: log,
  };
}

function experimentStars(items: unknown[], knownStarIds: ReadonlySet<string>, log: DropLog): string[] {
  const kept: string[] = [];
  items.forEach((id, index) => {
    const reject = (reason: string) => drop(log, `starIds[${index}]: ${reason}`);
    if (typeof id !== "string" || !knownStarIds.has(id)) reject("unknown star id");
    else if (kept.includes(id)) reject("duplicate star id");
    else if (kept.length >= LIMITS.experimentStars) reject("over the limit");
    else kept.push(id);
  });
  return kept;
}

// ---------------------------------------------------------------- report narrative

/** A narrative as stored: trimmed, at most LIMITS.narrativeChars; null when empty. */
export function sanitizeNarrative(narrative: string): string | null {
  const trimmed = narrative.trim();
  return trimmed.length === 0 ? null : truncateText(trimmed, LIMITS.narrativeChars);
}

// ---------------------------------------------------------------- field readers

type Item = Record<string, unknown>;

/** Thrown by the field readers; caught per item, so one bad field drops one item. */
class Reject extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function drop(log: DropLog, reason: string): void {
  log.count += 1;
  if (log.reasons.length < LIMITS.reasons) log.reasons.push(reason);
}

function cleanEach<T>(items: unknown[], name: string, log: DropLog, clean: (item: Item) => T) {
  const cleaned: { at: string; value: T }[] = [];
  items.forEach((item, index) => {
    const at = `${name}[${index}]`;
    try {
      if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Reject("not an object");
      cleaned.push({ at, value: clean(item as Item) }); // an object that is not an array: a record
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      drop(log, `${at}: ${error.reason}`);
    }
  });
  return cleaned;
}

function text(item: Item, key: string): string {
  const value = item[key];
  if (typeof value !== "string") throw new Reject(`${key} is not a string`);
  return value;
}

function num(item: Item, key: string, min: number, max: number): number {
  const value = item[key];
  if (typeof value !== "number") throw new Reject(`${key} is not a number`);
  if (!Number.isFinite(value)) throw new Reject(`${key} is not finite`);
  if (value < min || value > max) throw new Reject(`${key} out of range [${min}, ${max}]`);
  return value;
}

function oneOf<T extends string>(item: Item, key: string, values: readonly T[]): T {
  const value = item[key];
  if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
    throw new Reject(`unknown ${key}`);
  }
  return value as T; // includes() just checked membership
}

function quote(item: Item): string {
  return truncateText(text(item, "quote").trim(), LIMITS.quoteChars);
}

function cleanRef(ref: string): string {
  const trimmed = ref.trim();
  if (trimmed.length === 0) throw new Reject("ref is empty");
  if (textLength(trimmed) > LIMITS.refChars) throw new Reject("ref too long");
  return trimmed;
}

/** Labels are shown as names: no control characters, single spaces, 1..80 characters. */
function cleanLabel(raw: string): string {
  const label = collapseSpaces(raw);
  if (label.length === 0) throw new Reject("label is empty");
  if (textLength(label) > LIMITS.labelChars) throw new Reject("label too long");
  return label;
}
