// Pure SVG renderers of the constellation and the trajectory: no dependencies, data in, a
// string out. The same code draws the demo's files (Node), the demo page (its inline script)
// and the reference web client (examples/web, in the browser).
// Geometry follows docs/mechanics.md §Layout: a star sits at polar (radius, theta) with the
// health sector starting at angle 0 and angles growing counter-clockwise; bright stars sit
// near the centre (radius = 1 − 0.9·brightness).
import type { ConnectionType, Domain, StarType } from "./domain";
import { CONNECTION_TYPES, DOMAINS, STAR_TYPES } from "./domain";
import { clamp } from "./math";
import { truncateText } from "./text";

export type ConstellationStar = {
  _id: string;
  label: string;
  domain: Domain;
  type: StarType;
  brightness: number;
  theta: number;
  radius: number;
};
export type ConstellationConnection = { starA: string; starB: string; type: ConnectionType; strength: number };

export type TrajectoryPoint = {
  day: number;
  thrust: number;
  alignment: number;
  gravity: number;
  mass: number;
  escapeIndex: number;
};

// ---------------------------------------------------------------------------------------
// Shared helpers

const FONT = `font-family="Helvetica, Arial, sans-serif"`;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Two decimals are plenty for pixels and keep the files small and diffable. */
function n(value: number): string {
  return Number.isFinite(value) ? (Math.round(value * 100) / 100).toString() : "0";
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>\n` +
    `<title>${escapeXml(title)}</title>\n`
  );
}

// ---------------------------------------------------------------------------------------
// Constellation

export const STAR_COLOURS: Record<StarType, string> = {
  nascent: "#7fdbff", // new, still forming: cool blue
  flickering: "#ffd166", // in between, or bright but unsteady: warm yellow
  dim: "#8d99ae", // faint: slate
  bright: "#fffbe6", // bright and steady: near white, with a halo
  dark: "#b15cff", // a shadow pattern: violet
  dormant: "#4a4e69", // asleep (only drawn when asked for)
};

type StrokeStyle = { colour: string; dash?: string; arrow: boolean; label: string };
export const CONNECTION_STYLES: Record<ConnectionType, StrokeStyle> = {
  resonance: { colour: "#06d6a0", arrow: false, label: "resonance (reinforce each other)" },
  tension: { colour: "#ff9f1c", dash: "6 4", arrow: false, label: "tension (pull apart)" },
  causation: { colour: "#4cc9f0", arrow: true, label: "causation (A predicts B)" },
  growth_edge: { colour: "#90e0ef", dash: "2 4", arrow: true, label: "growth edge (A enables B)" },
  shadow_mirror: { colour: "#c77dff", dash: "10 3 2 3", arrow: false, label: "shadow mirror" },
  blocks: { colour: "#ef476f", arrow: true, label: "blocks (A prevents B)" },
};

const DOMAIN_NAMES: Record<Domain, string> = {
  health: "Health",
  wealth: "Wealth",
  relationships: "Relationships",
  purpose: "Purpose",
  soul: "Soul",
};

const SECTOR = (2 * Math.PI) / DOMAINS.length;

/** Star disc radius in pixels: brighter stars are bigger. */
export function starSize(brightness: number): number {
  return 3 + 9 * clamp(brightness, 0, 1);
}

/** Chart coordinates (y up) to SVG pixels (y down). */
function place(cx: number, cy: number, scale: number, radius: number, theta: number) {
  return { x: cx + scale * radius * Math.cos(theta), y: cy - scale * radius * Math.sin(theta) };
}

export type ConstellationOptions = { title?: string; size?: number; showLabels?: boolean };

export function renderConstellation(
  stars: readonly ConstellationStar[],
  connections: readonly ConstellationConnection[],
  options: ConstellationOptions = {},
): string {
  const size = options.size ?? 820;
  const legendWidth = 260;
  const width = size + legendWidth;
  const cx = size / 2;
  const cy = size / 2;
  const scale = size / 2 - 105; // room outside the outer ring for the domain names
  const title = options.title ?? "Constellation";
  const parts: string[] = [svgOpen(width, size, title)];

  parts.push(`<defs>`);
  for (const type of CONNECTION_TYPES) {
    const style = CONNECTION_STYLES[type];
    if (!style.arrow) continue;
    parts.push(
      `<marker id="arrow-${type}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">` +
        `<path d="M0,0 L10,5 L0,10 z" fill="${style.colour}"/></marker>`,
    );
  }
  parts.push(
    `<radialGradient id="halo"><stop offset="0" stop-color="#fffbe6" stop-opacity="0.55"/><stop offset="1" stop-color="#fffbe6" stop-opacity="0"/></radialGradient>`,
  );
  parts.push(`</defs>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${size}" fill="#0b1021"/>`);

  // Rings: the brightness thresholds (radius = 1 − 0.9·b), so a reader sees bands.
  const rings = [
    { radius: 1, label: "b 0.05" },
    { radius: 1 - 0.9 * 0.3, label: "b 0.3 (dim)" },
    { radius: 1 - 0.9 * 0.7, label: "b 0.7 (bright)" },
  ];
  parts.push(`<g class="grid" fill="none" stroke="#2b3356" stroke-width="1">`);
  for (const ring of rings) {
    parts.push(`<circle class="ring" cx="${n(cx)}" cy="${n(cy)}" r="${n(scale * ring.radius)}"/>`);
  }
  DOMAINS.forEach((_, k) => {
    const edge = place(cx, cy, scale, 1.04, k * SECTOR);
    parts.push(`<line x1="${n(cx)}" y1="${n(cy)}" x2="${n(edge.x)}" y2="${n(edge.y)}"/>`);
  });
  parts.push(`</g>`);
  parts.push(`<g class="ring-labels" font-size="10" fill="#5c6690">`);
  for (const ring of rings) {
    parts.push(`<text x="${n(cx + 4)}" y="${n(cy - scale * ring.radius - 3)}">${escapeXml(ring.label)}</text>`);
  }
  parts.push(`</g>`);
  parts.push(`<g class="domains" font-size="16" font-weight="bold" fill="#c9d1f5" text-anchor="middle">`);
  DOMAINS.forEach((domain, k) => {
    const at = place(cx, cy, scale, 1.2, (k + 0.5) * SECTOR);
    // Keep the whole name on the canvas (about 5 px per half character at 16 px bold).
    const half = DOMAIN_NAMES[domain].length * 5;
    const x = clamp(at.x, half + 6, size - half - 6);
    parts.push(`<text x="${n(x)}" y="${n(at.y + 5)}">${DOMAIN_NAMES[domain]}</text>`);
  });
  parts.push(`</g>`);

  const positions = new Map(stars.map((star) => [star._id, place(cx, cy, scale, star.radius, star.theta)]));
  const sizes = new Map(stars.map((star) => [star._id, starSize(star.brightness)]));

  parts.push(`<g class="connections" fill="none">`);
  for (const connection of connections) {
    const a = positions.get(connection.starA);
    const b = positions.get(connection.starB);
    if (!a || !b) continue; // an end not drawn (dormant or truncated): skip the edge
    const style = CONNECTION_STYLES[connection.type];
    // Stop short of the target disc so an arrowhead stays visible.
    const gap = style.arrow ? (sizes.get(connection.starB) ?? 0) + 2 : 0;
    const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const end = { x: b.x - ((b.x - a.x) * gap) / length, y: b.y - ((b.y - a.y) * gap) / length };
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : "";
    const marker = style.arrow ? ` marker-end="url(#arrow-${connection.type})"` : "";
    const width = 0.8 + 2.4 * clamp(connection.strength, 0, 1);
    parts.push(
      `<line class="connection connection-${connection.type}" x1="${n(a.x)}" y1="${n(a.y)}" x2="${n(end.x)}" y2="${n(end.y)}" ` +
        `stroke="${style.colour}" stroke-width="${n(width)}" stroke-opacity="0.85"${dash}${marker}/>`,
    );
  }
  parts.push(`</g>`);

  parts.push(`<g class="stars">`);
  for (const star of stars) {
    const at = place(cx, cy, scale, star.radius, star.theta);
    const r = starSize(star.brightness);
    if (star.type === "bright") {
      parts.push(`<circle class="halo" cx="${n(at.x)}" cy="${n(at.y)}" r="${n(r * 2.4)}" fill="url(#halo)"/>`);
    }
    const stroke = star.type === "dark" ? ` stroke="#e0b3ff" stroke-width="1"` : "";
    parts.push(
      // data-star-id lets an interactive page find the star behind a hovered disc.
      `<circle class="star star-${star.type}" cx="${n(at.x)}" cy="${n(at.y)}" r="${n(r)}" fill="${STAR_COLOURS[star.type]}"${stroke} data-star-id="${escapeXml(star._id)}">` +
        `<title>${escapeXml(`${star.label} (${star.type}, brightness ${star.brightness.toFixed(2)})`)}</title></circle>`,
    );
  }
  parts.push(`</g>`);

  if (options.showLabels ?? true) {
    parts.push(`<g class="labels" font-size="11" fill="#dfe4ff">`);
    for (const star of stars) {
      const at = place(cx, cy, scale, star.radius, star.theta);
      const r = starSize(star.brightness);
      parts.push(`<text x="${n(at.x + r + 3)}" y="${n(at.y + 4)}">${escapeXml(truncateText(star.label, 28))}</text>`);
    }
    parts.push(`</g>`);
  }

  parts.push(renderConstellationLegend(size + 10, 30, stars, connections));
  parts.push(`</svg>\n`);
  return parts.join("\n");
}

