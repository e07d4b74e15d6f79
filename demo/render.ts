// The renderers moved to src/render.ts so the browser (the demo page, examples/web) draws
// with the same pure code; this re-export keeps the demo's and the tests' imports working.
export * from "../src/render";
