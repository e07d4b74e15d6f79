// The showcase: one person's first month, driven through the real Convex functions on
// convex-test's in-memory backend. Every write goes through the product's own API (the
// signed Clerk webhook, public mutations as the signed-in user, the pipeline's scheduled
// actions against an OpenAI-compatible server, the cron targets each night), so what the
// pictures show is what the backend computed.
//
// Time: a simulated clock (clock.ts) starts on Monday 2026-04-06 in Europe/Berlin (no DST
// change inside the month) and moves only when the scenario says so: morning, midday,
// evening, then just past local midnight for the nightly jobs. Scheduled functions due at
// the same instant run at once; those due later (experiment expiry at local midnight) run
// when the clock passes them.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "svix";
import { api, internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import type { ReportView } from "../convex/reports";
import { CONNECTION_TYPES, REPORT_TYPES, STAR_TYPES, type ConnectionType, type StarType } from "../src/domain";
import { dueReportTypes } from "../src/mechanics/reflection";
import { HOUR, MINUTE, addDays, daysBetween, localDate, startOfLocalDate } from "../src/time";
import { newBackend, type Backend } from "./backend";
import { installSimClock, type SimClock } from "./clock";
import { captureFrame, type DemoFrame } from "./frames";
import { experimentAnswer, indexStars, startDemoModel, turnAnswer, type DemoModel, type ModelEnv } from "./model";
import { renderDemoPage } from "./page";
import { renderConstellation, renderTrajectory, type TrajectoryPoint } from "./render";
import {
  DISCOVERY,
  ENERGY_BY_DAY,
  EXPERIMENTS,
  FEELINGS,
  JOURNEY,
  MIRROR_DAYS,
  MISSIONS,
  PERSONA,
  SECOND_CHARACTER,
  SECOND_CHARACTER_CLOSING,
  WALK_CHECKINS,
  scriptedNarrative,
  type ScriptedConversation,
} from "./script";

export const DEMO_START_DATE = "2026-04-06";
export const DEFAULT_DAYS = 30;
/** The demo's own signing secret: the webhook is verified for real, with this key. */
const DEMO_WEBHOOK_SECRET = `whsec_${btoa("lodestar-demo-signing-secret-01")}`;

export type DemoOptions = {
  days?: number;
  outDir: string;
  log?: (line: string) => void;
  /** Use this OpenAI-compatible server (a real model) instead of the scripted one. */
  openaiBaseURL?: string;
  /**
   * Ask the real model (OPENAI_API_KEY, OPENAI_MODEL, OPENAI_BASE_URL from the environment)
   * instead of the scripted answers. Off by default, so tests never call out.
   */
  useRealModel?: boolean;
};

export type DayLine = {
  day: number;
  date: string;
  phase: string;
  mirrorDay: number;
  stars: number;
  connections: number;
  streak: number;
  escapeIndex: number | null;
  /** The story (MECHANICS §10): chapter, quests revealed and completed so far. */
  chapter: number;
  questsRevealed: number;
  questsCompleted: number;
};

export type DemoSummary = {
  persona: { name: string; timezone: string };
  days: number;
  firstDate: string;
  lastDate: string;
  model: { mode: "scripted" | "real"; requests: number };
  account: { createdBy: "clerk-webhook"; webhookStatus: number; phase: string; mirrorDay: number; essence: number };
  constellation: {
    stars: number;
    connections: number;
    byType: Record<StarType, number>;
    byConnectionType: Record<ConnectionType, number>;
  };
  messages: { sent: number };
  skills: { name: string; mean: number; confidence: number; evidenceCount: number }[];
  growthProfile: Record<string, number>;
  journey: { status: string; velocity: number; momentum: number; milestonesReached: number; milestones: number } | null;
  experiments: { offered: number; completed: number; skipped: number; expired: number; open: number };
  missions: { completed: number; streakDays: number; lastActiveDate: string | null; essence: number; daysWithProgress: number };
  growth: { activeDimensions: string[]; rulesVersion: string };
  lifeState: {
    snapshots: number;
    current: { localDate: string; thrust: number; alignment: number; gravity: number; mass: number; escapeIndex: number } | null;
  };
  trajectory: (TrajectoryPoint & { localDate: string })[];
  /** MECHANICS §10: the characters Maya talked with and the story's state at the end. */
  companions: { character: string; name: string; interactions: number; level: number; tier: string; conversations: number }[];
  narrative: {
    scenario: string;
    chapter: number;
    chapterTitle: string;
    quests: { questKey: string; chapter: number; title: string; status: string; revealedOn: string; completedOn: string | null }[];
    events: { kind: string; title: string; date: string }[];
  };
  checkins: number;
  reports: DemoReport[];
  warnings: string[];
  daily: DayLine[];
  files: string[];
};

export type DemoReport = {
  type: string;
  firstDate: string;
  lastDate: string;
  dayNumber: number;
  consistency: number | null;
  narrativeStatus: string;
  json: string;
  svg: string;
};

export type DemoResult = {
  summary: DemoSummary;
  /** The backend after the run, for callers that check the summary against live queries. */
  t: Backend;
  userId: Id<"users">;
  user: ReturnType<Backend["withIdentity"]>;
};

type Ctx = {
  t: Backend;
  user: ReturnType<Backend["withIdentity"]>;
  userId: Id<"users">;
  clock: SimClock;
  model: DemoModel;
  timezone: string;
  messagesSent: number;
  journeyId: Id<"journeys"> | null;
  missionsCompleted: number;
  questMissionsCompleted: number;
  conversationsBy: Record<string, number>;
  warnings: string[];
  /** The first turn whose prompt carried a memory from at least a week before (semantic memory, issue 14). */
  weekOldRecall: { date: string; memoryDate: string; text: string } | null;
};

/** Runs scheduled work started at this instant (pipeline actions, job fan-out) to the end. */
async function settle(t: Backend): Promise<void> {
  await t.finishAllScheduledFunctions(() => {});
}

/** Local wall-clock time on simulated day `day` (1-based). */
function at(timezone: string, day: number, hours: number, minutes = 0): number {
  return startOfLocalDate(addDays(DEMO_START_DATE, day - 1), timezone) + hours * HOUR + minutes * MINUTE;
}

function withEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

// ---------------------------------------------------------------------------------------
// Steps

/** Clerk creates the account: a `user.created` event, svix-signed, through the HTTP route. */
async function signUpThroughClerk(t: Backend): Promise<number> {
  const now = Date.now();
  const emailId = `idn_${PERSONA.clerkId}`;
  const body = JSON.stringify({
    type: "user.created",
    object: "event",
    timestamp: now,
    data: {
      id: PERSONA.clerkId,
      object: "user",
      email_addresses: [{ id: emailId, email_address: PERSONA.email }],
      primary_email_address_id: emailId,
      first_name: PERSONA.firstName,
      last_name: PERSONA.lastName,
      created_at: now,
      updated_at: now,
    },
  });
  const svixId = `msg_demo_${now.toString(36)}`;
  const timestamp = new Date(now);
  const signature = new Webhook(DEMO_WEBHOOK_SECRET).sign(svixId, timestamp, body);
  const response = await t.fetch("/clerk-users-webhook", {
    method: "POST",
    headers: {
      "svix-id": svixId,
      "svix-timestamp": String(Math.floor(now / 1000)),
      "svix-signature": signature,
      "content-type": "application/json",
    },
    body,
  });
  return response.status;
}

async function knownStars(ctx: Ctx) {
  const { stars } = await ctx.user.query(api.stars.constellation, {});
  return indexStars(stars);
}

/**
 * One conversation through the product: start it, send each user turn (messages.send
 * stores it and schedules the extraction action, which asks the model for the reply and
 * the extraction and applies them in one mutation), then complete it (a mirror conversation
 * with three user messages advances the mirror day). Offline, the scripted server is told
 * the answer just before each send, with the star ids the pipeline will show the model.
 */
async function converse(ctx: Ctx, conversation: ScriptedConversation): Promise<void> {
  const character = conversation.character;
  const conversationId = await ctx.user.mutation(api.conversations.start, { phase: conversation.phase, character });
  const key = character ?? "tars";
  ctx.conversationsBy[key] = (ctx.conversationsBy[key] ?? 0) + 1;
  for (const turn of conversation.turns) {
    if (ctx.model.mode === "scripted") {
      ctx.model.server.enqueue({ json: turnAnswer(turn, await knownStars(ctx)) });
    }
    const messageId = await ctx.user.mutation(api.messages.send, { conversationId, content: turn.user });
    await settle(ctx.t);
    ctx.messagesSent += 1;
    noteWeekOldRecall(ctx);
    const { page } = await ctx.user.query(api.messages.list, { conversationId, paginationOpts: { numItems: 4, cursor: null } });
    const status = page.find((message) => message._id === messageId)?.extraction?.status;
    if (status !== "done") ctx.warnings.push(`message "${turn.user.slice(0, 40)}...": extraction ${status ?? "missing"}`);
    await ctx.clock.advanceTo(ctx.clock.now() + 3 * MINUTE);
  }
  await ctx.user.mutation(api.conversations.complete, { conversationId });
  // The completion schedules the conversation's summary (summaries.ts): let it finish before the clock moves on.
  await settle(ctx.t);
}

/** Remembers the first prompt that carried a recalled memory dated a week or more before today. */
function noteWeekOldRecall(ctx: Ctx): void {
  if (ctx.model.mode !== "scripted" || ctx.weekOldRecall !== null) return;
  const body = ctx.model.server.requests.at(-1)?.body as { messages?: { content?: unknown }[] } | undefined;
  const data = String(body?.messages?.[1]?.content ?? "");
  let memories: { date: string; text: string; kind?: string }[] = [];
  try {
    memories = (JSON.parse(data.slice(data.indexOf("\n") + 1)) as { memories?: typeof memories }).memories ?? [];
  } catch {
    return; // not a turn's context (never expected): nothing to note
  }
  const today = localDate(ctx.clock.now(), ctx.timezone);
  const weekAgo = addDays(today, -7);
  const old = memories.find((memory) => memory.kind !== undefined && memory.date <= weekAgo);
  if (old !== undefined) ctx.weekOldRecall = { date: today, memoryDate: old.date, text: old.text };
}

/**
 * The crons' targets, called as the crons would (crons.ts): star decay and drain, the daily
 * rollover (velocity, momentum and the LifeState snapshot of users whose local date has
 * turned), the experiment expiry sweep, snapshot pruning, conversation retention and the
 * idle-conversation job. Each
 * fans out through the scheduler; settle() runs the fan-out to the end.
 */
async function nightlyJobs(ctx: Ctx): Promise<void> {
  await ctx.t.mutation(internal.decay.run, {});
  await ctx.t.mutation(internal.jobs.dailyRollover, {});
  await ctx.t.mutation(internal.jobs.expireExperiments, {});
  await ctx.t.mutation(internal.jobs.pruneLifeStates, {});
  await ctx.t.mutation(internal.jobs.archiveConversations, {});
  await ctx.t.mutation(internal.conversations.abandonIdle, {});
  await settle(ctx.t);
}

/** Day 8: the North Star, three milestones (the first plots the journey), and the start. */
async function plotJourney(ctx: Ctx): Promise<void> {
  const journeyId = await ctx.user.mutation(api.journeys.create, {
    northStar: JOURNEY.northStar,
    domainWeights: JOURNEY.domainWeights,
  });
  for (const milestone of JOURNEY.milestones) {
    await ctx.user.mutation(api.journeys.addMilestone, { journeyId, ...milestone });
  }
  await ctx.user.mutation(api.journeys.start, { journeyId });
  ctx.journeyId = journeyId;
}

type ExperimentOutcome = "complete" | "skip" | "leave";

/** Most days she does the experiment; she skips one every fourth day and forgets one a week. */
export function experimentOutcome(day: number): ExperimentOutcome {
  if (day % 7 === 4) return "leave";
  if (day % 4 === 2) return "skip";
  return "complete";
}

/** Morning: today's experiment is asked for (the generator action runs on the model). */
async function offerExperiment(ctx: Ctx, journeyId: Id<"journeys">, day: number): Promise<Id<"experiments"> | null> {
  if (ctx.model.mode === "scripted") {
    const script = EXPERIMENTS[(day - 1) % EXPERIMENTS.length];
    ctx.model.server.enqueue({ json: experimentAnswer(script, await knownStars(ctx)) });
  }
  await ctx.user.mutation(api.experiments.offerToday, { journeyId });
  await settle(ctx.t);
  const { experiment, generating } = await ctx.user.query(api.experiments.today, { journeyId });
  if (experiment === null || generating || experiment.offeredDate !== localDate(ctx.clock.now(), ctx.timezone)) {
    ctx.warnings.push(`day ${day}: no experiment was stored`);
    return null;
  }
  return experiment._id;
}

/** Evening: the experiment is done (with a reflection), skipped, or left to expire. */
async function closeExperiment(ctx: Ctx, experimentId: Id<"experiments">, day: number): Promise<void> {
  const outcome = experimentOutcome(day);
  if (outcome === "leave") return; // expires at local midnight (scheduler.runAt)
  if (outcome === "skip") {
    await ctx.user.mutation(api.experiments.skip, { experimentId });
    return;
  }
  await ctx.user.mutation(api.experiments.accept, { experimentId });
  await ctx.user.mutation(api.experiments.complete, {
    experimentId,
    reflection: day % 2 === 0 ? "Easier than I expected." : "Hard to start, good once I did.",
  });
}

/** Missions start on day 2; day 5 is missed (the streak breaks), then every day counts. */
export function missionsFor(day: number): (typeof MISSIONS)[number][] {
  if (day < 2 || day === 5) return [];
  const daily = MISSIONS[day % MISSIONS.length];
  // On check-in days she also runs.
  return day % 3 === 0 && daily.title !== "Run" ? [daily, MISSIONS[2]] : [daily];
}

/** Morning: the day's missions are created and started. */
async function startMissions(ctx: Ctx, day: number): Promise<Id<"missions">[]> {
  const ids: Id<"missions">[] = [];
  for (const mission of missionsFor(day)) {
    const created = await ctx.user.mutation(api.missions.create, mission);
    await ctx.user.mutation(api.missions.start, { missionId: created._id });
    ids.push(created._id);
  }
  return ids;
}

/** Evening: each is completed (essence, growth, the day's progress and the streak). */
async function completeMissions(ctx: Ctx, missionIds: readonly Id<"missions">[]): Promise<void> {
  for (const missionId of missionIds) {
    await ctx.user.mutation(api.missions.complete, { missionId });
    ctx.missionsCompleted += 1;
  }
}

/**
 * Morning, on a mission day: the quests the nightly rollover revealed (MECHANICS §10) are
 * ordinary missions; Maya starts the pending ones and completes them in the evening with
 * the rest, which also writes the story's events (and may open the next chapter).
 */
async function startQuestMissions(ctx: Ctx, day: number): Promise<Id<"missions">[]> {
  if (missionsFor(day).length === 0) return []; // a missed day stays missed
  const { quests } = await ctx.user.query(api.narrative.mine, {});
  const ids: Id<"missions">[] = [];
  for (const quest of quests.filter((q) => q.status === "pending")) {
    await ctx.user.mutation(api.missions.start, { missionId: quest.missionId });
    ids.push(quest.missionId);
  }
  return ids;
}

async function completeQuestMissions(ctx: Ctx, missionIds: readonly Id<"missions">[]): Promise<void> {
  for (const missionId of missionIds) {
    await ctx.user.mutation(api.missions.complete, { missionId });
    ctx.questMissionsCompleted += 1;
  }
}

/** A walk check-in, with the second character on the days it takes over. */
function checkIn(day: number): ScriptedConversation {
  const conversation = WALK_CHECKINS[(day / 3) % WALK_CHECKINS.length];
  const second = day >= SECOND_CHARACTER.fromDay && day <= SECOND_CHARACTER.toDay;
  if (!second) return conversation;
  return { ...conversation, character: SECOND_CHARACTER.key, turns: [...conversation.turns, SECOND_CHARACTER_CLOSING] };
}

/** Milestones reached on days 16 and 24 (the third stays ahead: the journey keeps walking). */
const MILESTONE_DAYS: Record<number, string> = { 16: "m1", 24: "m2" };

async function dayLine(ctx: Ctx, day: number): Promise<DayLine> {
  const me = await ctx.user.query(api.users.me, {});
  const { stars, connections } = await ctx.user.query(api.stars.constellation, {});
  const state = await ctx.user.query(api.lifeStates.current, {});
  // Read just after midnight: yesterday's completion keeps the streak alive.
  const { streakDays } = await ctx.user.query(api.progress.streak, { now: ctx.clock.now() });
  const narrative = await ctx.user.query(api.narrative.mine, {});
  return {
    day,
    date: addDays(DEMO_START_DATE, day - 1),
    phase: me?.currentPhase ?? "none",
    mirrorDay: me?.mirrorDay ?? 0,
    stars: stars.length,
    connections: connections.length,
    streak: streakDays,
    escapeIndex: state?.escapeIndex ?? null,
    chapter: narrative.chapter,
    questsRevealed: narrative.quests.length,
    questsCompleted: narrative.quests.filter((quest) => quest.status === "completed").length,
  };
}

export function formatDayLine(line: DayLine): string {
  const eta = line.escapeIndex === null ? "  -  " : line.escapeIndex.toFixed(2).padStart(5);
  return (
    `day ${String(line.day).padStart(2)}  ${line.date}  ${line.phase.padEnd(11)} mirror ${line.mirrorDay}/7  ` +
    `stars ${String(line.stars).padStart(2)}  connections ${String(line.connections).padStart(2)}  ` +
    `streak ${String(line.streak).padStart(2)}  η ${eta}  ` +
    `chapter ${line.chapter} quests ${line.questsCompleted}/${line.questsRevealed}`
  );
}

// ---------------------------------------------------------------------------------------
// The run

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const days = Math.max(1, Math.floor(options.days ?? DEFAULT_DAYS));
  const log = options.log ?? (() => {});
  const timezone = PERSONA.timezone;
  const { model, env } = await startDemoModel({
    real: options.useRealModel ?? false,
    openaiBaseURL: options.openaiBaseURL,
    env: { OPENAI_API_KEY: process.env.OPENAI_API_KEY, OPENAI_BASE_URL: process.env.OPENAI_BASE_URL, OPENAI_MODEL: process.env.OPENAI_MODEL } satisfies ModelEnv,
  });
  const restoreEnv = withEnv({ CLERK_WEBHOOK_SIGNING_SECRET: DEMO_WEBHOOK_SECRET, ...env });
  let clock: SimClock | undefined;
  try {
    const t = newBackend();
    clock = installSimClock({ start: at(timezone, 1, 8), settle: () => settle(t) });

    const webhookStatus = await signUpThroughClerk(t);
    if (webhookStatus !== 200) throw new Error(`the Clerk webhook answered ${webhookStatus}`);
    const user = t.withIdentity({
      subject: PERSONA.clerkId,
      email: PERSONA.email,
      name: `${PERSONA.firstName} ${PERSONA.lastName}`,
      issuer: "https://clerk.demo",
    });
    const me = await user.query(api.users.me, {});
    if (me === null) throw new Error("the webhook did not create the account");
    await user.mutation(api.users.updateSettings, { timezone });
    await t.mutation(internal.skills.seed, {});
    await t.mutation(internal.characters.seed, {});
    const ctx: Ctx = {
      t,
      user,
      userId: me._id,
      clock,
      model,
      timezone,
      messagesSent: 0,
      journeyId: null,
      missionsCompleted: 0,
      questMissionsCompleted: 0,
      conversationsBy: {},
      warnings: [],
      weekOldRecall: null,
    };
    let recallPrinted = false;

    const daily: DayLine[] = [];
    const frames: DemoFrame[] = [];
    for (let day = 1; day <= days; day++) {
      await clock.advanceTo(Math.max(clock.now(), at(timezone, day, 8)));
      const walking = ctx.journeyId !== null;
      const experimentId = ctx.journeyId !== null ? await offerExperiment(ctx, ctx.journeyId, day) : null;
      const missionIds = await startMissions(ctx, day);
      const questMissionIds = await startQuestMissions(ctx, day);
      await ctx.user.mutation(api.checkins.logEnergy, { level: ENERGY_BY_DAY[(day - 1) % ENERGY_BY_DAY.length] });
      await clock.advanceTo(at(timezone, day, 12, 30));
      if (day <= MIRROR_DAYS.length) {
        await converse(ctx, MIRROR_DAYS[day - 1]);
      } else if (day === MIRROR_DAYS.length + 1) {
        await converse(ctx, DISCOVERY);
        await plotJourney(ctx);
      } else if (walking && day % 3 === 0) {
        await converse(ctx, checkIn(day));
      }
      await clock.advanceTo(at(timezone, day, 19));
      if (experimentId !== null) await closeExperiment(ctx, experimentId, day);
      await completeMissions(ctx, missionIds);
      await completeQuestMissions(ctx, questMissionIds);
      await ctx.user.mutation(api.checkins.logEmotion, FEELINGS[(day - 1) % FEELINGS.length]);
      const milestone = MILESTONE_DAYS[day];
      if (ctx.journeyId !== null && milestone !== undefined) {
        await ctx.user.mutation(api.journeys.reachMilestone, { journeyId: ctx.journeyId, milestoneId: milestone });
      }
      // Just past local midnight: expiries fire (runAt), then the nightly jobs.
      await clock.advanceTo(at(timezone, day + 1, 0, 30));
      // Tonight's reports (every date of the month has check-ins): one narrative each.
      if (ctx.model.mode === "scripted") {
        const due = dueReportTypes(DEMO_START_DATE, addDays(DEMO_START_DATE, day - 1));
        ctx.model.server.enqueue(...due.map(() => ({ json: { narrative: scriptedNarrative(day) } })));
      }
      await nightlyJobs(ctx);
      const line = await dayLine(ctx, day);
      daily.push(line);
      frames.push(
        await captureFrame(user, { day, date: line.date, timezone, now: clock.now(), journeyId: ctx.journeyId, streak: line.streak }),
      );
      log(formatDayLine(line));
      if (ctx.weekOldRecall !== null && !recallPrinted) {
        recallPrinted = true;
        const { date, memoryDate, text } = ctx.weekOldRecall;
        log(`  the coach remembers: on ${date} the prompt carried the user's words of ${memoryDate}: "${text}"`);
      }
    }

    const reports = await monthReports(ctx);
    const summary = await summarize(ctx, { days, daily, webhookStatus, reports: reports.map((r) => r.entry) });
    writeOutputs(options.outDir, summary, await ctx.user.query(api.stars.constellation, {}), frames, reports);
    return { summary, t, userId: ctx.userId, user };
  } finally {
    clock?.uninstall();
    restoreEnv();
    await model.close();
  }
}

