// `npm run demo`: the scripted first month, printed a day per line, pictures in demo-output/.
import { resolve } from "node:path";
import { REPO_ROOT } from "./backend";
import { DEFAULT_DAYS, runDemo } from "./scenario";

function parseDays(argv: readonly string[]): number {
  const flag = argv.find((arg) => arg.startsWith("--days="));
  const days = flag === undefined ? DEFAULT_DAYS : Number(flag.slice("--days=".length));
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new Error(`--days must be 1..366, got ${flag}`);
  return days;
}

async function main(): Promise<void> {
  const days = parseDays(process.argv.slice(2));
  const outDir = resolve(REPO_ROOT, "demo-output");
  const started = performance.now();
  const model = process.env.OPENAI_API_KEY ? "the real model (OPENAI_API_KEY is set)" : "scripted answers from a loopback OpenAI-compatible server";
  process.stdout.write(`Lodestar demo: ${days} simulated days, in-memory Convex backend, ${model}\n\n`);
  const { summary } = await runDemo({
    days,
    outDir,
    log: (line) => process.stdout.write(`${line}\n`),
    useRealModel: Boolean(process.env.OPENAI_API_KEY?.trim()),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\n${summary.constellation.stars} stars, ${summary.constellation.connections} connections, ` +
      `${summary.skills.length} skills with evidence, ${summary.messages.sent} messages, ${summary.model.requests} model calls\n`,
  );
  for (const companion of summary.companions) {
    process.stdout.write(
      `talked with ${companion.name}: ${companion.conversations} conversations, ${companion.interactions} interactions, level ${companion.level} (${companion.tier})\n`,
    );
  }
  const { narrative } = summary;
  process.stdout.write(`story (${narrative.scenario}): chapter ${narrative.chapter}, ${narrative.chapterTitle}\n`);
  for (const quest of narrative.quests) {
    const done = quest.completedOn === null ? quest.status : `completed ${quest.completedOn}`;
    process.stdout.write(`  quest "${quest.title}" (chapter ${quest.chapter}): revealed ${quest.revealedOn}, ${done}\n`);
  }
  const pictures = summary.files.filter((file) => !file.startsWith("reports/"));
  process.stdout.write(
    `wrote ${pictures.map((file) => `demo-output/${file}`).join(", ")} and ${summary.reports.length} reports ` +
      `(JSON and SVG) in demo-output/reports/ in ${seconds} s\n`,
  );
}

main().then(
  // Nothing may keep the process alive (a socket, a timer): the run is over.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
