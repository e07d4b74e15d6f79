// Check-ins, consistency and the 2-, 7- and 21-day reports (MECHANICS §9). Pure: local
// dates are `YYYY-MM-DD` labels computed by the caller (src/time.ts); the report statistics
// are folds over plain rows, so a report computed across several transactions (one page of
// a range each) gives exactly what one pass over the whole window would.
import {
  EMOTION_VALENCES,
  GROWTH_DIMENSIONS,
  EMPTY_GROWTH_PROFILE,
  type EmotionValence,
  type ExperimentStatus,
  type GrowthDimension,
  type GrowthProfile,
  type ReportType,
} from "../domain";
import { clamp } from "../math";
import { TEXT_BOUNDS, collapseSpaces, textLength } from "../text";
import { addDays, daysBetween, type LocalDate } from "../time";
import { currentStreak } from "./progress";

// ---------------------------------------------------------------------------------------
// Check-ins

export const CHECKIN_LIMITS = {
  labelChars: TEXT_BOUNDS.emotionLabel,
  noteChars: TEXT_BOUNDS.energyNote,
  energyMin: 1,
  energyMax: 10,
} as const;

export type EmotionInput = { valence: EmotionValence; label: string; intensity: number };
export type EnergyInput = { level: number; note?: string };

/** A label as stored: control characters and runs of whitespace become one space, trimmed. */
export function cleanEmotionLabel(label: string): string {
  return collapseSpaces(label);
}

/** What is wrong with an emotion check-in (naming the field), or null when it is valid. */
export function emotionProblem(input: EmotionInput): string | null {
  if (!(EMOTION_VALENCES as readonly string[]).includes(input.valence)) return "valence must be positive, neutral or negative";
  const length = textLength(cleanEmotionLabel(input.label));
  if (length < 1 || length > CHECKIN_LIMITS.labelChars) return `label must be 1..${CHECKIN_LIMITS.labelChars} characters`;
  if (!Number.isFinite(input.intensity) || input.intensity < 0 || input.intensity > 1) return "intensity must be a number from 0 to 1";
  return null;
}

/** What is wrong with an energy reading (naming the field), or null when it is valid. */
export function energyProblem(input: EnergyInput): string | null {
  const { energyMin, energyMax, noteChars } = CHECKIN_LIMITS;
  if (!Number.isInteger(input.level) || input.level < energyMin || input.level > energyMax) {
    return `level must be a whole number from ${energyMin} to ${energyMax}`;
  }
  if (input.note !== undefined && textLength(input.note.trim()) > noteChars) return `note must be at most ${noteChars} characters`;
  return null;
}

// ---------------------------------------------------------------------------------------
// Consistency

export const CONSISTENCY_WINDOW_DAYS = 7;

/** One decimal, half away from zero for the positive values used here. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The dates consistency(D) looks at: D−6 … D, cut to the dates the account existed (from
 * its first local date), and at least D itself.
 */
export function consistencyWindow(date: LocalDate, accountFirstDate: LocalDate): LocalDate[] {
  const span = clamp(daysBetween(accountFirstDate, date) + 1, 1, CONSISTENCY_WINDOW_DAYS);
  return Array.from({ length: span }, (_, i) => addDays(date, i - span + 1));
}

export type Consistency = { value: number; kept: number; dates: number };

/** consistency(D) = round1(100 · kept / datesInWindow); a date is kept with ≥ 1 completion. */
export function consistency(date: LocalDate, accountFirstDate: LocalDate, keptDates: ReadonlySet<LocalDate>): Consistency {
  const dates = consistencyWindow(date, accountFirstDate);
  const kept = dates.filter((d) => keptDates.has(d)).length;
  return { value: round1((100 * kept) / dates.length), kept, dates: dates.length };
}

// ---------------------------------------------------------------------------------------
// Which reports, over which dates

export const REPORT_WINDOW_DAYS: Readonly<Record<ReportType, number>> = {
  two_day: 2,
  seven_day: 7,
  twenty_one_day: 21,
};

/** n(D): local dates from the account's first local date (day 1) to D. */
export function dayNumber(accountFirstDate: LocalDate, date: LocalDate): number {
  return daysBetween(accountFirstDate, date) + 1;
}

