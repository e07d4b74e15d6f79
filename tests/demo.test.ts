// The demo is part of the suite so it cannot rot: a shortened month runs through the real
// functions, and its outputs are checked against what the backend answers afterwards.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { renderConstellation, renderTrajectory, type ConstellationStar } from "../demo/render";
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
    // 7 mirror days × 3 turns, 1 discovery turn, check-ins of 2 turns on days 9 and 12.
    expect(summary.messages.sent).toBe(7 * 3 + 1 + 2 * 2);
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
