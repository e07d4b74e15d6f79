// Reads what one Convex function call costs, from outside the function and without any
// bench code in convex/: a `t.run` transaction (as the signed-in user, or with no identity
// for internal functions) reads `ctx.meta.getTransactionMetrics()`, calls the function with
// `ctx.runQuery` / `ctx.runMutation`, and reads the metrics again.
//
// Why this is exact (read in node_modules/convex-test/dist/transactionMetrics.js): a nested
// call pushes a metrics layer that starts from the parent's totals; on return a mutation's
// layer is folded into the parent (`commit`) and a query's reads are (`rollback`, queries
// write nothing). So after − before is exactly the nested call's own reads, writes, bytes
// and index ranges, and the `t.run` wrapper itself reads nothing. The nested call runs under
// the same real limits (`transactionLimits: true`) as a top-level one.
import type { FunctionArgs, FunctionReference, FunctionReturnType, GenericMutationCtx } from "convex/server";
import type { DataModel } from "../convex/_generated/dataModel";

export type OpMetrics = {
  documentsRead: number;
  documentsWritten: number;
  bytesRead: number;
  bytesWritten: number;
  /** `databaseQueries` in Convex's metrics: index ranges read. */
  indexRanges: number;
  functionsScheduled: number;
  wallMs: number;
};

type MetricsSnapshot = Awaited<ReturnType<GenericMutationCtx<DataModel>["meta"]["getTransactionMetrics"]>>;

/** The accessor surface measure() needs: `t` itself or `t.withIdentity(...)`. */
export type RunAccessor = {
  run: <Output>(func: (ctx: GenericMutationCtx<DataModel>) => Promise<Output>) => Promise<Output>;
};

function difference(before: MetricsSnapshot, after: MetricsSnapshot, wallMs: number): OpMetrics {
  return {
    documentsRead: after.documentsRead.used - before.documentsRead.used,
    documentsWritten: after.documentsWritten.used - before.documentsWritten.used,
    bytesRead: after.bytesRead.used - before.bytesRead.used,
    bytesWritten: after.bytesWritten.used - before.bytesWritten.used,
    indexRanges: after.databaseQueries.used - before.databaseQueries.used,
    functionsScheduled: after.functionsScheduled.used - before.functionsScheduled.used,
    wallMs,
  };
}

export type Measured<T> = { metrics: OpMetrics; result: T };

/** Runs `call` inside a transaction of `accessor` and returns its cost and result. */
export async function measure<T>(
  accessor: RunAccessor,
  call: (ctx: GenericMutationCtx<DataModel>) => Promise<T>,
): Promise<Measured<T>> {
  return await accessor.run(async (ctx) => {
    const before = await ctx.meta.getTransactionMetrics();
    const started = performance.now();
    const result = await call(ctx);
    const wallMs = performance.now() - started;
    const after = await ctx.meta.getTransactionMetrics();
    return { metrics: difference(before, after, wallMs), result };
  });
}

type AnyQuery = FunctionReference<"query", "public" | "internal">;
type AnyMutation = FunctionReference<"mutation", "public" | "internal">;

/** One public or internal query, measured. */
export async function measureQuery<Query extends AnyQuery>(
  accessor: RunAccessor,
  reference: Query,
  args: FunctionArgs<Query>,
): Promise<Measured<FunctionReturnType<Query>>> {
  // A generic reference leaves runQuery's argument tuple unresolved; the signature above
  // already ties `args` to `reference`, so the call goes through the untyped reference.
  const untyped: AnyQuery = reference;
  return await measure(accessor, async (ctx) => (await ctx.runQuery(untyped, args)) as FunctionReturnType<Query>);
}

/** One public or internal mutation, measured (its writes are committed). */
export async function measureMutation<Mutation extends AnyMutation>(
  accessor: RunAccessor,
  reference: Mutation,
  args: FunctionArgs<Mutation>,
): Promise<Measured<FunctionReturnType<Mutation>>> {
  const untyped: AnyMutation = reference;
  return await measure(accessor, async (ctx) => (await ctx.runMutation(untyped, args)) as FunctionReturnType<Mutation>);
}

/** Adds the metrics of several transactions (a job that reschedules itself). */
export function sumMetrics(all: readonly OpMetrics[]): OpMetrics {
  const total: OpMetrics = {
    documentsRead: 0,
    documentsWritten: 0,
    bytesRead: 0,
    bytesWritten: 0,
    indexRanges: 0,
    functionsScheduled: 0,
    wallMs: 0,
  };
  for (const m of all) {
    total.documentsRead += m.documentsRead;
    total.documentsWritten += m.documentsWritten;
    total.bytesRead += m.bytesRead;
    total.bytesWritten += m.bytesWritten;
    total.indexRanges += m.indexRanges;
    total.functionsScheduled += m.functionsScheduled;
    total.wallMs += m.wallMs;
  }
  return total;
}
