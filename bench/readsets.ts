// Read sets and write sets, recorded from the syscalls convex-test serves. Convex re-runs a
// live query when a committed write touches its read set: the documents it read by id and
// the index intervals it scanned (docs.convex.dev, "Queries that scale"). convex-test runs
// every function through `globalThis.Convex.syscall` / `asyncSyscall` (the Convex runtime's
// own entry points, read in node_modules/convex-test/dist/index.js), so wrapping those two
// shows exactly what a query read and what an operation wrote, with no bench code in convex/:
//
// - "1.0/get" {id}: a point read of one id.
// - "1.0/queryStream" {query} then "1.0/queryStreamNext": an index range (or a full table
//   scan), read in index order up to the last document returned; the whole range when the
//   stream ran dry before its limit (take/first/unique put a limit on the query).
// - "1.0/queryPage" {query, cursor}: a page of an index range, from the cursor to the last
//   document of the page, or to the end of the range when the page is the last.
// - "1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove": writes. The document as
//   it was before the operation's first write to it is read first (the recorder's own read);
//   its state afterwards is read once the operation is over.
//
// A query is invalidated by an operation when a written document, before or after the
// write, has an id the query read or lies inside an interval it scanned.
import { compareValues, jsonToConvex, type Value } from "convex/values";
import schema from "../convex/schema";

type Doc = Record<string, Value | undefined>;
type RangeExpression = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: unknown };

/** One index interval a query scanned. */
export type ScannedRange = {
  table: string;
  index: string;
  /** The index's fields, then `_creationTime` and `_id` (Convex's tie-breakers). */
  fields: string[];
  range: RangeExpression[];
  order: "asc" | "desc";
  /** Exclusive start in index order (a pagination cursor), or null: the start of the range. */
  after: (Value | undefined)[] | null;
  /** The last document read; the interval ends there unless `exhausted`. */
  last: Doc | null;
  /** The scan reached the end of the range (it stopped for want of documents, not of a limit). */
  exhausted: boolean;
};

export type ReadSet = { ids: Set<string>; ranges: ScannedRange[] };

export type WrittenDocument = { table: string; id: string; before: Doc | null; after: Doc | null };

type Syscall = (op: string, jsonArgs: string) => string;
type AsyncSyscall = (op: string, jsonArgs: string) => Promise<string>;
type ConvexGlobal = { syscall: Syscall; asyncSyscall: AsyncSyscall; jsSyscall: unknown };

type Recording =
  | { kind: "reads"; reads: ReadSet; streams: Map<number, { range: ScannedRange; limit: number | null; returned: number }> }
  | { kind: "writes"; writes: Map<string, WrittenDocument> };

let recording: Recording | null = null;
const INSTALLED = Symbol.for("lodestar.bench.readsets");

/** A Convex value as the syscalls carry it (`{ $undefined: null }` stands for a missing field). */
function decode(json: unknown): Value | undefined {
  if (typeof json === "object" && json !== null && "$undefined" in json) return undefined;
  return jsonToConvex(json as Parameters<typeof jsonToConvex>[0]);
}

function fieldOf(doc: Doc, path: string): Value | undefined {
  let value: unknown = doc;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value as Value | undefined;
}

function indexFields(table: string, index: string): string[] {
  if (index === "by_id") return ["_id"];
  if (index === "by_creation_time") return ["_creationTime", "_id"];
  const definition = (schema.tables as Record<string, { " indexes": () => { indexDescriptor: string; fields: string[] }[] }>)[
    table
  ];
  const found = definition?.[" indexes"]().find((candidate) => candidate.indexDescriptor === index);
  if (found === undefined) throw new Error(`readsets: ${table}.${index} is not in the schema`);
  return [...found.fields, "_creationTime", "_id"];
}

type SerializedQuery = {
  source:
    | { type: "IndexRange"; indexName: string; range: RangeExpression[]; order: "asc" | "desc" | null }
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | { type: "Search"; indexName: string };
  operators: ({ limit: number } | { filter: unknown })[];
};

