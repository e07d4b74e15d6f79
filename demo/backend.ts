// The in-memory Convex backend the demo and the bench drive: convex-test with Convex's real
// transaction limits, over the modules of convex/ found on disk. Found on disk rather than
// with `import.meta.glob` so the same code runs under plain Node (tsx) and under vitest.
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { convexTest } from "convex-test";
import schema from "../convex/schema";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CONVEX_DIR = join(REPO_ROOT, "convex");

type ModuleLoader = () => Promise<Record<string, unknown>>;

/** Every .ts/.js file under convex/, _generated included. */
function convexFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return convexFiles(path);
    return /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/**
 * The `modules` map convex-test wants: keys share one prefix ending in "convex/" (it finds
 * the functions root from the `_generated` key and strips the extension), values load the
 * module. Keys look like "../convex/stars.ts", as an `import.meta.glob` from demo/ would.
 */
export function convexModules(): Record<string, ModuleLoader> {
  const modules: Record<string, ModuleLoader> = {};
  for (const path of convexFiles(CONVEX_DIR)) {
    const key = `../${relative(REPO_ROOT, path).split("\\").join("/")}`;
    const url = pathToFileURL(path).href;
    modules[key] = async () => (await import(url)) as Record<string, unknown>;
  }
  return modules;
}

export function newBackend() {
  return convexTest({ schema, modules: convexModules(), transactionLimits: true });
}
export type Backend = ReturnType<typeof newBackend>;