/** The report types whose window closes with D: n(D) a multiple of the window's length. */
export function dueReportTypes(accountFirstDate: LocalDate, date: LocalDate): ReportType[] {
  const n = dayNumber(accountFirstDate, date);
  if (n < 1) return [];
  return (Object.keys(REPORT_WINDOW_DAYS) as ReportType[]).filter((type) => n % REPORT_WINDOW_DAYS[type] === 0);
}

/** The local dates of a report of `type` ending on `endDate`, first and last (inclusive). */
export function reportWindow(type: ReportType, endDate: LocalDate): { firstDate: LocalDate; lastDate: LocalDate } {
  return { firstDate: addDays(endDate, 1 - REPORT_WINDOW_DAYS[type]), lastDate: endDate };
}

/** Every local date of a window, oldest first. */
export function windowDates(firstDate: LocalDate, lastDate: LocalDate): LocalDate[] {
  return Array.from({ length: daysBetween(firstDate, lastDate) + 1 }, (_, i) => addDays(firstDate, i));
}

// ---------------------------------------------------------------------------------------
// The paged part of a report: folds over ranges that can be long for a heavy user

/** Points of each kind the chart keeps (the first ones of the window, in time order). */
export const SERIES_POINT_CAP = 500;
/** Distinct stars whose window growth is tracked (Convex arrays hold at most 8,192 values). */
export const STAR_GROWTH_CAP = 4_000;
/** Stars listed at each end of the growth ranking. */
export const STAR_RANKING_SIZE = 5;

export type ValenceTally = { count: number; intensitySum: number };
export type EnergyPoint = { at: number; level: number };
export type EmotionPoint = { at: number; valence: EmotionValence; intensity: number };

export type ReportAccumulator = {
  userMessages: number;
  conversationsCompleted: number;
  growthByDimension: GrowthProfile;
  /** Σ delta per star, in the order each star first appears in the window. */
  starGrowth: { starId: string; delta: number }[];
  /** True once more than STAR_GROWTH_CAP distinct stars appeared (later ones are not ranked). */
  starGrowthTruncated: boolean;
  emotions: Record<EmotionValence, ValenceTally>;
  energy: { count: number; sum: number; first: EnergyPoint | null; last: EnergyPoint | null };
  energyPoints: EnergyPoint[];
  emotionPoints: EmotionPoint[];
};

export function emptyAccumulator(): ReportAccumulator {
  return {
    userMessages: 0,
    conversationsCompleted: 0,
    growthByDimension: { ...EMPTY_GROWTH_PROFILE },
    starGrowth: [],
    starGrowthTruncated: false,
    emotions: { positive: { count: 0, intensitySum: 0 }, neutral: { count: 0, intensitySum: 0 }, negative: { count: 0, intensitySum: 0 } },
    energy: { count: 0, sum: 0, first: null, last: null },
    energyPoints: [],
    emotionPoints: [],
  };
}

/** Messages of the window (both roles arrive; only the user's count). */
export function foldMessages(acc: ReportAccumulator, messages: readonly { role: string }[]): ReportAccumulator {
  return { ...acc, userMessages: acc.userMessages + messages.filter((m) => m.role === "user").length };
}

export function foldConversations(acc: ReportAccumulator, completed: number): ReportAccumulator {
  return { ...acc, conversationsCompleted: acc.conversationsCompleted + completed };
}

export type GrowthRow = { entityType: string; entityId: string; dimKey: GrowthDimension; delta: number };

/** Growth events of the window, in ledger order: Σ delta per dimension and per star. */
export function foldGrowth(acc: ReportAccumulator, events: readonly GrowthRow[]): ReportAccumulator {
  const growthByDimension = { ...acc.growthByDimension };
  const starGrowth = acc.starGrowth.map((s) => ({ ...s }));
  const index = new Map(starGrowth.map((s, i) => [s.starId, i]));
  let starGrowthTruncated = acc.starGrowthTruncated;
  for (const event of events) {
    growthByDimension[event.dimKey] += event.delta;
    if (event.entityType !== "star") continue;
    const at = index.get(event.entityId);
    if (at !== undefined) starGrowth[at].delta += event.delta;
    else if (starGrowth.length < STAR_GROWTH_CAP) {
      index.set(event.entityId, starGrowth.length);
      starGrowth.push({ starId: event.entityId, delta: event.delta });
    } else starGrowthTruncated = true;
  }
  return { ...acc, growthByDimension, starGrowth, starGrowthTruncated };
}

export type CheckinRow =
  | { kind: "emotion"; createdAt: number; valence: EmotionValence; intensity: number }
  | { kind: "energy"; createdAt: number; level: number };

