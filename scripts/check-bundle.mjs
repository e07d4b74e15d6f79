// Bundles every module of convex/ the way the Convex CLI does before a push, so code the
// default runtime cannot load fails here, offline, instead of at deploy time:
// default-runtime modules for platform "browser" (Node built-ins do not resolve), and
// "use node" modules for platform "node".
import { build } from "esbuild";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "convex");
const SKIP_DIRS = new Set(["_generated", "node_modules"]);

async function entryPoints(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) found.push(...(await entryPoints(full)));
    } else if (/\.(ts|js|mjs|tsx|jsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts") && !entry.name.startsWith(".")) {
      found.push(full);
    }
  }
  return found;
}

function usesNodeRuntime(source) {
  return /^\s*(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/\s*)*["']use node["'];?/.test(source);
}

const files = await entryPoints(root);
const defaultRuntime = [];
const nodeRuntime = [];
for (const file of files) {
  (usesNodeRuntime(await readFile(file, "utf8")) ? nodeRuntime : defaultRuntime).push(file);
}

const common = {
  bundle: true,
  write: false,
  outdir: "/tmp/lodestar-bundle-check",
  format: "esm",
  target: "esnext",
  conditions: ["convex", "module"],
  logLevel: "silent",
  metafile: true,
};

let failed = false;
async function check(label, entryPoints, options) {
  if (entryPoints.length === 0) return;
  try {
    await build({ ...common, entryPoints, ...options });
    console.log(`check:bundle: ${entryPoints.length} ${label} module(s) bundle cleanly`);
  } catch (error) {
    failed = true;
    console.error(`check:bundle: ${label} modules do not bundle:`);
    for (const message of error.errors ?? [error]) {
      const where = message.location ? `${path.relative(process.cwd(), message.location.file)}:${message.location.line}: ` : "";
      console.error(`  ${where}${message.text ?? message.message}`);
    }
  }
}

await check("default-runtime", defaultRuntime, { platform: "browser" });
await check('"use node"', nodeRuntime, { platform: "node", packages: "external" });
if (failed) {
  console.error('Move Node-only code into a "use node" module (actions only), or use a web-standard API.');
  process.exit(1);
}