function countBy<K extends string>(keys: readonly K[], values: readonly K[]): Record<K, number> {
  const counts = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (const value of values) counts[value] += 1;
  return counts;
}

type WrittenReport = { entry: DemoReport; view: ReportView; svg: string };

/** Every report the month wrote, oldest window first, with its picture. */
async function monthReports(ctx: Ctx): Promise<WrittenReport[]> {
  const out: WrittenReport[] = [];
  for (const type of REPORT_TYPES) {
    const { page } = await ctx.user.query(api.reports.list, { type, paginationOpts: { numItems: 100, cursor: null } });
    for (const view of page) {
      const svg = await ctx.user.query(api.reports.chart, { reportId: view._id });
      if (svg === null) continue;
      const name = `reports/${type}-${view.lastDate}`;
      out.push({
        view,
        svg,
        entry: {
          type,
          firstDate: view.firstDate,
          lastDate: view.lastDate,
          dayNumber: view.dayNumber,
          consistency: view.stats?.consistency ?? null,
          narrativeStatus: view.narrativeStatus,
          json: `${name}.json`,
          svg: `${name}.svg`,
        },
      });
    }
  }
  return out.sort((a, b) => a.view.lastDate.localeCompare(b.view.lastDate) || a.view.dayNumber - b.view.dayNumber);
}

