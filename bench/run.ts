// `npm run bench`: what each operation costs as a user's history grows (10, 1,000, 10,000
// of each history document) and what each daily job costs per user as the active set grows.
// Writes bench/results.md and bench/results.json; exits non-zero when the product's claim
// fails (report.ts). Not part of `npm test`: tests/bench-smoke.test.ts covers the harness.
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../demo/backend";
import { judge, renderMarkdown, type Machine, type Row } from "./report";
import { ACTIVE_SIZES, ACTIVE_STARS_FOR_HISTORY, HISTORY_FOR_ACTIVE, HISTORY_SIZES, runBench } from "./suite";

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
  const info = machine();
  const markdown = renderMarkdown({
    machine: info,
    rows,
    verdicts,
    historySizes: HISTORY_SIZES,
    activeSizes: ACTIVE_SIZES,
    activeStarsForHistory: ACTIVE_STARS_FOR_HISTORY,
    historyForActive: HISTORY_FOR_ACTIVE,
    notes,
  });
  writeFileSync(join(REPO_ROOT, "bench", "results.md"), markdown);
  writeFileSync(
    join(REPO_ROOT, "bench", "results.json"),
    `${JSON.stringify({ machine: info, historySizes: HISTORY_SIZES, activeSizes: ACTIVE_SIZES, rows: rows satisfies Row[], verdicts, notes }, null, 2)}\n`,
  );
  const failed = verdicts.filter((v) => !v.ok);
  log("");
  for (const v of verdicts) log(`${v.ok ? "ok  " : "FAIL"} ${v.operation} (${v.axis}): ${v.detail}`);
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