function renderConstellationLegend(
  x: number,
  y: number,
  stars: readonly ConstellationStar[],
  connections: readonly ConstellationConnection[],
): string {
  const parts: string[] = [`<g class="legend" font-size="12" fill="#dfe4ff">`];
  let row = y;
  parts.push(`<text x="${x}" y="${row}" font-size="14" font-weight="bold">Stars (${stars.length})</text>`);
  row += 8;
  for (const type of STAR_TYPES) {
    row += 20;
    const count = stars.filter((star) => star.type === type).length;
    // Legend swatches are squares, so every <circle class="star"> is a star.
    parts.push(`<rect x="${x}" y="${row - 10}" width="12" height="12" rx="6" fill="${STAR_COLOURS[type]}"/>`);
    parts.push(`<text x="${x + 20}" y="${row}">${type} (${count})</text>`);
  }
  row += 22;
  parts.push(`<text x="${x}" y="${row}" font-size="11" fill="#9aa3c7">size and nearness to the centre: brightness</text>`);
  row += 30;
  parts.push(`<text x="${x}" y="${row}" font-size="14" font-weight="bold">Connections (${connections.length})</text>`);
  row += 8;
  for (const type of CONNECTION_TYPES) {
    row += 20;
    const style = CONNECTION_STYLES[type];
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : "";
    const marker = style.arrow ? ` marker-end="url(#arrow-${type})"` : "";
    parts.push(
      `<line x1="${x}" y1="${row - 4}" x2="${x + 34}" y2="${row - 4}" stroke="${style.colour}" stroke-width="2"${dash}${marker}/>`,
    );
    parts.push(`<text x="${x + 42}" y="${row}">${escapeXml(style.label)}</text>`);
  }
  row += 22;
  parts.push(`<text x="${x}" y="${row}" font-size="11" fill="#9aa3c7">line width: strength</text>`);
  parts.push(`</g>`);
  return parts.join("\n");
}