/** Check-ins of the window, oldest first (emotions of both sources, energy readings). */
export function foldCheckins(acc: ReportAccumulator, checkins: readonly CheckinRow[]): ReportAccumulator {
  const emotions = {
    positive: { ...acc.emotions.positive },
    neutral: { ...acc.emotions.neutral },
    negative: { ...acc.emotions.negative },
  };
  const energy = { ...acc.energy };
  const energyPoints = [...acc.energyPoints];
  const emotionPoints = [...acc.emotionPoints];
  for (const c of checkins) {
    if (c.kind === "emotion") {
      emotions[c.valence].count += 1;
      emotions[c.valence].intensitySum += c.intensity;
      if (emotionPoints.length < SERIES_POINT_CAP) emotionPoints.push({ at: c.createdAt, valence: c.valence, intensity: c.intensity });
    } else {
      const point = { at: c.createdAt, level: c.level };
      energy.count += 1;
      energy.sum += c.level;
      energy.first ??= point;
      energy.last = point;
      if (energyPoints.length < SERIES_POINT_CAP) energyPoints.push(point);
    }
  }
  return { ...acc, emotions, energy, energyPoints, emotionPoints };
}

// ---------------------------------------------------------------------------------------
// The small part of a report (a few rows per date) and the final statistics

export type DayRow = { localDate: LocalDate; missionsCompleted: number; minutesCompleted: number; essenceEarned: number; streakDays: number };
export type ExperimentRow = { status: ExperimentStatus; offeredAt: number; expiresAt: number; completedAt?: number };
export type SnapshotRow = { timestamp: number; localDate: LocalDate; escapeIndex: number };
export type RankedStar = { starId: string; label: string | null; delta: number };

export type ReportFinalInputs = {
  firstDate: LocalDate;
  lastDate: LocalDate;
  /** The window's instants: [start of firstDate, end of lastDate). */
  startsAt: number;
  endsAt: number;
  /** dailyProgress rows of the window's dates. */
  days: readonly DayRow[];
  /** Experiments offered in the window. */
  experiments: readonly ExperimentRow[];
  /** localDate (in the user's zone) of each experiment's completion, same order. */
  experimentCompletionDates: readonly (LocalDate | null)[];
  /** Daily snapshots taken in the window. */
  snapshots: readonly SnapshotRow[];
  velocity: number | null;
  momentum: number | null;
  consistency: number;
  /** Star id → label (null when the star is gone). */
  starLabels: ReadonlyMap<string, string | null>;
};

export type EscapeSummary = { first: number; last: number; min: number; max: number };

export type ReportStats = {
  messages: { userMessages: number; conversationsCompleted: number };
  growth: { byDimension: GrowthProfile; topStars: RankedStar[]; bottomStars: RankedStar[]; starsTruncated: boolean };
  missions: { completed: number; minutes: number; essence: number; streakAtEnd: number };
  experiments: { offered: number; completed: number; skipped: number; expired: number };
  trajectory: { escapeIndex: EscapeSummary | null; velocity: number | null; momentum: number | null };
  emotions: Record<EmotionValence, { count: number; meanIntensity: number | null }>;
  energy: { count: number; mean: number | null; first: number | null; last: number | null };
  consistency: number;
};

export type ReportDay = { localDate: LocalDate; escapeIndex: number | null; missionsCompleted: number; experimentsCompleted: number };
export type ReportSeries = { days: ReportDay[]; energy: EnergyPoint[]; emotions: EmotionPoint[] };

/** Stable order for ties: the star id (ids are opaque but fixed). */
const byId = (a: { starId: string }, b: { starId: string }) => (a.starId < b.starId ? -1 : a.starId > b.starId ? 1 : 0);

/** The five largest positive Σ delta (top) and the five most negative (bottom); ties by id. */
export function rankStars(starGrowth: readonly { starId: string; delta: number }[]) {
  const top = starGrowth.filter((s) => s.delta > 0).sort((a, b) => b.delta - a.delta || byId(a, b));
  const bottom = starGrowth.filter((s) => s.delta < 0).sort((a, b) => a.delta - b.delta || byId(a, b));
  return { top: top.slice(0, STAR_RANKING_SIZE), bottom: bottom.slice(0, STAR_RANKING_SIZE) };
}

