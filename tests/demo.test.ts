// The demo is part of the suite so it cannot rot: a shortened month runs through the real
// functions, and its outputs are checked against what the backend answers afterwards.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { renderConstellation, renderTrajectory, type ConstellationStar } from "../demo/render";
import { pageData, type PageData } from "../demo/page";
import { runDemo, type DemoResult } from "../demo/scenario";

/** Minimal well-formedness: every tag closes in order, attributes are quoted, no stray `<`/`&`. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(xml); match !== null; match = tag.exec(xml)) {
    const text = xml.slice(last, match.index);
    expect(text, `stray markup before ${match[0]}`).not.toMatch(/<|&(?!(amp|lt|gt|quot|apos);)/);
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    else if (!selfClosing) stack.push(name);
  }
  expect(xml.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
}

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

describe("demo renderers", () => {
  const stars: ConstellationStar[] = [
    { _id: "a", label: "Running", domain: "health", type: "bright", brightness: 0.8, theta: 0.5, radius: 0.28 },
    { _id: "b", label: "I'm not good <enough> & co", domain: "soul", type: "dark", brightness: 0.6, theta: 5.5, radius: 0.46 },
    { _id: "c", label: "Saving", domain: "wealth", type: "nascent", brightness: 0.3, theta: 1.6, radius: 0.73 },
  ];

  test("constellation: one circle per star, one line per drawable connection, escaped labels", () => {
    const svg = renderConstellation(stars, [
      { starA: "a", starB: "c", type: "growth_edge", strength: 0.5 },
      { starA: "b", starB: "a", type: "blocks", strength: 0.7 },
      { starA: "a", starB: "missing", type: "resonance", strength: 0.5 },
    ]);
    assertWellFormedXml(svg);
    expect(count(svg, /<circle class="star /g)).toBe(3);
    expect(count(svg, /<circle class="star star-dark"/g)).toBe(1);
    expect(count(svg, /<line class="connection /g)).toBe(2);
    expect(svg).toContain("I&apos;m not good &lt;enough&gt; &amp; co");
    for (const domain of ["Health", "Wealth", "Relationships", "Purpose", "Soul"]) expect(svg).toContain(`>${domain}<`);
  });

  test("constellation: a star sits at (r·cos θ, −r·sin θ) from the centre, brighter is bigger", () => {
    const svg = renderConstellation([{ ...stars[0], theta: 0, radius: 0.5 }], [], { size: 820, showLabels: false });
    // size 820: centre 410, scale 820/2 − 105 = 305, so r 0.5 at θ 0 is x = 410 + 152.5.
    expect(svg).toMatch(/<circle class="star star-bright" cx="562.5" cy="410" r="10.2"/);
  });

  test("trajectory: five series with one point per day", () => {
    const points = [1, 2, 3].map((day) => ({ day, thrust: 0.1 * day, alignment: 0.5, gravity: 0.4, mass: 0.2, escapeIndex: day }));
    const svg = renderTrajectory(points);
    assertWellFormedXml(svg);
    const polylines = svg.match(/<polyline class="series-\w+" points="[^"]*"/g) ?? [];
    expect(polylines).toHaveLength(5);
    for (const line of polylines) expect(line.split('points="')[1].trim().split(" ")).toHaveLength(3);
  });
});

describe("npm run demo (shortened)", () => {
  // Long enough for the mirror week, the journey and a few experiments: 12 days.
  const DAYS = 12;
  let outDir: string;
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "lodestar-demo-"));
    result = await runDemo({ days: DAYS, outDir, log: (line) => lines.push(line) });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  test("prints one progress line per simulated day", () => {
    expect(lines).toHaveLength(DAYS);
    expect(lines[0]).toMatch(/^day  1  2026-04-06 /);
  });

  test("the signed Clerk webhook created the account", async () => {
    expect(result.summary.account.webhookStatus).toBe(200);
    const me = await result.user.query(api.users.me, {});
    expect(me?.email).toBe("maya@example.com");
    expect(me?.displayName).toBe("Maya Okafor");
  });

  test("every turn went through the pipeline: the model answered and the extraction applied", async () => {
    const { summary } = result;
    expect(summary.warnings).toEqual([]);
    // 7 mirror days × 3 turns, 1 discovery turn, check-ins of 2 turns on days 9 and 12, and
    // Thorne's closing drill on day 12 (the second character, MECHANICS §10).
    expect(summary.messages.sent).toBe(7 * 3 + 1 + 2 * 2 + 1);
    expect(summary.model).toEqual({
      mode: "scripted",
      requests: summary.messages.sent + summary.experiments.offered + summary.reports.length,
    });
    const { page: conversations } = await result.user.query(api.conversations.list, { paginationOpts: { numItems: 20, cursor: null } });
    const { page: messages } = await result.user.query(api.messages.list, {
      conversationId: conversations[conversations.length - 1]._id,
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(messages.filter((m) => m.role === "assistant")).toHaveLength(3);
    expect(messages.filter((m) => m.role === "user").every((m) => m.extraction?.status === "done")).toBe(true);
  });

  test("the mirror week moved Maya to birth_chart, plotting the journey to walk", () => {
    expect(result.summary.account.phase).toBe("walk");
    expect(result.summary.account.mirrorDay).toBe(7);
    expect(lines[5]).toMatch(/ mirror      mirror 6\/7 /);
    expect(lines[6]).toMatch(/ birth_chart mirror 7\/7 /);
    expect(lines[7]).toMatch(/ walk        mirror 7\/7 /);
  });

  test("stars, connections and skill evidence appeared", async () => {
    const { summary } = result;
    expect(summary.constellation.stars).toBeGreaterThan(10);
    expect(summary.constellation.connections).toBeGreaterThan(5);
    expect(summary.constellation.byType.dark).toBeGreaterThan(0);
    expect(summary.skills.length).toBeGreaterThan(3);
    const mine = await result.user.query(api.skills.mine, {});
    expect(mine.length).toBe(summary.skills.length);
    expect(mine.every((belief) => belief.evidenceCount > 0)).toBe(true);
  });

  test("a journey is walking, experiments were completed, skipped and expired", async () => {
    const { summary } = result;
    expect(summary.journey?.status).toBe("walking");
    expect(summary.journey?.velocity).toBeGreaterThan(0);
    // Days 9..12: complete, skip, forgotten (expired at local midnight), complete.
    expect(summary.experiments).toEqual({ offered: 4, completed: 2, skipped: 1, expired: 1, open: 0 });
  });

  test("missions build a streak; a LifeState snapshot was taken every night", async () => {
    const { summary } = result;
    // Missions from day 2, day 5 missed, then every day: days 6..12.
    expect(summary.missions.streakDays).toBe(7);
    expect(summary.lifeState.snapshots).toBe(DAYS);
    expect(summary.trajectory.map((point) => point.day)).toEqual(Array.from({ length: DAYS }, (_, i) => i + 1));
    expect(lines[DAYS - 1]).toMatch(/streak  7/);
  });

  test("a second character for part of the month, and revealed quests completed (MECHANICS §10)", async () => {
    const { summary } = result;
    expect(summary.companions).toEqual([
      { character: "tars", name: "TARS", interactions: 7, level: 3, tier: "companion", conversations: 9 },
      { character: "thorne", name: "Thorne", interactions: 1, level: 1, tier: "acquaintance", conversations: 1 },
    ]);
    const { page: conversations } = await result.user.query(api.conversations.list, { paginationOpts: { numItems: 1, cursor: null } });
    expect(conversations[0].character).toBe("thorne");
    // Streak 3 after day 4 reveals "Three dawns" (done day 6, the next mission day): chapter 2.
    // The mirror's quest follows the night after day 7; the 7-day streak's after day 12.
    expect(summary.narrative).toMatchObject({ scenario: "sci-fi", chapter: 2, chapterTitle: "The Crossing" });
    expect(summary.narrative.quests).toEqual([
      { questKey: "three-dawns", chapter: 1, title: "Three dawns", status: "completed", revealedOn: "2026-04-10", completedOn: "2026-04-11" },
      { questKey: "chart-the-sky", chapter: 2, title: "Chart the sky", status: "completed", revealedOn: "2026-04-13", completedOn: "2026-04-13" },
      { questKey: "seven-day-orbit", chapter: 2, title: "Seven-day orbit", status: "pending", revealedOn: "2026-04-18", completedOn: null },
    ]);
    expect(summary.narrative.events.map((e) => e.kind)).toEqual([
      "quest_revealed",
      "quest_completed",
      "chapter_advanced",
      "quest_revealed",
      "quest_completed",
      "quest_revealed",
    ]);
    expect(lines[DAYS - 1]).toMatch(/chapter 2 quests 2\/3$/);
  });

  test("summary.json holds what the backend answers", async () => {
    const summary = JSON.parse(readFileSync(join(outDir, "summary.json"), "utf8")) as DemoResult["summary"];
    const { stars, connections } = await result.user.query(api.stars.constellation, {});
    const me = await result.user.query(api.users.me, {});
    expect(summary.constellation.stars).toBe(stars.length);
    expect(summary.constellation.connections).toBe(connections.length);
    expect(summary.account.phase).toBe(me?.currentPhase);
    expect(summary.growthProfile).toEqual(me?.growthProfile);
    expect(summary.account.essence).toBe(me?.essence);
    const current = await result.user.query(api.lifeStates.current, {});
    expect(summary.lifeState.current?.escapeIndex).toBe(current?.escapeIndex);
    const journeyId = (await result.user.query(api.journeys.mine, { paginationOpts: { numItems: 5, cursor: null } })).page[0]._id;
    const journey = await result.user.query(api.journeys.get, { journeyId });
    expect(summary.journey?.momentum).toBe(journey.momentum);
    const profile = await result.user.query(api.growth.profile, {});
    expect(summary.growth.activeDimensions).toEqual(profile.activeDimensions);
  });

  test("index.html embeds one frame per night, matching the day lines, and its page script", () => {
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    const json = /<script type="application\/json" id="demo-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const data = JSON.parse(json ?? "null") as PageData;
    expect(data.frames.map((frame) => frame.day)).toEqual(result.summary.daily.map((line) => line.day));
    expect(data.frames.map((frame) => frame.stars.length)).toEqual(result.summary.daily.map((line) => line.stars));
    expect(data.frames.map((frame) => frame.connections.length)).toEqual(result.summary.daily.map((line) => line.connections));
    // Day 1: the first mirror conversation, three turns answered, in reading order.
    expect(data.frames[0].conversations).toHaveLength(1);
    expect(data.frames[0].conversations[0].messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
    // Day 9 (the first walk day): its experiment was completed.
    expect(data.frames[8].experiment?.status).toBe("completed");
    // One card per report and per revealed quest, each from its own day.
    expect(data.cards.filter((card) => card.kind === "report")).toHaveLength(result.summary.reports.length);
    expect(data.cards.filter((card) => card.kind === "quest")).toHaveLength(result.summary.narrative.quests.length);
    // Self-contained: no external script, stylesheet or image.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(result.summary.files).toContain("index.html");
  });

  test("page cards come from whatever reports and quests the summary carries", () => {
    const summary = {
      ...result.summary,
      narrative: { ...result.summary.narrative, quests: [] },
      reports: [{ localDate: "2026-04-12", title: "Week one", summary: "Sleep and stress." }],
      quests: [{ day: 3, name: "First run" }, "junk"],
    };
    expect(pageData(summary, []).cards).toEqual([
      { day: 3, kind: "quest", title: "First run", body: "" },
      { day: 7, kind: "report", title: "Week one", body: "Sleep and stress." },
    ]);
  });

  test("check-ins every day; the reports of days 2, 4, … 12 and 7, each as JSON and SVG", async () => {
    const { summary } = result;
    expect(summary.checkins).toBe(2 * DAYS);
    expect(summary.reports.map((r) => `${r.type}@${r.lastDate}`)).toEqual([
      "two_day@2026-04-07",
      "two_day@2026-04-09",
      "two_day@2026-04-11",
      "seven_day@2026-04-12",
      "two_day@2026-04-13",
      "two_day@2026-04-15",
      "two_day@2026-04-17",
    ]);
    expect(summary.reports.every((r) => r.narrativeStatus === "written")).toBe(true);
    const week = summary.reports.find((r) => r.type === "seven_day");
    const stored = JSON.parse(readFileSync(join(outDir, week!.json), "utf8")) as { _id: string; stats: { energy: { count: number } } };
    expect(stored.stats.energy.count).toBe(7);
    const svg = readFileSync(join(outDir, week!.svg), "utf8");
    assertWellFormedXml(svg);
    expect(svg.trim()).toBe(await result.user.query(api.reports.chart, { reportId: stored._id as Id<"reports"> }));
    expect(count(svg, /width="6" height="6"/g)).toBe(7); // one mark per energy reading
  });

  test("constellation.svg draws one circle per non-dormant star; both SVGs are well-formed", async () => {
    const constellation = readFileSync(join(outDir, "constellation.svg"), "utf8");
    const trajectory = readFileSync(join(outDir, "trajectory.svg"), "utf8");
    assertWellFormedXml(constellation);
    assertWellFormedXml(trajectory);
    const { stars } = await result.user.query(api.stars.constellation, {});
    expect(stars.every((star) => star.type !== "dormant")).toBe(true);
    expect(count(constellation, /<circle class="star /g)).toBe(stars.length);
  });
});
