// One report's window as an SVG picture (MECHANICS §9). Pure (no Convex imports), so a
// frontend can draw the same picture from a report it already holds: reports.chart returns
// this text, and the demo writes it to demo-output/.
//
// Layout: one column per local date. The upper panel draws energy readings (left axis,
// 1–10) at their instant and the escape index η of each day's daily snapshot (right axis,
// dashed line at η = 1); the middle strip draws emotions as points coloured by valence,
// higher for a stronger intensity; the bottom row marks completions (a mark per mission or
// experiment completed that date). Only numbers and dates are drawn, never user text.
import type { EmotionValence, ReportType } from "../domain";
import { clamp } from "../math";
import type { ReportSeries } from "../mechanics/reflection";

export type ReportChartInput = {
  type: ReportType;
  firstDate: string;
  lastDate: string;
  startsAt: number;
  endsAt: number;
  series: ReportSeries;
  consistency?: number;
};

export const VALENCE_COLOURS: Readonly<Record<EmotionValence, string>> = {
  positive: "#4ade80",
  neutral: "#94a3b8",
  negative: "#f87171",
};
const ENERGY_COLOUR = "#fbbf24";
const ETA_COLOUR = "#60a5fa";
const MARK_COLOUR = "#e2e8f0";

const TITLES: Readonly<Record<ReportType, string>> = {
  two_day: "2-day report",
  seven_day: "7-day report",
  twenty_one_day: "21-day report",
};

const W = 760;
const H = 420;
const LEFT = 56;
const RIGHT = 56;
const PLOT_W = W - LEFT - RIGHT;
const TOP = { y: 56, h: 190 };
const MOOD = { y: 268, h: 70 };
const MARKS = { y: 352, h: 26 };

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

