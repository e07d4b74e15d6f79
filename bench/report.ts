// The bench's verdicts and its Markdown table: pure functions over measured rows.
import { KEEP_DAILY_DAYS } from "../src/mechanics/retention";
import type { OpMetrics } from "./measure";

export type OpKind = "query" | "mutation" | "job";

export type Row = {
  operation: string;
  kind: OpKind;
  /** What the product claims about this operation's reads. */
  claim: "constant" | "paginated" | "linear-in-active" | "linear-in-active-past-a-year";
  axis: "history" | "active";
  /** History size (axis history) or active stars (axis active). */
  size: number;
  metrics: OpMetrics & { transactions?: number };
};

export type Verdict = { operation: string; axis: Row["axis"]; ok: boolean; detail: string };

/**
 * Documents a user-facing read may read beyond its size-10 value at size 10,000: zero. A
 * read of the active set and of a few fixed documents (the user, today's row, the latest
 * snapshot) reads exactly the same documents whatever the history, so any growth at all
 * means a range scan reaches into history.
 */
export const CONSTANT_SLACK_DOCS = 0;

/**
 * Jobs: marginal documents per extra active star at the large end may exceed the marginal
 * cost at the small end by this factor (plus one document of rounding), else the job is
 * superlinear. Linear cost has a constant marginal; 1.25 absorbs batch boundaries (a job
 * that pages 200 units per transaction re-reads a cursor page edge now and then).
 */
export const LINEAR_MARGIN_FACTOR = 1.25;

function bySize(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => a.size - b.size);
}

export function judge(rows: readonly Row[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.operation}|${row.axis}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const group of groups.values()) {
    const sorted = bySize(group);
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    const { operation, axis, claim } = first;
    if (sorted.length < 2) continue;
    if (axis === "history" && claim === "constant") {
      const grew = last.metrics.documentsRead - first.metrics.documentsRead;
      const ok = grew <= CONSTANT_SLACK_DOCS;
      verdicts.push({
        operation,
        axis,
        ok,
        detail: `${first.metrics.documentsRead} documents read at history ${first.size}, ${last.metrics.documentsRead} at ${last.size}`,
      });
    } else if (axis === "history" && claim === "linear-in-active") {
      // Jobs must not read history either: same active set, same cost.
      const grew = last.metrics.documentsRead - first.metrics.documentsRead;
      verdicts.push({
        operation,
        axis,
        ok: grew <= CONSTANT_SLACK_DOCS,
        detail: `${first.metrics.documentsRead} documents read at history ${first.size}, ${last.metrics.documentsRead} at ${last.size}`,
      });
    } else if (axis === "history" && claim === "linear-in-active-past-a-year") {
      // Incremental pruning (convex/model/retention.ts) reads what crossed the 7-day and the
      // 365-day line since the last night. An account younger than a year has nothing at the
      // 365-day line, so it may read less; past a year the cost must not move at all.
      const pastAYear = sorted.filter((row) => row.size > KEEP_DAILY_DAYS);
      const steady = pastAYear[pastAYear.length - 1]?.metrics.documentsRead;
      const ok =
        pastAYear.length >= 2 &&
        steady !== undefined &&
        pastAYear.every((row) => Math.abs(row.metrics.documentsRead - steady) <= CONSTANT_SLACK_DOCS) &&
        sorted.every((row) => row.metrics.documentsRead <= steady);
      verdicts.push({
        operation,
        axis,
        ok,
        detail: `${sorted.map((row) => `${row.metrics.documentsRead} documents read at history ${row.size}`).join(", ")} (the same past ${KEEP_DAILY_DAYS} days of history, no more below)`,
      });
    } else if (axis === "active" && sorted.length >= 3) {
      const [small, mid] = sorted;
      const marginal = (a: Row, b: Row) => (b.metrics.documentsRead - a.metrics.documentsRead) / (b.size - a.size);
      const early = marginal(small, mid);
      const late = marginal(mid, last);
      const ok = late <= early * LINEAR_MARGIN_FACTOR + 1 / (last.size - mid.size);
      verdicts.push({
        operation,
        axis,
        ok,
        detail: `${early.toFixed(2)} documents per extra active star from ${small.size} to ${mid.size}, ${late.toFixed(2)} from ${mid.size} to ${last.size}`,
      });
    }
  }
  return verdicts;
}

// ---------------------------------------------------------------------------------------
// Markdown

const fmt = (n: number) => n.toLocaleString("en-US");
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

