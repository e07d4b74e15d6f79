// demo-output/index.html: the simulated month as one self-contained page (no network). The
// per-night frames and the trajectory are embedded as JSON; the page's script
// (demo/pageClient.ts, bundled here with esbuild) redraws the constellation with the same
// pure renderer as the SVG files (src/render.ts) when the day slider moves.
import { buildSync } from "esbuild";
import { fileURLToPath } from "node:url";
import { daysBetween } from "../src/time";
import type { TrajectoryPoint } from "../src/render";
import type { DemoFrame } from "./frames";

/**
 * A card the page shows from its day on, beside the day's conversation: the reports
 * (MECHANICS §9, summary.reports) and the revealed quests (§10, summary.narrative.quests).
 */
export type PageCard = { day: number; kind: string; title: string; body: string };

export type PageData = {
  persona: { name: string; timezone: string };
  days: number;
  firstDate: string;
  lastDate: string;
  trajectory: TrajectoryPoint[];
  frames: DemoFrame[];
  cards: PageCard[];
};

/** What the page needs from the summary; extra fields (reports, quests) are read if present. */
export type PageSummary = Pick<PageData, "persona" | "days" | "firstDate" | "lastDate" | "trajectory"> & Record<string, unknown>;

type Entry = Record<string, unknown>;

function text(entry: Entry, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = entry[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return undefined;
}

/**
 * Cards from a list the summary may carry (`summary[field]`), read defensively: an entry
 * needs a day (`day`, or a `localDate`/`date`/`periodEnd` inside the month) and some text.
 * Unknown shapes give no card rather than a broken page.
 */
export function cardsFrom(summary: PageSummary, field: string, kind: string): PageCard[] {
  const list = summary[field];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown): PageCard[] => {
    if (item === null || typeof item !== "object") return [];
    const entry = item as Entry;
    const date = text(entry, ["localDate", "date", "periodEnd", "endDate", "lastDate", "revealedOn"]);
    const day = typeof entry.day === "number" ? entry.day : date === undefined ? undefined : daysBetween(summary.firstDate, date) + 1;
    const title = text(entry, ["title", "name", "headline", "kind", "type"]) ?? kind;
    const body = text(entry, ["body", "summary", "text", "description", "narrative", "status"]) ?? "";
    if (day === undefined || !Number.isFinite(day)) return [];
    return [{ day: Math.min(Math.max(1, Math.round(day)), summary.days), kind, title, body }];
  });
}

/** The extension point: one line per kind of card the demo's summary can carry. */
export const CARD_SOURCES: readonly ((summary: PageSummary) => PageCard[])[] = [
  (summary) => cardsFrom(summary, "reports", "report"),
  (summary) => cardsFrom(summary, "quests", "quest"),
  // The story's revealed quests (MECHANICS §10) sit under summary.narrative.
  (summary) => {
    const narrative = summary.narrative;
    const quests = narrative !== null && typeof narrative === "object" ? (narrative as Entry).quests : undefined;
    return cardsFrom({ ...summary, quests }, "quests", "quest");
  },
];

export function pageData(summary: PageSummary, frames: readonly DemoFrame[]): PageData {
  return {
    persona: summary.persona,
    days: summary.days,
    firstDate: summary.firstDate,
    lastDate: summary.lastDate,
    trajectory: summary.trajectory.map(({ day, thrust, alignment, gravity, mass, escapeIndex }) => ({
      day,
      thrust,
      alignment,
      gravity,
      mass,
      escapeIndex,
    })),
    frames: [...frames],
    cards: CARD_SOURCES.flatMap((source) => source(summary)).sort((a, b) => a.day - b.day),
  };
}

/** The page script, bundled once per run (esbuild takes a few milliseconds). */
function pageScript(): string {
  const entry = fileURLToPath(new URL("./pageClient.ts", import.meta.url));
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
  });
  return result.outputFiles[0].text;
}

