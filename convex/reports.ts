// Reports API (MECHANICS §9): the 2-, 7- and 21-day reports the daily rollover writes, their
// statistics (exact functions of stored data), the optional narrative and the SVG picture.
// Internal: the compute steps and the narrative (one query, the model call, one mutation).
// docs/reflection-api.md is the client contract.
import { doc } from "convex-helpers/validators";
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { buildNarrativeMessages } from "../src/llm/prompts";
import { sanitizeNarrative } from "../src/llm/sanitize";
import { NARRATIVE_SCHEMA, NARRATIVE_SCHEMA_NAME } from "../src/llm/schemas";
import { renderReportChart } from "../src/render/reportChart";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery, type ActionCtx } from "./_generated/server";
import { userQuery } from "./functions";
import { NO_MODEL_REASON } from "./model/extraction";
import { configuredModel } from "./model/modelSettings";
import { callModelWithBudget } from "./model/usage";
import {
  computeStep,
  finishNarrative as finishNarrativeAttempt,
  narrativeContext as loadNarrativeContext,
  type NarrativeContext,
  type NarrativeOutcome,
} from "./model/reports";
import { loadOwned } from "./model/userTables";
import schema from "./schema";
import { mapperOf, vModelFailure, vReportStats, vReportType, vTokenUsage } from "./validators";

/**
 * A report as a client sees it (stats and series once `status` is `ready`). A chosen list:
 * the row also carries the compute job's progress, the inputs read at the rollover and the
 * narrative's bookkeeping (reason, attempts, tokens), which stay inside.
 */
export const vReportView = doc(schema, "reports").pick(
  "_id", "type", "firstDate", "lastDate", "startsAt", "endsAt", "dayNumber", "status",
  "stats", "series", "narrative", "narrativeStatus", "createdAt", "readyAt",
);
export type ReportView = Infer<typeof vReportView>;
export const toReportView = mapperOf(vReportView);

/** The caller's reports of one type, newest window first, a page at a time. */
export const list = userQuery({
  args: { type: vReportType, paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vReportView),
  handler: async (ctx, { type, paginationOpts }) => {
    const page = await ctx.db
      .query("reports")
      .withIndex("by_user_type_end", (q) => q.eq("userId", ctx.user._id).eq("type", type))
      .order("desc")
      .paginate(paginationOpts);
    return { ...page, page: page.page.map(toReportView) };
  },
});

/** One of the caller's reports; another user's is NOT_FOUND. */
export const get = userQuery({
  args: { reportId: v.id("reports") },
  returns: vReportView,
  handler: async (ctx, { reportId }) => toReportView(await loadOwned(ctx, "reports", reportId, ctx.user._id)),
});

/** The report's window as SVG text (src/render/reportChart.ts); null while it is computing. */
export const chart = userQuery({
  args: { reportId: v.id("reports") },
  returns: v.union(v.string(), v.null()),
  handler: async (ctx, { reportId }) => {
    const report = await loadOwned(ctx, "reports", reportId, ctx.user._id);
    if (report.series === undefined) return null;
    return renderReportChart({ ...report, series: report.series, consistency: report.stats?.consistency });
  },
});

// ---------------------------------------------------------------------------------------
// Internal: computing the statistics

/** One compute step (scheduled by the rollover, then by itself until the report is ready). */
export const compute = internalMutation({
  args: { reportId: v.id("reports") },
  returns: v.null(),
  handler: async (ctx, { reportId }) => {
    if ((await computeStep(ctx, reportId, Date.now())) === "more") {
      await ctx.scheduler.runAfter(0, internal.reports.compute, { reportId });
    }
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Internal: the narrative

const vNarrativeArgs = { reportId: v.id("reports"), attempt: v.number() };

const vNarrativeContext = v.object({
  userId: v.id("users"),
  type: vReportType,
  firstDate: v.string(),
  lastDate: v.string(),
  stats: vReportStats,
  conversations: v.array(v.object({ title: v.union(v.string(), v.null()), summary: v.union(v.string(), v.null()) })),
});

const vNarrativeOutcome = v.union(
  v.object({ kind: v.literal("written"), narrative: v.string(), usage: vTokenUsage }),
  vModelFailure,
  v.object({ kind: v.literal("skipped"), reason: v.string() }),
);
void ({} as NarrativeOutcome satisfies Infer<typeof vNarrativeOutcome>);

export const narrativeContext = internalQuery({
  args: vNarrativeArgs,
  returns: v.union(vNarrativeContext, v.null()),
  handler: async (ctx, { reportId, attempt }) => await loadNarrativeContext(ctx, reportId, attempt),
});

/**
 * One narrative attempt: read the report, call the model, record the outcome. A failure
 * never touches the statistics; finishNarrative retries a bounded number of times.
 */
export const narrate = internalAction({
  args: vNarrativeArgs,
  returns: v.null(),
  handler: async (ctx, { reportId, attempt }): Promise<null> => {
    const context: NarrativeContext | null = await ctx.runQuery(internal.reports.narrativeContext, { reportId, attempt });
    if (context === null) return null;
    const outcome = await writeNarrative(ctx, context);
    if (outcome.kind === "deferred") {
      // Over budget: the same attempt runs again once the budget allows (deferred, not lost).
      await ctx.scheduler.runAfter(outcome.retryAfterMs, internal.reports.narrate, { reportId, attempt });
      return null;
    }
    await ctx.runMutation(internal.reports.finishNarrative, { reportId, attempt, outcome });
    return null;
  },
});

/**
 * The narrative's one model call, through the budget (model/usage.ts, purpose "report"),
 * and its sanitizer (the answer is untrusted until then). Over budget it answers `deferred`.
 */
async function writeNarrative(
  ctx: ActionCtx,
  context: NarrativeContext,
): Promise<NarrativeOutcome | { kind: "deferred"; retryAfterMs: number }> {
  const { userId, ...prompt } = context;
  const call = await callModelWithBudget(
    ctx,
    { userId, purpose: "report" },
    { messages: buildNarrativeMessages(prompt), schema: NARRATIVE_SCHEMA, name: NARRATIVE_SCHEMA_NAME },
    configuredModel(),
  );
  if (call.status === "noModel") return { kind: "skipped", reason: NO_MODEL_REASON };
  if (call.status === "noAccount") return { kind: "skipped", reason: "account gone" };
  if (call.status === "overBudget") return { kind: "deferred", retryAfterMs: call.retryAfterMs };
  const result = call.result;
  if (!result.ok) {
    return { kind: "failure", failureKind: result.kind, reason: result.reason, retryAfterMs: result.retryAfterMs, usage: result.usage };
  }
  const narrative = sanitizeNarrative(result.data.narrative);
  if (narrative === null) return { kind: "failure", failureKind: "retryable", reason: "malformed: empty narrative", usage: result.usage };
  return { kind: "written", narrative, usage: result.usage };
}

export const finishNarrative = internalMutation({
  args: { ...vNarrativeArgs, outcome: vNarrativeOutcome },
  returns: v.null(),
  handler: async (ctx, { reportId, attempt, outcome }) => {
    await finishNarrativeAttempt(ctx, reportId, attempt, outcome);
    return null;
  },
});
