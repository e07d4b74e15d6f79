// @vitest-environment node
// The demo page in a real browser: `npm run demo` writes demo-output/index.html, headless
// Chromium (Debian's `chromium`, driven by playwright-core) opens it offline, moves the day
// slider and checks what a person would see. Node environment: playwright drives a child
// process over pipes, which the edge runtime cannot.
//
// Locally without a chromium binary this suite is skipped with a message; in CI (CI set) a
// missing browser fails it, since .ci/run installs one.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DemoFrame } from "../../demo/frames";
import type { PageData } from "../../demo/page";
import type { DemoSummary } from "../../demo/scenario";
import { REPO_ROOT } from "../../demo/backend";

const OUT_DIR = join(REPO_ROOT, "demo-output");
const PAGE = join(OUT_DIR, "index.html");
const SCREENSHOT = join(OUT_DIR, "demo-page.png");

/** CHROMIUM_PATH, or the first browser found where Debian and other distributions put it. */
function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  return candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path));
}

const executablePath = chromiumPath();
const inCI = Boolean(process.env.CI);
if (executablePath === undefined && !inCI) {
  console.warn(
    "tests/browser/demoPage.test.ts: SKIPPED, no chromium binary found (apt-get install chromium, or set CHROMIUM_PATH). CI never skips it.",
  );
}

/** The page's embedded data, read straight from the file (independent of the page script). */
function embeddedData(html: string): PageData {
  const match = /<script type="application\/json" id="demo-data">([\s\S]*?)<\/script>/.exec(html);
  if (match === null) throw new Error("index.html has no #demo-data");
  return JSON.parse(match[1]) as PageData;
}

describe.skipIf(executablePath === undefined && !inCI)("the demo page in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  let summary: DemoSummary;
  let data: PageData;
  const consoleErrors: string[] = [];
  const networkRequests: string[] = [];

  beforeAll(async () => {
    if (executablePath === undefined) {
      throw new Error("no chromium binary (CI is set): .ci/run installs Debian's chromium; or set CHROMIUM_PATH");
    }
    // Exactly the README's command; the scripted model, whatever the caller's environment.
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    await promisify(execFile)("npm", ["run", "demo"], { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 });
    summary = JSON.parse(readFileSync(join(OUT_DIR, "summary.json"), "utf8")) as DemoSummary;
    data = embeddedData(readFileSync(PAGE, "utf8"));

    browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
    // Offline: the page must need nothing but itself.
    const context = await browser.newContext({ offline: true, viewport: { width: 1440, height: 1240 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    page.on("request", (request) => {
      if (!request.url().startsWith("file:") && !request.url().startsWith("data:")) networkRequests.push(request.url());
    });
    await page.goto(`file://${PAGE}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  const starsDrawn = () => page.locator("#constellation circle.star").count();

  async function moveSliderTo(key: "Home" | "End" | "ArrowRight" | "ArrowLeft"): Promise<void> {
    await page.locator("#day").focus();
    await page.keyboard.press(key);
  }

  test("opens on the last night with the summary's stars", async () => {
    expect(summary.days).toBeGreaterThan(1);
    await expect.poll(() => page.locator("#day-label").textContent()).toBe(`Day ${summary.days} of ${summary.days}, ${summary.lastDate}`);
    expect(await starsDrawn()).toBe(summary.constellation.stars);
    expect(data.frames).toHaveLength(summary.days);
  });

  test("the slider redraws each night: day 1 and the last day draw the demo's star counts", async () => {
    await moveSliderTo("Home");
    expect(await page.locator("#day-label").textContent()).toBe(`Day 1 of ${summary.days}, ${summary.firstDate}`);
    expect(await starsDrawn()).toBe(summary.daily[0].stars);
    expect(await page.locator("#constellation line.connection").count()).toBe(summary.daily[0].connections);
    // The first mirror conversation, in reading order.
    const messages = page.locator("#conversation .message");
    expect(await messages.count()).toBe(6);
    expect(await messages.first().textContent()).toContain("I haven't slept properly in weeks");
    // The trajectory marks the chosen night.
    expect(await page.locator("#trajectory .day-marker-label").textContent()).toBe("day 1");

    await moveSliderTo("ArrowRight");
    expect(await page.locator("#day-label").textContent()).toMatch(/^Day 2 of /);
    expect(await starsDrawn()).toBe(summary.daily[1].stars);

    await moveSliderTo("End");
    const last = summary.daily[summary.daily.length - 1];
    expect(await starsDrawn()).toBe(last.stars);
    expect(await starsDrawn()).toBe(summary.constellation.stars);
    expect(await page.locator("#constellation line.connection").count()).toBe(summary.constellation.connections);
    expect(await page.locator("#trajectory .day-marker-label").textContent()).toBe(`day ${summary.days}`);
  });

  test("hovering a star shows its label, type, brightness and connections", async () => {
    const frame: DemoFrame = data.frames[data.frames.length - 1];
    // The brightest star: the largest disc, the easiest to point at.
    const star = [...frame.stars].sort((a, b) => b.brightness - a.brightness)[0];
    const degree = frame.connections.filter((c) => c.starA === star._id || c.starB === star._id).length;
    await page.locator(`#constellation circle.star[data-star-id="${star._id}"]`).hover();
    const tooltip = page.locator("#tooltip");
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    const text = (await tooltip.textContent()) ?? "";
    expect(text).toContain(star.label);
    expect(text).toContain(`${star.type} ${star.domain} star, brightness ${star.brightness.toFixed(2)}`);
    expect(text).toContain(degree === 0 ? "no connections" : `${degree} connection${degree === 1 ? "" : "s"}:`);
    expect(await tooltip.locator("li").count()).toBe(degree);
    // Kept for the README (a copy is committed as docs/demo-page.png).
    await page.screenshot({ path: SCREENSHOT });
    if (process.env.UPDATE_DOCS_SCREENSHOT) copyFileSync(SCREENSHOT, join(REPO_ROOT, "docs", "demo-page.png"));
  });

  test("no console errors, and nothing was fetched from the network", () => {
    expect(consoleErrors).toEqual([]);
    expect(networkRequests).toEqual([]);
  });
});