async function summarize(
  ctx: Ctx,
  run: { days: number; daily: DayLine[]; webhookStatus: number; reports: DemoReport[] },
): Promise<DemoSummary> {
  const me = await ctx.user.query(api.users.me, {});
  const { stars, connections } = await ctx.user.query(api.stars.constellation, {});
  const skills = await ctx.user.query(api.skills.mine, {});
  const journey = ctx.journeyId === null ? null : await ctx.user.query(api.journeys.get, { journeyId: ctx.journeyId });
  const current = await ctx.user.query(api.lifeStates.current, {});
  const history = await ctx.user.query(api.lifeStates.history, { days: run.days + 1 });
  // No public query lists every experiment (clients read `today`): count them in the table.
  const experimentStatuses = await ctx.t.run(async (db) =>
    (await db.db.query("experiments").withIndex("by_user", (q) => q.eq("userId", ctx.userId)).collect()).map((e) => e.status),
  );
  const snapshots = await ctx.t.run(
    async (db) => (await db.db.query("lifeStates").withIndex("by_user_timestamp", (q) => q.eq("userId", ctx.userId)).collect()).length,
  );
  const endNow = Date.now();
  const streak = await ctx.user.query(api.progress.streak, { now: endNow });
  const progressDays = await ctx.user.query(api.progress.history, { now: endNow, days: Math.min(366, run.days + 1) });
  const growth = await ctx.user.query(api.growth.profile, {});
  const relationships = await ctx.user.query(api.relationships.mine, {});
  const narrative = await ctx.user.query(api.narrative.mine, {});
  const events = await ctx.user.query(api.narrative.events, { paginationOpts: { numItems: 100, cursor: null } });
  const dateOf = (instant: number) => localDate(instant, ctx.timezone);
  const checkins = await ctx.t.run(
    async (db) => (await db.db.query("checkins").withIndex("by_user", (q) => q.eq("userId", ctx.userId)).collect()).length,
  );
  const statusCount = (status: string) => experimentStatuses.filter((s) => s === status).length;
  return {
    persona: { name: `${PERSONA.firstName} ${PERSONA.lastName}`, timezone: ctx.timezone },
    days: run.days,
    firstDate: DEMO_START_DATE,
    lastDate: addDays(DEMO_START_DATE, run.days - 1),
    model: {
      mode: ctx.model.mode,
      requests: ctx.model.mode === "scripted" ? ctx.model.server.requests.length : 0,
    },
    account: {
      createdBy: "clerk-webhook",
      webhookStatus: run.webhookStatus,
      phase: me?.currentPhase ?? "none",
      mirrorDay: me?.mirrorDay ?? 0,
      essence: me?.essence ?? 0,
    },
    constellation: {
      stars: stars.length,
      connections: connections.length,
      byType: countBy(STAR_TYPES, stars.map((star) => star.type)),
      byConnectionType: countBy(CONNECTION_TYPES, connections.map((c) => c.type)),
    },
    messages: { sent: ctx.messagesSent },
    skills: skills.map((s) => ({
      name: s.name,
      mean: s.mean,
      confidence: s.confidence,
      evidenceCount: s.evidenceCount,
    })),
    growthProfile: me?.growthProfile ?? {},
    journey:
      journey === null
        ? null
        : {
            status: journey.status,
            velocity: journey.velocity,
            momentum: journey.momentum,
            milestonesReached: journey.milestones.filter((m) => m.reachedAt !== undefined).length,
            milestones: journey.milestones.length,
          },
    experiments: {
      offered: experimentStatuses.length,
      completed: statusCount("completed"),
      skipped: statusCount("skipped"),
      expired: statusCount("expired"),
      open: statusCount("pending") + statusCount("accepted"),
    },
    missions: {
      completed: ctx.missionsCompleted,
      streakDays: streak.streakDays,
      lastActiveDate: streak.lastActiveDate ?? null,
      essence: me?.essence ?? 0,
      daysWithProgress: progressDays.length,
    },
    growth: { activeDimensions: growth.activeDimensions, rulesVersion: growth.rulesVersion },
    lifeState: {
      snapshots,
      current:
        current === null
          ? null
          : {
              localDate: current.localDate,
              thrust: current.thrust,
              alignment: current.alignment,
              gravity: current.gravity,
              mass: current.mass,
              escapeIndex: current.escapeIndex,
            },
    },
    // The snapshot taken just after midnight closes the day before it.
    trajectory: history.map((s) => ({
      day: daysBetween(DEMO_START_DATE, s.localDate),
      localDate: s.localDate,
      thrust: s.thrust,
      alignment: s.alignment,
      gravity: s.gravity,
      mass: s.mass,
      escapeIndex: s.escapeIndex,
    })),
    companions: Object.entries(ctx.conversationsBy).map(([character, conversations]) => {
      const relationship = relationships.find((r) => r.character === character);
      return {
        character,
        name: relationship?.name ?? character,
        interactions: relationship?.interactions ?? 0,
        level: relationship?.level ?? 0,
        tier: relationship?.tier ?? "acquaintance",
        conversations,
      };
    }),
    narrative: {
      scenario: narrative.scenario,
      chapter: narrative.chapter,
      chapterTitle: narrative.chapterTitle,
      quests: narrative.quests.map((q) => ({
        questKey: q.questKey,
        chapter: q.chapter,
        title: q.title,
        status: q.status,
        revealedOn: dateOf(q.revealedAt),
        completedOn: q.completedAt === undefined ? null : dateOf(q.completedAt),
      })),
      events: events.page.reverse().map((e) => ({ kind: e.kind, title: e.title, date: dateOf(e.createdAt) })),
    },
    checkins,
    reports: run.reports,
    warnings: ctx.warnings,
    daily: run.daily,
    files: ["constellation.svg", "trajectory.svg", "summary.json", "index.html", ...run.reports.flatMap((r) => [r.json, r.svg])],
  };
}

