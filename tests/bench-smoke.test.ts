// A small run of the bench's measuring harness (npm run bench is not part of the suite):
// the metrics of a nested call are exactly its own, and a job that pages itself through the
// scheduler is followed to its last transaction.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { PAGE_SIZE } from "../convex/model/batching";
import { BENCH_NOW, createWorld, plannedConnections, type World } from "../bench/world";
import { measureJob } from "../bench/jobs";
import { measureQuery } from "../bench/measure";
import { judge, type Row } from "../bench/report";
import { DAY } from "../src/time";

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
});
