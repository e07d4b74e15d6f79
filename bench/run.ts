// `npm run bench`: what each operation costs as a user's history grows (10, 1,000, 10,000
// of each history document), what each daily job costs per user as the active set grows,
// which everyday live queries each write re-runs (invalidation.ts), and how a streamed reply
// arrives (streaming.ts), and what a turn's memory retrieval reads at 10 and 10,000 memories
// (memory.ts; `npx tsx bench/memory.ts` runs it alone). Writes bench/results.md and bench/results.json; exits non-zero
// when a claim fails (report.ts, invalidation.ts, streaming.ts, memory.ts). Not part of `npm test`: tests/bench-smoke.test.ts covers the harness and
// the invalidation claim.
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../demo/backend";
import { judgeInvalidation, measureInvalidation, renderInvalidation } from "./invalidation";
import { judgeMemory, MEMORY_SIZES, measureMemory, renderMemory } from "./memory";
import { judge, renderMarkdown, type Machine, type Row } from "./report";
import { judgeStreaming, measureStreaming, renderStreaming } from "./streaming";
import { ACTIVE_SIZES, ACTIVE_STARS_FOR_HISTORY, HISTORY_FOR_ACTIVE, HISTORY_SIZES, runBench } from "./suite";
import { createWorld } from "./world";

/** The invalidation world: history does not change what a write touches, so it stays small. */
const INVALIDATION_WORLD = { history: 10, activeStars: ACTIVE_STARS_FOR_HISTORY };

function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    node: process.version,
    platform: `${platform()} ${release()}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const { rows, notes, answers } = await runBench({ log });
  const verdicts = [...judge(rows), ...answers];
  log(`live-query invalidation (history ${INVALIDATION_WORLD.history}, active stars ${INVALIDATION_WORLD.activeStars})`);
  const world = await createWorld(INVALIDATION_WORLD);
  const invalidation = await measureInvalidation(world, log).finally(() => world.close());
  const invalidationVerdicts = judgeInvalidation(invalidation);
  log("streaming replies (real time: the loopback server paces the stream)");
  const streaming = await measureStreaming(log);
  const streamingVerdicts = judgeStreaming(streaming);
  log(`memory at scale (${MEMORY_SIZES.join(" and ")} memories)`);
  const memory = await measureMemory(log);
  const memoryVerdicts = judgeMemory(memory);
  const info = machine();
  const costs = renderMarkdown({
    machine: info,
    rows,
    verdicts,
    historySizes: HISTORY_SIZES,
    activeSizes: ACTIVE_SIZES,
    activeStarsForHistory: ACTIVE_STARS_FOR_HISTORY,
    historyForActive: HISTORY_FOR_ACTIVE,
    notes,
  });
  const markdown = [
    costs.trimEnd(),
    "",
    "## Live-query invalidation",
    "",
    "Convex re-runs a live query when a write touches a document it read or an index interval it scanned. For each",
    "operation below, the app's everyday live queries ran first with their read sets recorded, then the operation with",
    "its write set recorded, from the syscalls convex-test serves (bench/readsets.ts: ids read, index intervals scanned",
    "up to the last document returned, documents written before and after); a query is re-run when a written document",
    "lies in its read set. The claim (bench/invalidation.ts) for every judged operation: no users row written, and only",
    `queries whose answer it can change re-run. One user, ${INVALIDATION_WORLD.activeStars} active stars, history ${INVALIDATION_WORLD.history}.`,
    "",
    renderInvalidation(invalidation, invalidationVerdicts),
    "",
    "## Streaming replies",
    "",
    renderStreaming(streaming, streamingVerdicts),
    "",
    "## Memory at scale",
    "",
    renderMemory(memory, memoryVerdicts),
    "",
  ].join("\n");
  writeFileSync(join(REPO_ROOT, "bench", "results.md"), markdown);
  writeFileSync(
    join(REPO_ROOT, "bench", "results.json"),
    `${JSON.stringify(
      {
        machine: info,
        historySizes: HISTORY_SIZES,
        activeSizes: ACTIVE_SIZES,
        rows: rows satisfies Row[],
        verdicts,
        notes,
        invalidation: { rows: invalidation, verdicts: invalidationVerdicts },
        streaming: { rows: streaming, verdicts: streamingVerdicts },
        memory: { rows: memory, verdicts: memoryVerdicts },
      },
      null,
      2,
    )}\n`,
  );
  const failed = [...verdicts, ...invalidationVerdicts, ...streamingVerdicts, ...memoryVerdicts].filter((v) => !v.ok);
  log("");
  for (const v of verdicts) log(`${v.ok ? "ok  " : "FAIL"} ${v.operation} (${v.axis}): ${v.detail}`);
  for (const v of invalidationVerdicts) log(`${v.ok ? "ok  " : "FAIL"} ${v.operation} (live queries): ${v.detail}`);
  for (const v of streamingVerdicts) log(`${v.ok ? "ok  " : "FAIL"} ${v.claim} (streaming): ${v.detail}`);
  for (const v of memoryVerdicts) log(`${v.ok ? "ok  " : "FAIL"} ${v.claim} (memory): ${v.detail}`);
  log(`\nwrote bench/results.md and bench/results.json in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length > 0) {
    log(`${failed.length} claim(s) failed`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