/** JSON inside <script>: `<` escaped so no string can close the element. */
function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Inline script text: a literal `</script` would end the element early. */
function embedScript(code: string): string {
  return code.replace(/<\/script/gi, "<\\/script");
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const STYLE = `
:root { color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: #070b18; color: #dfe4ff; font: 14px/1.45 Helvetica, Arial, sans-serif; }
header { padding: 16px 24px 8px; }
h1 { margin: 0 0 4px; font-size: 20px; }
h2 { margin: 0 0 8px; font-size: 15px; color: #c9d1f5; }
.sub { color: #9aa3c7; }
.controls { display: flex; align-items: center; gap: 16px; padding: 8px 24px 16px; position: sticky; top: 0; background: #070b18; z-index: 2; border-bottom: 1px solid #1c2340; }
#day { flex: 1; max-width: 720px; accent-color: #ffd166; }
#day-label { min-width: 260px; font-weight: bold; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 16px; padding: 16px 24px 32px; }
section { background: #0b1021; border: 1px solid #1c2340; border-radius: 8px; padding: 12px; }
#constellation svg, #trajectory svg { width: 100%; height: auto; display: block; }
#constellation circle.star { cursor: pointer; }
.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-bottom: 12px; }
.stat { background: #111833; border-radius: 6px; padding: 8px; }
.stat b { display: block; font-size: 18px; }
.stat span { color: #9aa3c7; font-size: 12px; }
.experiment { background: #111833; border-radius: 6px; padding: 8px; margin-bottom: 12px; }
.message { margin: 6px 0; padding: 6px 10px; border-radius: 10px; max-width: 92%; }
.message.user { background: #23305e; margin-left: auto; }
.message.assistant { background: #15203f; border: 1px solid #26305a; }
.conversation-head { color: #9aa3c7; font-size: 12px; margin-top: 10px; }
.card { background: #111833; border-left: 3px solid #06d6a0; border-radius: 4px; padding: 8px; margin: 6px 0; }
.card .kind { text-transform: uppercase; font-size: 11px; color: #06d6a0; }
.empty { color: #5c6690; font-style: italic; }
#tooltip { position: fixed; pointer-events: none; background: #1c2340; border: 1px solid #3a4680; border-radius: 6px; padding: 8px 10px; max-width: 320px; font-size: 13px; z-index: 5; box-shadow: 0 4px 16px #0008; }
#tooltip[hidden] { display: none; }
#tooltip .label { font-weight: bold; font-size: 14px; }
#tooltip ul { margin: 4px 0 0; padding-left: 16px; }
@media (max-width: 1000px) { main { grid-template-columns: 1fr; } }
`;

export function renderDemoPage(summary: PageSummary, frames: readonly DemoFrame[]): string {
  const data = pageData(summary, frames);
  const title = `Lodestar demo: ${data.persona.name}'s first ${data.days} days`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<div class="sub">${escapeHtml(`${data.firstDate} to ${data.lastDate}, ${data.persona.timezone}. Every number was computed by the real Convex functions on an in-memory backend (npm run demo).`)}</div>
</header>
<div class="controls">
<label for="day">Night</label>
<input id="day" type="range" min="1" max="${data.days}" step="1" value="${data.days}">
<span id="day-label"></span>
</div>
<main>
<div>
<section id="constellation-panel"><h2>Constellation that night</h2><div id="constellation"></div></section>
<section id="trajectory-panel" style="margin-top:16px"><h2>Trajectory</h2><div id="trajectory"></div></section>
</div>
<div>
<section id="day-panel"><h2>The day</h2><div id="stats"></div><div id="experiment"></div><div id="cards"></div><h2>Conversation</h2><div id="conversation"></div></section>
</div>
</main>
<div id="tooltip" role="tooltip" hidden></div>
<script type="application/json" id="demo-data">${embedJson(data)}</script>
<script>${embedScript(pageScript())}</script>
</body>
</html>
`;
}
