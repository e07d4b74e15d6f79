// The paged-job driver: one transaction budget, one page size, one cursor validator
// (docs/architecture.md "Background jobs"). A driver transaction reads one page of rows,
// fans their ids out in batches (one scheduled transaction each) and reschedules itself
// with the cursor; a batch works its items one by one until the budget is spent and hands
// the rest to a fresh transaction. Modelled on workpool's limits.ts (one budget read
// through one helper) and chef's cleanup.ts (paged, rescheduling, a dry-run flag).
import type {
  DocumentByInfo,
  FunctionReference,
  FunctionReturnType,
  GenericTableInfo,
  OptionalRestArgs,
  OrderedQuery,
  PaginationOptions,
  PaginationResult,
  TransactionMetrics,
} from "convex/server";
import { ConvexError, v } from "convex/values";
import type { MutationCtx } from "../_generated/server";

const MiB = 1 << 20;

/**
 * A transaction starts no new unit of work once it has used any of these. Convex allows
 * 32,000 documents and 16 MiB read, 16,000 documents and 16 MiB written, 4,096 index
 * ranges and 1,000 scheduled functions per transaction; the heaviest single item (one
 * user's rollover at every read cap, model/lifeStates.ts: about 7,000 documents and, with
 * maximal evidence on every star and connection, about 10 MiB) still fits after the budget.
 */
export const TRANSACTION_BUDGET = {
  documentsRead: 12_000,
  bytesRead: 4 * MiB,
  documentsWritten: 4_000,
  bytesWritten: 4 * MiB,
  databaseQueries: 2_000,
  functionsScheduled: 200,
} as const;

type BudgetedMetric = keyof typeof TRANSACTION_BUDGET;
const BUDGETED = Object.keys(TRANSACTION_BUDGET) as BudgetedMetric[];

/** Whether `metrics` have reached the budget in any dimension. */
export function overBudget(metrics: TransactionMetrics): boolean {
  return BUDGETED.some((metric) => metrics[metric].used >= TRANSACTION_BUDGET[metric]);
}

/** Whether this transaction has spent its budget (read from Convex's own metrics). */
export async function budgetSpent(ctx: MutationCtx): Promise<boolean> {
  return overBudget(await ctx.meta.getTransactionMetrics());
}

/** Rows a driver reads per transaction (also a job's page of a user's own rows). */
export const PAGE_SIZE = 200;
/** Ids per scheduled batch; a typical batch finishes in one transaction. */
export const BATCH_SIZE = 50;

/** Where a driver (or a resumable step) continues; absent or null: from the start. */
export const vCursor = v.optional(v.union(v.string(), v.null()));

/**
 * What one step of an item answers: "done" (next item), "more" (step this item again),
 * or "pause" (this item needs a fresh transaction, e.g. for its next paginated read: a
 * transaction gets one; the step keeps its own resume state for `continueWith`).
 */
export type Step = "done" | "more" | "pause";

/**
 * Runs `step` over `items` in order. The first step always runs (so every transaction
 * makes progress); before each later one, once the budget is spent, the remaining items
 * (the current one first) go to `continueWith`, which schedules a fresh transaction.
 * `first` tells a step whether it is the transaction's first.
 */
export async function withinBudget<T>(
  ctx: MutationCtx,
  items: readonly T[],
  step: (item: T, first: boolean) => Promise<Step>,
  continueWith: (rest: T[]) => Promise<unknown>,
): Promise<void> {
  let index = 0;
  let first = true;
  while (index < items.length) {
    if (!first && (await budgetSpent(ctx))) {
      await continueWith(items.slice(index));
      return;
    }
    const outcome = await step(items[index], first);
    first = false;
    if (outcome === "pause") {
      await continueWith(items.slice(index));
      return;
    }
    if (outcome === "done") index += 1;
  }
}

/**
 * Runs one item of a batch in its own sub-transaction: `ctx.runMutation` on the item's
 * internal mutation. The conventions call helpers directly rather than through
 * `ctx.runMutation`; isolation is the reason for the exception here. A nested mutation's
 * writes roll back when it throws, so one bad row (a document old code wrote, an invariant
 * a later change broke) costs only its own item: the failure is logged without content
 * (the job, the item's id, the error's name and code) and answers null, and the rest of the
 * batch proceeds. A plain helper call would throw the whole batch transaction away, every
 * run, for every item in it.
 */
