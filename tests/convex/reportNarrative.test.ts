// A report's narrative (MECHANICS §9): written by the model after the statistics, against the
// loopback OpenAI server (tests/support/openaiServer.ts, the real SDK over real HTTP, never a
// mock); retried a bounded number of times; its failure leaves the numbers exactly as they
// are. Real timers (see tests/convex/pipeline.test.ts for why); retries are made immediate
// by pinning the backoff's jitter.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Doc, Id } from "../../convex/_generated/dataModel";
import { addDays, startOfLocalDate } from "../../src/time";
import { createUser, type Backend, newBackend } from "../setup";
import { DEFAULT_USAGE, startOpenAIServer, type OpenAIServer } from "../support/openaiServer";
import { rows } from "../support/trajectory";
import { patchSchedule } from "../support/userState";

const ENV_KEYS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_TIMEOUT_MS", "EXTRACTION_BACKOFF_JITTER"];
let server: OpenAIServer;
let savedEnv: Record<string, string | undefined>;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  process.env.OPENAI_API_KEY = "test-key";
  process.env.OPENAI_BASE_URL = server.baseURL;
  process.env.OPENAI_TIMEOUT_MS = "5000";
  process.env.EXTRACTION_BACKOFF_JITTER = "0";
});
afterEach(() => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function settle(t: Backend): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await t.finishAllScheduledFunctions(() => {});
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(jobs.filter((job) => job.state.kind === "failed").map((job) => job.name)).toEqual([]);
    if (!jobs.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    if (Date.now() > deadline) throw new Error("settle: scheduled functions still open after 20 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const TZ = "UTC";
const FIRST = "2026-09-01";

/** A user on day 2 with two energy readings and a completed conversation with a summary. */
async function dayTwoUser(t: Backend) {
  const user = await createUser(t, { timezone: TZ });
  await t.run(async (ctx) => {
    const noon = (date: string) => startOfLocalDate(date, TZ) + 12 * 3_600_000;
    await ctx.db.patch("users", user.userId, { createdAt: noon(FIRST) });
    await patchSchedule(ctx, user.userId, { nextDailyAt: startOfLocalDate(addDays(FIRST, 1), TZ) });
    await ctx.db.insert("checkins", { userId: user.userId, kind: "energy", localDate: FIRST, createdAt: noon(FIRST), level: 4 });
    await ctx.db.insert("checkins", { userId: user.userId, kind: "energy", localDate: "2026-09-02", createdAt: noon("2026-09-02"), level: 7 });
    await ctx.db.insert("conversations", {
      userId: user.userId,
      phase: "walk",
      status: "completed",
      title: "Evening walk",
      summary: "Talked about walking after dinner instead of scrolling.",
      messageCount: 4,
      userMessageCount: 2,
      startedAt: noon("2026-09-02"),
      lastMessageAt: noon("2026-09-02"),
      completedAt: noon("2026-09-02") + 60_000,
    });
  });
  return user;
}

/** The rollover closing day 2, with real timers: the report, its steps and the narrative. */
async function closeDayTwo(t: Backend): Promise<Doc<"reports">> {
  const now = startOfLocalDate("2026-09-03", TZ) + 23 * 60_000;
  await t.mutation(internal.jobs.dailyRollover, { now });
  await settle(t);
  const reports = await rows(t, "reports");
  expect(reports).toHaveLength(1);
  return reports[0];
}

const NUMBERS = { energy: { count: 2, mean: 5.5, first: 4, last: 7 }, consistency: 0 };

describe("the narrative", () => {
  it("arrives after the numbers, from the statistics and the window's summaries", async () => {
    const t = newBackend();
    const { as } = await dayTwoUser(t);
    server.enqueue({ json: { narrative: "  Your energy climbed from 4 to 7, and the evening walk helped.  " } });
    const report = await closeDayTwo(t);
    expect(report).toMatchObject({
      status: "ready",
      narrativeStatus: "written",
      narrative: "Your energy climbed from 4 to 7, and the evening walk helped.",
      narrativeAttempts: 1,
      tokenUsage: { promptTokens: DEFAULT_USAGE.prompt_tokens, completionTokens: DEFAULT_USAGE.completion_tokens, totalTokens: DEFAULT_USAGE.total_tokens },
    });
    expect(report.stats).toMatchObject(NUMBERS);
    // One request, with the strict narrative format, the statistics and the summary as data.
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0].body as { messages: { role: string; content: string }[]; response_format: { json_schema: { name: string; strict: boolean } } };
    expect(body.response_format.json_schema).toMatchObject({ name: "tars_report_narrative", strict: true });
    expect(body.messages[0].role).toBe("system");
    expect(body.messages[0].content).toContain("last two days");
    expect(body.messages[1].content).toMatch(/^CONTEXT DATA/);
    expect(body.messages[1].content).toContain('"energy":{"count":2,"first":4,"last":7,"mean":5.5}');
    expect(body.messages[1].content).toContain("walking after dinner instead of scrolling");
    const view = await as.query(api.reports.get, { reportId: report._id });
    expect(view.narrative).toBe("Your energy climbed from 4 to 7, and the evening walk helped.");
  });

  it("fails after three retryable failures: no narrative, status failed, the numbers untouched", async () => {
    const t = newBackend();
    await dayTwoUser(t);
    server.enqueue({ status: 500 }, { status: 503 }, { raw: "not json" });
    const report = await closeDayTwo(t);
    expect(server.requests).toHaveLength(3);
    expect(report).toMatchObject({ status: "ready", narrativeStatus: "failed", narrativeAttempts: 3, narrativeReason: "malformed: invalid JSON" });
    expect(report.narrative).toBeUndefined();
    expect(report.stats).toMatchObject(NUMBERS);
    expect(report.tokenUsage?.totalTokens).toBe(DEFAULT_USAGE.total_tokens); // only the malformed answer was billed
  });

  it("a final failure (401) stops at once; a replayed attempt changes nothing", async () => {
    const t = newBackend();
    await dayTwoUser(t);
    server.enqueue({ status: 401 });
    const report = await closeDayTwo(t);
    expect(server.requests).toHaveLength(1);
    expect(report).toMatchObject({ narrativeStatus: "failed", narrativeAttempts: 1 });
    await t.action(internal.reports.narrate, { reportId: report._id as Id<"reports">, attempt: 1 });
    await t.action(internal.reports.narrate, { reportId: report._id as Id<"reports">, attempt: 2 });
    expect(server.requests).toHaveLength(1);
    expect((await rows(t, "reports"))[0]).toEqual(report);
  });

  it("without a model the narrative is skipped and nothing is called", async () => {
    delete process.env.OPENAI_API_KEY;
    const t = newBackend();
    await dayTwoUser(t);
    const report = await closeDayTwo(t);
    expect(report).toMatchObject({ status: "ready", narrativeStatus: "skipped", narrativeReason: "no model configured" });
    expect(report.stats).toMatchObject(NUMBERS);
    expect(server.requests).toHaveLength(0);
  });
});