function wallRatio(row: Row, base: Row): string {
  return base.metrics.wallMs > 0 ? `${(row.metrics.wallMs / base.metrics.wallMs).toFixed(1)}×` : "-";
}

function table(rows: readonly Row[], axis: Row["axis"], sizes: readonly number[], verdicts: readonly Verdict[]): string {
  const sizeLabel = axis === "history" ? "history" : "active stars";
  const header =
    `| operation | kind | ${sizes.map((s) => `docs read @${fmt(s)}`).join(" | ")} | ` +
    `${sizes.map((s) => `docs written @${fmt(s)}`).join(" | ")} | ` +
    `bytes read @${fmt(sizes[sizes.length - 1])} | index ranges @${fmt(sizes[sizes.length - 1])} | ` +
    `wall ms @${fmt(sizes[0])} | ${sizes.slice(1).map((s) => `wall ×@${fmt(s)}`).join(" | ")} | claim |`;
  const divider = `|${header.split("|").slice(1, -1).map(() => " --- ").join("|")}|`;
  const lines = [`By ${sizeLabel}:`, "", header, divider];
  const operations = [...new Set(rows.filter((r) => r.axis === axis).map((r) => r.operation))];
  for (const operation of operations) {
    const group = bySize(rows.filter((r) => r.axis === axis && r.operation === operation));
    const at = (size: number) => group.find((r) => r.size === size);
    const cell = (size: number, pick: (row: Row) => string) => {
      const row = at(size);
      return row === undefined ? "-" : pick(row);
    };
    const base = group[0];
    const last = group[group.length - 1];
    const verdict = verdicts.find((v) => v.operation === operation && v.axis === axis);
    const claim = base.claim === "paginated" ? "paginated (reported)" : verdict ? (verdict.ok ? "holds" : "**FAILS**") : "-";
    const cells = [
      operation,
      base.kind,
      ...sizes.map((s) => cell(s, (row) => fmt(row.metrics.documentsRead))),
      ...sizes.map((s) => cell(s, (row) => fmt(row.metrics.documentsWritten))),
      fmt(last.metrics.bytesRead),
      fmt(last.metrics.indexRanges),
      ms(base.metrics.wallMs),
      ...sizes.slice(1).map((s) => cell(s, (row) => wallRatio(row, base))),
      claim,
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export type Machine = { cpus: number; cpuModel: string; node: string; platform: string; date: string };

export function renderMarkdown(input: {
  machine: Machine;
  rows: readonly Row[];
  verdicts: readonly Verdict[];
  historySizes: readonly number[];
  activeSizes: readonly number[];
  activeStarsForHistory: number;
  historyForActive: number;
  notes: readonly string[];
}): string {
  const { machine, rows, verdicts } = input;
  const failed = verdicts.filter((v) => !v.ok);
  return [
    "# Lodestar bench results",
    "",
    `Generated by \`npm run bench\` on ${machine.date}: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}.`,
    "Measured on convex-test's in-memory backend with `transactionLimits: true`, from `ctx.meta.getTransactionMetrics()`",
    "around each call (bench/measure.ts). Document and index-range counts are exact and deterministic; wall times are",
    "the in-memory backend's and only meaningful as ratios against the same operation at the smallest size.",
    "",
    `History sweep: one user with ${input.activeStarsForHistory} active stars (and their connections), a walking journey and an active`,
    "conversation, and N of each history document: dormant stars, messages, growth events, LifeState snapshots, finished",
    "missions with their daily progress, and past experiments of a completed journey; for the live set (bench/liveSet.ts),",
    "N dismissed bright stars, N dormant stars frozen at 0.055, N connections among those, and up to 1,000 old links from",
    'the first active star to them. An operation whose name ends in "(answer)" or that has an answer verdict must also',
    "give the same answer at every size.",
    `Active sweep (jobs): history ${fmt(input.historyForActive)}, active stars ${input.activeSizes.map(fmt).join(", ")}.`,
    "",
    table(rows, "history", input.historySizes, verdicts),
    "",
    table(rows, "active", input.activeSizes, verdicts),
    "",
    "## Verdicts",
    "",
    ...verdicts.map((v) => `- ${v.ok ? "ok" : "**FAIL**"} ${v.operation} (${v.axis}): ${v.detail}`),
    "",
    failed.length === 0 ? "The claim holds for every measured operation." : `${failed.length} verdict(s) failed.`,
    "",
    ...(input.notes.length > 0 ? ["## Notes", "", ...input.notes.map((note) => `- ${note}`), ""] : []),
  ].join("\n");
}