export async function isolated<Worker extends FunctionReference<"mutation", "internal">>(
  ctx: MutationCtx,
  job: string,
  item: string,
  worker: Worker,
  ...args: OptionalRestArgs<Worker>
): Promise<FunctionReturnType<Worker> | null> {
  try {
    return await ctx.runMutation(worker, ...args);
  } catch (error) {
    console.error(JSON.stringify({ job, item, failed: failureName(error) }));
    return null;
  }
}

/** What a log may say about a failure: its class and, for a ConvexError, its code; never its message. */
export function failureName(error: unknown): string {
  if (error instanceof ConvexError) {
    const code = (error.data as { code?: unknown } | null)?.code;
    return typeof code === "string" ? `ConvexError:${code}` : "ConvexError";
  }
  return error instanceof Error ? error.name : typeof error;
}

/**
 * How a step reads an index range. Convex allows one paginated query per transaction, so
 * the transaction's first step pages from a cursor and later steps take the range whole,
 * when it fits under `limit`.
 */
export type RangeRead = { kind: "page"; cursor: string | null; numItems: number } | { kind: "whole"; limit: number };

/** The documents read, and where to continue (null: the range is finished). */
export type Range<T> = { docs: T[]; continueCursor: string | null };

/** Reads a range as `read` says; "does not fit": a whole read found more than its limit. */
export async function readRange<T extends GenericTableInfo>(
  query: OrderedQuery<T>,
  read: RangeRead,
): Promise<Range<DocumentByInfo<T>> | "does not fit"> {
  if (read.kind === "page") {
    const page = await query.paginate({ cursor: read.cursor, numItems: read.numItems });
    return { docs: page.page, continueCursor: page.isDone ? null : page.continueCursor };
  }
  const docs = await query.take(read.limit + 1);
  return docs.length > read.limit ? "does not fit" : { docs, continueCursor: null };
}

/** Splits `items` into batches of `batchSize` and schedules one job per batch. */
export async function fanOut<T>(
  items: readonly T[],
  batchSize: number,
  schedule: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
  await Promise.all(batches.map(schedule));
}

/** One paged job's driver transaction, declared (see pageAndFanOut). */
export interface PagedJob<Row extends { _id: string }, Item = Row["_id"]> {
  /** The driver's argument: where the previous page stopped. */
  cursor: string | null | undefined;
  /** Reads one page of the rows to visit (an index range's `paginate(options)`). */
  page: (options: PaginationOptions) => Promise<PaginationResult<Row>>;
  /** Which rows of a page get work (default: all); decided from the row in memory. */
  select?: (row: Row) => boolean;
  /** What a worker is handed for a row (default: the row's id, e.g. a schedule's userId instead). */
  item?: (row: Row) => Item;
  /** Items per batch; default BATCH_SIZE. */
  batchSize?: number;
  /** Schedules the worker for one batch of items. */
  batch: (items: Item[]) => Promise<unknown>;
  /** Schedules the driver again from `cursor`; called only while pages remain. */
  next: (cursor: string) => Promise<unknown>;
}

/**
 * Reads one page of PAGE_SIZE rows from `job.cursor`, schedules a worker per batch of the
 * selected ids and, unless the range is exhausted, the driver again with the page's cursor.
 * The cursor is a position in the index, so rows the workers move out of the range do not
 * shift the next page. Returns whether the range is exhausted.
 */
export async function pageAndFanOut<Row extends { _id: string }, Item = Row["_id"]>(
  job: PagedJob<Row, Item>,
): Promise<boolean> {
  const page = await job.page({ cursor: job.cursor ?? null, numItems: PAGE_SIZE });
  const rows = job.select === undefined ? page.page : page.page.filter(job.select);
  const itemOf = job.item ?? ((row: Row) => row._id as Item);
  await fanOut(
    rows.map(itemOf),
    job.batchSize ?? BATCH_SIZE,
    job.batch,
  );
  if (!page.isDone) await job.next(page.continueCursor);
  return page.isDone;
}

// ---------------------------------------------------------------------------------------
// Destructive jobs' dry run (chef's cleanup.ts `forReal`)

/** A destructive job's flag: walk exactly as a real run, count what it would delete, delete nothing. */
export const vDryRun = v.optional(v.boolean());

/**
 * Logs one dry-run transaction's counts as a JSON line (`{"dryRun":true,"job":...}`); the
 * sum over a run's lines is what a real run at the same `now` deletes.
 */
export function logDryRun(job: string, counts: Record<string, number>): void {
  console.log(JSON.stringify({ dryRun: true, job, ...counts }));
}