/** The SVG text of one report's window. Deterministic: the same report draws the same bytes. */
export function renderReportChart(input: ReportChartInput): string {
  const { series } = input;
  const days = series.days.length > 0 ? series.days : [{ localDate: input.firstDate, escapeIndex: null, missionsCompleted: 0, experimentsCompleted: 0 }];
  const span = Math.max(1, input.endsAt - input.startsAt);
  const column = PLOT_W / days.length;
  const xAt = (instant: number) => LEFT + (clamp(instant - input.startsAt, 0, span) / span) * PLOT_W;
  const xDay = (i: number) => LEFT + (i + 0.5) * column;
  const etaValues = days.flatMap((d) => (d.escapeIndex === null ? [] : [d.escapeIndex]));
  const etaMax = Math.max(2, Math.ceil(Math.max(0, ...etaValues)));
  const yEta = (eta: number) => TOP.y + TOP.h - (Math.min(eta, etaMax) / etaMax) * TOP.h;
  const yEnergy = (level: number) => TOP.y + TOP.h - (level / 10) * TOP.h;
  const yMood = (intensity: number) => MOOD.y + MOOD.h - 6 - intensity * (MOOD.h - 12);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#0b1020"/>`);
  const subtitle = `${input.firstDate} – ${input.lastDate}${input.consistency === undefined ? "" : ` · consistency ${fmt(input.consistency)}`}`;
  out.push(`<text x="${LEFT}" y="26" fill="#f8fafc" font-size="16" font-weight="600">${escapeXml(TITLES[input.type])}</text>`);
  out.push(`<text x="${LEFT}" y="44" fill="#94a3b8" font-size="12">${escapeXml(subtitle)}</text>`);

  // Day columns and labels.
  days.forEach((d, i) => {
    const x = LEFT + i * column;
    if (i % 2 === 1) out.push(`<rect x="${fmt(x)}" y="${TOP.y}" width="${fmt(column)}" height="${MARKS.y + MARKS.h - TOP.y}" fill="#111833"/>`);
    const every = Math.ceil(days.length / 11);
    if (i % every === 0) out.push(`<text x="${fmt(xDay(i))}" y="${H - 12}" fill="#64748b" font-size="10" text-anchor="middle">${escapeXml(d.localDate.slice(5))}</text>`);
  });

  // Axes of the upper panel: energy 0–10 on the left, η on the right.
  out.push(`<g stroke="#334155" stroke-width="1">`);
  out.push(`<line x1="${LEFT}" y1="${TOP.y + TOP.h}" x2="${LEFT + PLOT_W}" y2="${TOP.y + TOP.h}"/>`);
  out.push(`<line x1="${LEFT}" y1="${TOP.y}" x2="${LEFT}" y2="${TOP.y + TOP.h}"/>`);
  out.push(`<line x1="${LEFT + PLOT_W}" y1="${TOP.y}" x2="${LEFT + PLOT_W}" y2="${TOP.y + TOP.h}"/>`);
  out.push(`</g>`);
  for (const level of [0, 5, 10]) {
    out.push(`<text x="${LEFT - 8}" y="${fmt(yEnergy(level) + 4)}" fill="${ENERGY_COLOUR}" font-size="10" text-anchor="end">${level}</text>`);
  }
  for (const eta of [0, etaMax / 2, etaMax]) {
    out.push(`<text x="${LEFT + PLOT_W + 8}" y="${fmt(yEta(eta) + 4)}" fill="${ETA_COLOUR}" font-size="10">${fmt(eta)}</text>`);
  }
  out.push(`<text x="${LEFT - 8}" y="${TOP.y - 8}" fill="${ENERGY_COLOUR}" font-size="10" text-anchor="end">energy</text>`);
  out.push(`<text x="${LEFT + PLOT_W + 8}" y="${TOP.y - 8}" fill="${ETA_COLOUR}" font-size="10">η</text>`);
  out.push(`<line x1="${LEFT}" y1="${fmt(yEta(1))}" x2="${LEFT + PLOT_W}" y2="${fmt(yEta(1))}" stroke="${ETA_COLOUR}" stroke-opacity="0.4" stroke-dasharray="4 4"/>`);

  // η per day.
  const etaPoints = days.flatMap((d, i) => (d.escapeIndex === null ? [] : [[xDay(i), yEta(d.escapeIndex)] as const]));
  if (etaPoints.length > 1) {
    out.push(`<polyline fill="none" stroke="${ETA_COLOUR}" stroke-width="2" points="${etaPoints.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(" ")}"/>`);
  }
  for (const [x, y] of etaPoints) out.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="3.5" fill="${ETA_COLOUR}"/>`);

  // Energy readings at their instants.
  const energy = series.energy.map((p) => [xAt(p.at), yEnergy(p.level)] as const);
  if (energy.length > 1) {
    out.push(`<polyline fill="none" stroke="${ENERGY_COLOUR}" stroke-opacity="0.6" stroke-width="1.5" points="${energy.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(" ")}"/>`);
  }
  for (const [x, y] of energy) out.push(`<rect x="${fmt(x - 3)}" y="${fmt(y - 3)}" width="6" height="6" fill="${ENERGY_COLOUR}"/>`);

  // Emotions, coloured by valence.
  out.push(`<text x="${LEFT - 8}" y="${MOOD.y + MOOD.h / 2 + 4}" fill="#94a3b8" font-size="10" text-anchor="end">mood</text>`);
  out.push(`<line x1="${LEFT}" y1="${MOOD.y + MOOD.h}" x2="${LEFT + PLOT_W}" y2="${MOOD.y + MOOD.h}" stroke="#334155"/>`);
  for (const p of series.emotions) {
    out.push(`<circle cx="${fmt(xAt(p.at))}" cy="${fmt(yMood(p.intensity))}" r="5" fill="${VALENCE_COLOURS[p.valence]}" fill-opacity="0.85"/>`);
  }

  // Completions: one mark per mission or experiment completed that date.
  out.push(`<text x="${LEFT - 8}" y="${MARKS.y + 17}" fill="#94a3b8" font-size="10" text-anchor="end">done</text>`);
  days.forEach((d, i) => {
    const count = d.missionsCompleted + d.experimentsCompleted;
    const shown = Math.min(count, 5);
    for (let k = 0; k < shown; k++) {
      const x = xDay(i) - ((shown - 1) * 7) / 2 + k * 7;
      out.push(`<path d="M${fmt(x)} ${MARKS.y + 6} l4 8 l-8 0 z" fill="${MARK_COLOUR}"/>`);
    }
    if (count > shown) out.push(`<text x="${fmt(xDay(i))}" y="${MARKS.y + 26}" fill="${MARK_COLOUR}" font-size="9" text-anchor="middle">+${count - shown}</text>`);
  });

  // Legend.
  const legend: [string, string][] = [
    ["η (escape index)", ETA_COLOUR],
    ["energy", ENERGY_COLOUR],
    ["positive", VALENCE_COLOURS.positive],
    ["neutral", VALENCE_COLOURS.neutral],
    ["negative", VALENCE_COLOURS.negative],
  ];
  legend.forEach(([name, colour], i) => {
    const x = W - RIGHT - 430 + i * 88;
    out.push(`<circle cx="${x}" cy="22" r="4" fill="${colour}"/><text x="${x + 8}" y="26" fill="#cbd5e1" font-size="10">${escapeXml(name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n");
}
