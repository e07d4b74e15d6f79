// A small run of the bench's measuring harness (npm run bench is not part of the suite):
// the metrics of a nested call are exactly its own, a job that pages itself through the
// scheduler is followed to its last transaction, and the live-query invalidation claim
// (issue 11: the users row stays quiet) holds, measured from recorded read and write sets.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { PAGE_SIZE } from "../convex/model/batching";
import { BENCH_NOW, createWorld, plannedConnections, type World } from "../bench/world";
import { LIVE_QUERIES, judgeInvalidation, measureInvalidation, type InvalidationRow } from "../bench/invalidation";
import { measureJob } from "../bench/jobs";
import { inScannedRange, type ScannedRange } from "../bench/readsets";
import { measureQuery } from "../bench/measure";
import { judgeMemory, measureMemory, RECALL_READ_CONSTANT } from "../bench/memory";
import { judge, type Row } from "../bench/report";
import { DAY } from "../src/time";
import { MEMORY_LIMITS } from "../src/memory";

let world: World | undefined;
afterEach(() => {
  world?.close();
  world = undefined;
});

describe("bench harness", () => {
  test("a query's metrics are its own reads: the user, the active stars and their connections", async () => {
    world = await createWorld({ history: 10, activeStars: 6 });
    const { metrics, result } = await measureQuery(world.user, api.stars.constellation, {});
    expect(result.stars).toHaveLength(6);
    const connections = plannedConnections(6).length;
    expect(metrics.documentsRead).toBe(1 + 6 + connections);
    expect(metrics.documentsWritten).toBe(0);
    // by_clerk for the caller, one by_user_type range per drawn type, one by_user for connections.
    expect(metrics.indexRanges).toBe(1 + 5 + 1);
  });

  test("a job that reschedules itself is measured over all its transactions", async () => {
    const activeStars = PAGE_SIZE + 20;
    world = await createWorld({ history: 10, activeStars });
    const w = world;
    const cost = await measureJob(w.t, {
      udfPath: "decay:user",
      args: { userId: w.userId, now: BENCH_NOW + DAY },
      follow: ["decay:user"],
      belongs: (args) => args.userId === w.userId,
    });
    expect(cost.transactions).toBeGreaterThan(1);
    // Every active star read at least once, and none written twice.
    expect(cost.documentsRead).toBeGreaterThanOrEqual(activeStars);
    expect(cost.documentsWritten).toBeLessThanOrEqual(activeStars + plannedConnections(activeStars).length);
  });

  test("the verdicts: constant reads hold, growth with history or superlinear jobs fail", () => {
    const metrics = (documentsRead: number) => ({
      documentsRead,
      documentsWritten: 0,
      bytesRead: 0,
      bytesWritten: 0,
      indexRanges: 1,
      functionsScheduled: 0,
      wallMs: 1,
    });
    const row = (operation: string, claim: Row["claim"], axis: Row["axis"], size: number, reads: number): Row => ({
      operation,
      kind: claim === "linear-in-active" ? "job" : "query",
      claim,
      axis,
      size,
      metrics: metrics(reads),
    });
    const verdicts = judge([
      row("flat", "constant", "history", 10, 5),
      row("flat", "constant", "history", 10_000, 5),
      row("leaky", "constant", "history", 10, 5),
      row("leaky", "constant", "history", 10_000, 6),
      row("list", "paginated", "history", 10, 5),
      row("list", "paginated", "history", 10_000, 50),
      row("linear", "linear-in-active", "active", 10, 25),
      row("linear", "linear-in-active", "active", 100, 250),
      row("linear", "linear-in-active", "active", 1000, 2500),
      row("quadratic", "linear-in-active", "active", 10, 100),
      row("quadratic", "linear-in-active", "active", 100, 10_000),
      row("quadratic", "linear-in-active", "active", 1000, 1_000_000),
    ]);
    const ok = Object.fromEntries(verdicts.map((v) => [v.operation, v.ok]));
    expect(ok).toEqual({ flat: true, leaky: false, linear: true, quadratic: false });
  });

  test("live queries: no users row written, and each write re-runs only the queries it can change", async () => {
    world = await createWorld({ history: 10, activeStars: 6 });
    const rows = await measureInvalidation(world);
    expect(judgeInvalidation(rows).filter((verdict) => !verdict.ok)).toEqual([]);
    const byOperation = (pick: (row: InvalidationRow) => unknown) => Object.fromEntries(rows.map((row) => [row.operation, pick(row)]));
    expect(byOperation((row) => row.writesUsersRow)).toEqual({
      "messages.send": false,
      "extraction.finishAttempt (apply a turn)": false,
      "missions.complete": false,
      "experiments.complete": false,
      "decay.user (decay + shadow drain)": false,
      "jobs.dailyRolloverUsers (velocity + snapshot)": false,
      "jobs.pruneLifeStatesUsers": false,
      "users.updateSettings (time zone)": true,
    });
    const rerun = byOperation((row) => row.queries.filter((q) => q.invalidated).map((q) => q.query));
    expect(rerun["missions.complete"]).toEqual(["users.me", "progress.today", "progress.streak", "growth.profile"]);
    expect(rerun["decay.user (decay + shadow drain)"]).toEqual(["stars.constellation"]);
    expect(rerun["jobs.pruneLifeStatesUsers"]).toEqual([]);
    // A settings change is on the users row: every query re-runs (the measurement sees it).
    expect(rerun["users.updateSettings (time zone)"]).toEqual(LIVE_QUERIES.map((q) => q.name));
  });

  test("the recorder's intervals and the claim's verdicts", () => {
    const range = (fields: Partial<ScannedRange>): ScannedRange => ({
      table: "stars",
      index: "by_user_brightness",
      fields: ["userId", "brightness", "_creationTime", "_id"],
      range: [{ type: "Eq", fieldPath: "userId", value: "u1" }],
      order: "desc",
      after: null,
      last: null,
      exhausted: false,
      ...fields,
    });
    const star = (brightness: number, userId = "u1") => ({ _id: `s${brightness}`, _creationTime: 1, userId, brightness });
    // take(1) in descending order read the brightest star only: a dimmer one is outside.
    const first = range({ last: star(0.8) });
    expect([inScannedRange(first, "stars", star(0.9)), inScannedRange(first, "stars", star(0.5))]).toEqual([true, false]);
    // A scan that ran dry read the whole range, and nothing of another user or table.
    const all = range({ exhausted: true });
    expect([inScannedRange(all, "stars", star(0.1)), inScannedRange(all, "stars", star(0.1, "u2")), inScannedRange(all, "users", star(0.1))]).toEqual([
      true,
      false,
      false,
    ]);

    const row = (operation: string, writesUsersRow: boolean, rerun: string[], answerChanged: string[] = rerun): InvalidationRow => ({
      operation,
      kind: "mutation",
      writesUsersRow,
      written: {},
      queries: LIVE_QUERIES.map(({ name }) => ({
        query: name,
        invalidated: rerun.includes(name),
        by: [],
        answerChanged: answerChanged.includes(name),
      })),
      mayInvalidate: ["progress.today"],
      knownExtra: {},
    });
    const ok = judgeInvalidation([
      row("quiet", false, ["progress.today"]),
      row("loud", true, ["progress.today"]),
      row("wasteful", false, ["progress.today", "skills.mine"], ["progress.today"]),
      row("blind", false, [], ["progress.today"]),
    ]).map((verdict) => [verdict.operation, verdict.ok]);
    expect(ok).toEqual([
      ["quiet", true],
      ["loud", false],
      ["wasteful", false],
      ["blind", false],
    ]);
  });

  test("memory retrieval reads k results and a constant, whatever the number of memories", async () => {
    const rows = await measureMemory(() => {}, [10, 200]);
    for (const row of rows) {
      expect(row.recall.documentsRead).toBeLessThanOrEqual(MEMORY_LIMITS.searchK + RECALL_READ_CONSTANT);
      expect(row.recall.documentsWritten).toBe(0);
      expect(row.chunks.documentsRead).toBe(1); // the short message is one chunk
      expect(row.recalled).toBeGreaterThan(0);
    }
    // At 200 memories both searches are full: k vector hits' memories, k text hits, and the
    // stored vectors of the text hits the vector search did not find (10 of them here).
    expect(rows[1].recall.documentsRead).toBe(2 * MEMORY_LIMITS.searchK + 10);
    expect(judgeMemory(rows).map((verdict) => verdict.ok)).toEqual([true, true, true]);
  }, 60_000);
});