// ---------------------------------------------------------------------------------------
// Trajectory

type Series = { key: keyof Omit<TrajectoryPoint, "day">; label: string; colour: string; axis: "unit" | "escape" };
export const TRAJECTORY_SERIES: readonly Series[] = [
  { key: "thrust", label: "thrust T", colour: "#06d6a0", axis: "unit" },
  { key: "alignment", label: "alignment A", colour: "#4cc9f0", axis: "unit" },
  { key: "gravity", label: "gravity G", colour: "#ef476f", axis: "unit" },
  { key: "mass", label: "mass M", colour: "#ffd166", axis: "unit" },
  { key: "escapeIndex", label: "escape index η (right axis)", colour: "#ffffff", axis: "escape" },
];

/** `markDay`: draw a vertical marker at that day (the demo page's chosen night). */
export type TrajectoryOptions = { title?: string; width?: number; height?: number; markDay?: number };

export function renderTrajectory(points: readonly TrajectoryPoint[], options: TrajectoryOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 480;
  const title = options.title ?? "Trajectory";
  const margin = { left: 60, right: 70, top: 50, bottom: 110 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sorted = [...points].sort((a, b) => a.day - b.day);
  const firstDay = sorted[0]?.day ?? 1;
  const lastDay = Math.max(sorted[sorted.length - 1]?.day ?? 1, firstDay + 1);
  const xOf = (day: number) => margin.left + ((day - firstDay) / (lastDay - firstDay)) * plotW;
  const yUnit = (value: number) => margin.top + (1 - clamp(value, 0, 1)) * plotH;
  // η lives on 0..10 but a month usually stays near 1: scale its axis to the data (at least
  // 0..2, so the η = 1 line sits mid-height), capped at the formula's 10.
  const etaMax = Math.min(10, Math.max(2, Math.ceil(Math.max(0, ...sorted.map((p) => p.escapeIndex)))));
  const yEscape = (value: number) => margin.top + (1 - clamp(value, 0, etaMax) / etaMax) * plotH;

  const parts: string[] = [svgOpen(width, height, title)];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#0b1021"/>`);
  parts.push(`<text x="${margin.left}" y="28" font-size="16" font-weight="bold" fill="#dfe4ff">${escapeXml(title)}</text>`);

  // Grid and axes: left 0..1 (T, A, G, M), right 0..10 (η); η = 1 is the escape line.
  parts.push(`<g class="axes" font-size="11" fill="#9aa3c7" stroke="#2b3356">`);
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    const y = yUnit(v);
    parts.push(`<line x1="${margin.left}" y1="${n(y)}" x2="${margin.left + plotW}" y2="${n(y)}"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${n(y + 4)}" text-anchor="end" stroke="none">${v.toFixed(2)}</text>`);
    parts.push(`<text x="${margin.left + plotW + 8}" y="${n(y + 4)}" stroke="none">${(v * etaMax).toFixed(1)}</text>`);
  }
  parts.push(`<text x="${margin.left - 8}" y="${margin.top - 10}" text-anchor="end" stroke="none">T A G M</text>`);
  parts.push(`<text x="${margin.left + plotW + 8}" y="${margin.top - 10}" stroke="none">η</text>`);
  const escapeLine = yEscape(1);
  parts.push(
    `<line class="escape-line" x1="${margin.left}" y1="${n(escapeLine)}" x2="${margin.left + plotW}" y2="${n(escapeLine)}" stroke="#ffffff" stroke-opacity="0.35" stroke-dasharray="4 4"/>`,
  );
  parts.push(`<text x="${margin.left + plotW - 4}" y="${n(escapeLine - 4)}" text-anchor="end" stroke="none">η = 1</text>`);
  const step = Math.max(1, Math.ceil((lastDay - firstDay) / 15));
  for (let day = firstDay; day <= lastDay; day += step) {
    const x = xOf(day);
    parts.push(`<line x1="${n(x)}" y1="${margin.top + plotH}" x2="${n(x)}" y2="${margin.top + plotH + 4}"/>`);
    parts.push(`<text x="${n(x)}" y="${margin.top + plotH + 18}" text-anchor="middle" stroke="none">${day}</text>`);
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 36}" text-anchor="middle" stroke="none">day</text>`,
  );
  parts.push(`</g>`);

  if (options.markDay !== undefined && options.markDay >= firstDay && options.markDay <= lastDay) {
    const x = n(xOf(options.markDay));
    parts.push(
      `<line class="day-marker" x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="#ffd166" stroke-width="2" stroke-opacity="0.8"/>`,
    );
    // The label sits inside the plot, on the side with room (the right axis is busy).
    const late = options.markDay > (firstDay + lastDay) / 2;
    parts.push(
      `<text class="day-marker-label" x="${n(xOf(options.markDay) + (late ? -4 : 4))}" y="${margin.top + 12}" text-anchor="${late ? "end" : "start"}" font-size="11" fill="#ffd166">day ${options.markDay}</text>`,
    );
  }

  parts.push(`<g class="series" fill="none" stroke-width="2">`);
  for (const series of TRAJECTORY_SERIES) {
    const y = series.axis === "unit" ? yUnit : yEscape;
    const coords = sorted.map((point) => `${n(xOf(point.day))},${n(y(point[series.key]))}`).join(" ");
    const widthAttr = series.axis === "escape" ? ` stroke-width="3"` : "";
    parts.push(`<polyline class="series-${series.key}" points="${coords}" stroke="${series.colour}"${widthAttr}/>`);
  }
  parts.push(`</g>`);

  parts.push(`<g class="legend" font-size="12" fill="#dfe4ff">`);
  TRAJECTORY_SERIES.forEach((series, i) => {
    const x = margin.left + (i % 3) * 260;
    const yRow = height - 50 + Math.floor(i / 3) * 20;
    parts.push(`<line x1="${x}" y1="${yRow - 4}" x2="${x + 24}" y2="${yRow - 4}" stroke="${series.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${x + 32}" y="${yRow}">${escapeXml(series.label)}</text>`);
  });
  parts.push(`</g>`);
  parts.push(`</svg>\n`);
  return parts.join("\n");
}
