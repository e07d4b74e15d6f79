// The demo page's script (bundled into demo-output/index.html by demo/page.ts): a day slider
// over the embedded frames; each move redraws the constellation and the trajectory with the
// pure renderers of src/render.ts, and shows that day's numbers and conversation. Hovering a
// star shows its label, type, brightness and connections.
import { CONNECTION_STYLES, renderConstellation, renderTrajectory } from "../src/render";
import type { DemoFrame } from "./frames";
import type { PageData } from "./page";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const data = JSON.parse(element("demo-data").textContent ?? "{}") as PageData;
const slider = element<HTMLInputElement>("day");
const tooltip = element("tooltip");
let shown: DemoFrame = data.frames[data.frames.length - 1];

function frameOf(day: number): DemoFrame {
  return data.frames.find((frame) => frame.day === day) ?? data.frames[data.frames.length - 1];
}

function stat(value: string, label: string): string {
  return `<div class="stat"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function renderStats(frame: DemoFrame): string {
  const eta = frame.lifeState === null ? "-" : frame.lifeState.escapeIndex.toFixed(2);
  return [
    stat(String(frame.stars.length), "stars"),
    stat(String(frame.connections.length), "connections"),
    stat(`${frame.phase}${frame.phase === "mirror" ? ` ${frame.mirrorDay}/7` : ""}`, "phase"),
    stat(String(frame.streak), "streak (days)"),
    stat(`${frame.progress.missionsCompleted} / ${frame.progress.minutesCompleted} min`, "missions / minutes"),
    stat(eta, "escape index η"),
  ].join("");
}

function renderExperiment(frame: DemoFrame): string {
  const e = frame.experiment;
  if (e === null) return "";
  const reflection = e.reflection ? `<div class="sub">“${escapeHtml(e.reflection)}”</div>` : "";
  return (
    `<div class="experiment"><div class="sub">Today's experiment: ${escapeHtml(e.status)}</div>` +
    `<div>${escapeHtml(`${e.when}, I will ${e.will} ${e.at}.`)}</div>${reflection}</div>`
  );
}

function renderCards(day: number): string {
  const cards = data.cards.filter((card) => card.day <= day);
  return cards
    .map(
      (card) =>
        `<div class="card"><div class="kind">${escapeHtml(card.kind)} · day ${card.day}</div>` +
        `<b>${escapeHtml(card.title)}</b><div>${escapeHtml(card.body)}</div></div>`,
    )
    .join("");
}

function renderConversation(frame: DemoFrame): string {
  if (frame.conversations.length === 0) return `<div class="empty">No conversation this day.</div>`;
  return frame.conversations
    .map(
      (conversation) =>
        `<div class="conversation-head">${escapeHtml(`${conversation.phase} conversation (${conversation.status})`)}</div>` +
        conversation.messages
          .map((m) => `<div class="message ${m.role}">${escapeHtml(m.content)}</div>`)
          .join(""),
    )
    .join("");
}

function show(day: number): void {
  const frame = frameOf(day);
  shown = frame;
  element("day-label").textContent = `Day ${frame.day} of ${data.days}, ${frame.date}`;
  element("constellation").innerHTML = renderConstellation(frame.stars, frame.connections, {
    title: `${data.persona.name}: constellation on the night of day ${frame.day} (${frame.date})`,
    size: 700,
  });
  element("trajectory").innerHTML = renderTrajectory(data.trajectory, {
    title: `Trajectory, ${data.firstDate} to ${data.lastDate}`,
    markDay: frame.day,
  });
  element("stats").innerHTML = `<div class="stats">${renderStats(frame)}</div>`;
  element("experiment").innerHTML = renderExperiment(frame);
  element("cards").innerHTML = renderCards(frame.day);
  element("conversation").innerHTML = renderConversation(frame);
  tooltip.hidden = true;
}

function describeStar(starId: string): string | null {
  const star = shown.stars.find((s) => s._id === starId);
  if (star === undefined) return null;
  const labels = new Map(shown.stars.map((s) => [s._id, s.label]));
  const edges = shown.connections
    .filter((c) => c.starA === starId || c.starB === starId)
    .map((c) => {
      const outgoing = c.starA === starId;
      const other = labels.get(outgoing ? c.starB : c.starA) ?? "?";
      const arrow = CONNECTION_STYLES[c.type].arrow ? (outgoing ? "→" : "←") : "↔";
      return `<li>${escapeHtml(`${c.type.replace("_", " ")} ${arrow} ${other} (strength ${c.strength.toFixed(2)})`)}</li>`;
    });
  return (
    `<div class="label">${escapeHtml(star.label)}</div>` +
    `<div>${escapeHtml(`${star.type} ${star.domain} star, brightness ${star.brightness.toFixed(2)}`)}</div>` +
    (edges.length === 0 ? `<div class="sub">no connections</div>` : `<div>${edges.length} connection${edges.length === 1 ? "" : "s"}:</div><ul>${edges.join("")}</ul>`)
  );
}

const constellation = element("constellation");
constellation.addEventListener("mousemove", (event) => {
  const target = event.target as Element | null;
  const starId = target?.closest("circle.star")?.getAttribute("data-star-id");
  const html = starId ? describeStar(starId) : null;
  if (html === null) {
    tooltip.hidden = true;
    return;
  }
  tooltip.innerHTML = html;
  tooltip.hidden = false;
  // Keep the tooltip on screen near the pointer.
  const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
  const y = Math.min(event.clientY + 14, window.innerHeight - tooltip.offsetHeight - 8);
  tooltip.style.left = `${Math.max(8, x)}px`;
  tooltip.style.top = `${Math.max(8, y)}px`;
});
constellation.addEventListener("mouseleave", () => {
  tooltip.hidden = true;
});
slider.addEventListener("input", () => show(Number(slider.value)));
show(Number(slider.value));