function writeOutputs(
  outDir: string,
  summary: DemoSummary,
  constellation: { stars: Parameters<typeof renderConstellation>[0]; connections: Parameters<typeof renderConstellation>[1] },
  frames: readonly DemoFrame[],
  reports: readonly WrittenReport[],
): void {
  mkdirSync(outDir, { recursive: true });
  // A fresh reports/ each run, so a shorter run leaves no stale reports behind.
  rmSync(join(outDir, "reports"), { recursive: true, force: true });
  mkdirSync(join(outDir, "reports"), { recursive: true });
  for (const { entry, view, svg } of reports) {
    writeFileSync(join(outDir, entry.json), `${JSON.stringify(view, null, 2)}\n`);
    writeFileSync(join(outDir, entry.svg), `${svg}\n`);
  }
  const title = `${summary.persona.name}: constellation after ${summary.days} days (${summary.lastDate})`;
  writeFileSync(join(outDir, "constellation.svg"), renderConstellation(constellation.stars, constellation.connections, { title }));
  writeFileSync(
    join(outDir, "trajectory.svg"),
    renderTrajectory(summary.trajectory, { title: `${summary.persona.name}: trajectory, ${summary.firstDate} to ${summary.lastDate}` }),
  );
  writeFileSync(join(outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  // The month as one offline page: a day slider over the per-night frames (demo/page.ts).
  writeFileSync(join(outDir, "index.html"), renderDemoPage(summary, frames));
}
