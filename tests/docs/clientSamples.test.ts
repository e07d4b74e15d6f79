// docs/client.md shows only code that CI compiles: every TypeScript sample must be cut from
// examples/web (which `npm run build:web` typechecks against the generated api and builds).
// A sample's first line names its file; the rest must appear there as consecutive lines
// (indentation aside, since samples are dedented).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT } from "../../demo/backend";

const doc = readFileSync(join(REPO_ROOT, "docs", "client.md"), "utf8");
const samples = [...doc.matchAll(/```(tsx?|typescript)\n([\s\S]*?)```/g)].map((match) => match[2].replace(/\n$/, ""));

function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim());
}

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((line, i) => haystack[start + i] === line)) return true;
  }
  return false;
}

describe("docs/client.md", () => {
  test("has code samples", () => {
    expect(samples.length).toBeGreaterThanOrEqual(10);
  });

  test.each(samples.map((sample, i) => [i + 1, sample] as const))("sample %i is cut from the file it names", (_, sample) => {
    const [header, ...body] = sample.split("\n");
    const path = /^\/\/ (examples\/web\/\S+)$/.exec(header)?.[1];
    expect(path, `a sample starts with "// examples/web/<file>", got: ${header}`).toBeDefined();
    const source = lines(readFileSync(join(REPO_ROOT, path!), "utf8"));
    expect(body.length).toBeGreaterThan(0);
    expect(containsRun(source, lines(body.join("\n"))), `the sample is not in ${path}:\n${body.join("\n")}`).toBe(true);
  });
});