function scannedRange(query: SerializedQuery): { range: ScannedRange; limit: number | null } {
  const { source } = query;
  const limit = query.operators.find((operator): operator is { limit: number } => "limit" in operator)?.limit ?? null;
  const base = { after: null, last: null, exhausted: false };
  if (source.type === "FullTableScan") {
    const fields = ["_creationTime", "_id"];
    return { range: { table: source.tableName, index: "by_creation_time", fields, range: [], order: source.order ?? "asc", ...base }, limit };
  }
  if (source.type === "Search") throw new Error("readsets: search queries are not recorded");
  const [table, index] = source.indexName.split(".");
  return {
    range: { table, index, fields: indexFields(table, index), range: source.range, order: source.order ?? "asc", ...base },
    limit,
  };
}

/** convex-test's cursor: a JSON array of the sort key, each entry JSON of a Convex value (null: undefined). */
function cursorKey(cursor: string | null): (Value | undefined)[] | null {
  if (cursor === null || cursor === "_end_cursor") return null;
  try {
    return (JSON.parse(cursor) as (string | null)[]).map((k) => (k === null ? undefined : jsonToConvex(JSON.parse(k))));
  } catch {
    return null; // unknown format: treat the page as read from the start (a superset)
  }
}

function keyOf(doc: Doc, fields: readonly string[]): (Value | undefined)[] {
  return fields.map((field) => fieldOf(doc, field));
}