/** The streak a read shows at the end of `lastDate` (§5), from the window's day rows. */
export function streakAtEnd(days: readonly DayRow[], lastDate: LocalDate): number {
  const latest = days
    .filter((d) => d.missionsCompleted > 0 && daysBetween(d.localDate, lastDate) >= 0)
    .sort((a, b) => daysBetween(a.localDate, b.localDate))[0]; // latest first
  return currentStreak(latest === undefined ? null : { lastActiveDate: latest.localDate, streakDays: latest.streakDays }, lastDate);
}

/**
 * Offered in the window, by what became of them at its end. An offer expires at the local
 * midnight after it was made, so at the window's end every offer of the window is final:
 * still open then means expired (§6: expired even if the expiry job has not run yet).
 */
export function experimentCounts(experiments: readonly ExperimentRow[], endsAt: number) {
  const counts = { offered: experiments.length, completed: 0, skipped: 0, expired: 0 };
  for (const e of experiments) {
    if (e.status === "completed") counts.completed += 1;
    else if (e.status === "skipped") counts.skipped += 1;
    else if (e.status === "expired" || e.expiresAt <= endsAt) counts.expired += 1;
  }
  return counts;
}

export function escapeSummary(snapshots: readonly SnapshotRow[]): EscapeSummary | null {
  if (snapshots.length === 0) return null;
  const ordered = [...snapshots].sort((a, b) => a.timestamp - b.timestamp);
  const values = ordered.map((s) => s.escapeIndex);
  return { first: values[0], last: values[values.length - 1], min: Math.min(...values), max: Math.max(...values) };
}

const mean = (sum: number, count: number) => (count === 0 ? null : sum / count);

export function finalizeReport(acc: ReportAccumulator, inputs: ReportFinalInputs): { stats: ReportStats; series: ReportSeries } {
  const inWindow = inputs.days.filter((d) => daysBetween(inputs.firstDate, d.localDate) >= 0 && daysBetween(d.localDate, inputs.lastDate) >= 0);
  const { top, bottom } = rankStars(acc.starGrowth);
  const label = (s: { starId: string; delta: number }): RankedStar => ({ ...s, label: inputs.starLabels.get(s.starId) ?? null });
  const emotions = Object.fromEntries(
    EMOTION_VALENCES.map((valence) => {
      const { count, intensitySum } = acc.emotions[valence];
      return [valence, { count, meanIntensity: mean(intensitySum, count) }];
    }),
  ) as ReportStats["emotions"];
  const stats: ReportStats = {
    messages: { userMessages: acc.userMessages, conversationsCompleted: acc.conversationsCompleted },
    growth: {
      byDimension: Object.fromEntries(GROWTH_DIMENSIONS.map((d) => [d, acc.growthByDimension[d]])) as GrowthProfile,
      topStars: top.map(label),
      bottomStars: bottom.map(label),
      starsTruncated: acc.starGrowthTruncated,
    },
    missions: {
      completed: inWindow.reduce((sum, d) => sum + d.missionsCompleted, 0),
      minutes: inWindow.reduce((sum, d) => sum + d.minutesCompleted, 0),
      essence: inWindow.reduce((sum, d) => sum + d.essenceEarned, 0),
      streakAtEnd: streakAtEnd(inWindow, inputs.lastDate),
    },
    experiments: experimentCounts(inputs.experiments, inputs.endsAt),
    trajectory: { escapeIndex: escapeSummary(inputs.snapshots), velocity: inputs.velocity, momentum: inputs.momentum },
    emotions,
    energy: {
      count: acc.energy.count,
      mean: mean(acc.energy.sum, acc.energy.count),
      first: acc.energy.first?.level ?? null,
      last: acc.energy.last?.level ?? null,
    },
    consistency: inputs.consistency,
  };
  const dates = windowDates(inputs.firstDate, inputs.lastDate);
  const series: ReportSeries = {
    days: dates.map((date) => {
      const snapshot = [...inputs.snapshots].filter((s) => s.localDate === date).sort((a, b) => b.timestamp - a.timestamp)[0];
      return {
        localDate: date,
        escapeIndex: snapshot?.escapeIndex ?? null,
        missionsCompleted: inWindow.find((d) => d.localDate === date)?.missionsCompleted ?? 0,
        experimentsCompleted: inputs.experimentCompletionDates.filter((d) => d === date).length,
      };
    }),
    energy: acc.energyPoints,
    emotions: acc.emotionPoints,
  };
  return { stats, series };
}