function compareKeys(a: readonly (Value | undefined)[], b: readonly (Value | undefined)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function satisfies(doc: Doc, expression: RangeExpression): boolean {
  const c = compareValues(fieldOf(doc, expression.fieldPath), decode(expression.value));
  switch (expression.type) {
    case "Eq":
      return c === 0;
    case "Gt":
      return c > 0;
    case "Gte":
      return c >= 0;
    case "Lt":
      return c < 0;
    case "Lte":
      return c <= 0;
  }
}

/** Whether `doc` of `table` lies inside the interval the scan read. */
export function inScannedRange(range: ScannedRange, table: string, doc: Doc): boolean {
  if (range.table !== table) return false;
  if (!range.range.every((expression) => satisfies(doc, expression))) return false;
  const direction = range.order === "asc" ? 1 : -1;
  const key = keyOf(doc, range.fields);
  if (range.after !== null && compareKeys(key, range.after) * direction <= 0) return false;
  if (range.exhausted) return true;
  if (range.last === null) return false;
  return compareKeys(key, keyOf(range.last, range.fields)) * direction <= 0;
}

/** The written documents that touch a read set (by id, or inside a scanned interval). */
export function touching(reads: ReadSet, writes: readonly WrittenDocument[]): WrittenDocument[] {
  return writes.filter(
    (write) =>
      reads.ids.has(write.id) ||
      [write.before, write.after].some(
        (doc) => doc !== null && reads.ranges.some((range) => inScannedRange(range, write.table, doc)),
      ),
  );
}

function onSyscall(op: string, args: Record<string, unknown>, result: string) {
  if (recording?.kind !== "reads") return;
  if (op === "1.0/queryStream") {
    const { queryId } = JSON.parse(result) as { queryId: number };
    const { range, limit } = scannedRange(args.query as SerializedQuery);
    recording.reads.ranges.push(range);
    recording.streams.set(queryId, { range, limit, returned: 0 });
  }
}

async function onAsyncSyscall(inner: AsyncSyscall, op: string, jsonArgs: string): Promise<string> {
  const args = JSON.parse(jsonArgs) as Record<string, unknown>;
  const current = recording;
  if (current?.kind === "writes" && ["1.0/shallowMerge", "1.0/replace", "1.0/remove"].includes(op)) {
    const id = decode(args.id) as string;
    if (!current.writes.has(id)) {
      const before = decode(JSON.parse(await inner("1.0/get", JSON.stringify({ id: args.id, table: args.table }))));
      current.writes.set(id, { table: args.table as string, id, before: (before ?? null) as Doc | null, after: null });
    }
  }
  const result = await inner(op, jsonArgs);
  if (current?.kind === "writes" && op === "1.0/insert") {
    const { _id } = JSON.parse(result) as { _id: string };
    if (!current.writes.has(_id)) current.writes.set(_id, { table: args.table as string, id: _id, before: null, after: null });
  }
  if (current?.kind === "reads") {
    if (op === "1.0/get") current.reads.ids.add(decode(args.id) as string);
    if (op === "1.0/queryStreamNext") {
      const stream = current.streams.get(args.queryId as number);
      const { value, done } = JSON.parse(result) as { value: unknown; done: boolean };
      if (stream !== undefined) {
        if (!done && value !== null) {
          stream.returned += 1;
          stream.range.last = decode(value) as Doc;
        }
        if (done) stream.range.exhausted = stream.limit === null || stream.returned < stream.limit;
      }
    }
    if (op === "1.0/queryPage") {
      const { range } = scannedRange(args.query as SerializedQuery);
      const page = JSON.parse(result) as { page: unknown[]; isDone: boolean };
      range.after = cursorKey((args.cursor as string | null) ?? null);
      range.last = page.page.length > 0 ? (decode(page.page[page.page.length - 1]) as Doc) : null;
      range.exhausted = page.isDone;
      current.reads.ranges.push(range);
    }
    if (op === "1.0/count") {
      current.reads.ranges.push({ ...scannedRange({ source: { type: "FullTableScan", tableName: args.table as string, order: null }, operators: [] }).range, exhausted: true });
    }
  }
  return result;
}

/**
 * Wraps the Convex global once (after convex-test installed it, i.e. after the first
 * `convexTest()`); syscalls pass through unchanged while nothing is being recorded.
 */
export function installRecorder(): void {
  const g = globalThis as unknown as { Convex?: ConvexGlobal & { [INSTALLED]?: true } };
  const original = g.Convex;
  if (original === undefined) throw new Error("readsets: create a backend (convexTest) before installing the recorder");
  if (original[INSTALLED]) return;
  g.Convex = {
    [INSTALLED]: true,
    get syscall(): Syscall {
      const inner = original.syscall;
      return (op, jsonArgs) => {
        const result = inner(op, jsonArgs);
        if (recording !== null) onSyscall(op, JSON.parse(jsonArgs) as Record<string, unknown>, result);
        return result;
      };
    },
    get asyncSyscall(): AsyncSyscall {
      const inner = original.asyncSyscall;
      return (op, jsonArgs) => (recording === null ? inner(op, jsonArgs) : onAsyncSyscall(inner, op, jsonArgs));
    },
    get jsSyscall() {
      return original.jsSyscall;
    },
  };
}

/** Runs `call` (one query, run alone) and returns its result and what it read. */
export async function recordReads<T>(call: () => Promise<T>): Promise<{ result: T; reads: ReadSet }> {
  if (recording !== null) throw new Error("readsets: recordings do not nest");
  const reads: ReadSet = { ids: new Set(), ranges: [] };
  recording = { kind: "reads", reads, streams: new Map() };
  try {
    return { result: await call(), reads };
  } finally {
    recording = null;
  }
}

/**
 * Runs `call` (an operation: one or several transactions) and returns what it wrote; the
 * documents' final states are read afterwards with `readAfter` (outside the recording).
 */
export async function recordWrites<T>(
  call: () => Promise<T>,
  readAfter: (written: readonly { table: string; id: string }[]) => Promise<(Doc | null)[]>,
): Promise<{ result: T; writes: WrittenDocument[] }> {
  if (recording !== null) throw new Error("readsets: recordings do not nest");
  const writes = new Map<string, WrittenDocument>();
  recording = { kind: "writes", writes };
  let result: T;
  try {
    result = await call();
  } finally {
    recording = null;
  }
  const all = [...writes.values()];
  const after = await readAfter(all);
  all.forEach((write, i) => (write.after = after[i]));
  // A document inserted and deleted inside the operation was never committed: not a write.
  return { result, writes: all.filter((write) => write.before !== null || write.after !== null) };
}
