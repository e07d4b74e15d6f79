// The registry of user-owned data (docs/privacy.md): every table whose documents carry a
// `userId`, with the index (first field `userId`) that pages one user's rows. The export
// and the erasure both walk it, so a table registered here is exported and erased.
// Two guards keep it complete: the `satisfies` below fails the typecheck when a table with
// a `userId` field is missing or an index does not start with `userId`, and
// tests/convex/privacyRegistry.test.ts checks the same against the runtime schema.
import type { DataModel, Doc, Id, TableNames } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import type { GenericDatabaseReader, GenericDataModel } from "convex/server";
import { notFound } from "../errors";

/** Tables whose documents have a `userId` field (required or optional). */
export type UserOwnedTable = {
  [T in TableNames]: "userId" extends keyof DataModel[T]["document"] ? T : never;
}[TableNames];

/** The indexes of table `T` whose first field is `userId`. */
type UserIdIndex<T extends TableNames> = {
  [I in keyof DataModel[T]["indexes"]]: DataModel[T]["indexes"][I] extends readonly ["userId", ...unknown[]]
    ? I
    : never;
}[keyof DataModel[T]["indexes"]];

/** Table -> the index that pages one user's rows. Every user-owned table, nothing else. */
export const USER_TABLES = {
  stars: "by_user",
  connections: "by_user",
  conversations: "by_user",
  messages: "by_user",
  journeys: "by_user",
  experiments: "by_user",
  lifeStates: "by_user_timestamp",
  skillEvidence: "by_user_skill",
  skillBeliefs: "by_user_skill",
  missions: "by_user",
  dailyProgress: "by_user_date",
  growthEvents: "by_user_created",
  growthProgress: "by_user_entity",
  growthStates: "by_user",
  progressStates: "by_user",
  dailySchedules: "by_user",
  relationships: "by_user_character",
  narrativeStates: "by_user",
  storyEvents: "by_user",
  checkins: "by_user",
  reports: "by_user_type_end",
  attemptJobs: "by_user",
  usageDays: "by_user_date",
  usageReservations: "by_user",
  memories: "by_user",
  memoryVectors: "by_user",
} as const satisfies { [T in UserOwnedTable]: UserIdIndex<T> };

export const USER_TABLE_NAMES = Object.keys(USER_TABLES) as [UserOwnedTable, ...UserOwnedTable[]];

/**
 * convex-helpers' rate limiter keeps its state in `rateLimits`, keyed by (name, key) with no
 * `userId` field. Per-user limiters use the user id as `key`; every such limiter must be
 * listed here so erasure clears (and export includes) its rows. Global limiters (no key)
 * hold no personal data and are not listed.
 */
export const USER_RATE_LIMIT_NAMES = ["sendMessage", "recomputeLifeState"] as const;
export const RATE_LIMIT_TABLE = "rateLimits";
/** A limiter keeps one row per (name, key); the bound only guards against surprises. */
const RATE_LIMIT_ROWS_PER_NAME = 16;

/**
 * One user's rows of a registry table, in index order. TypeScript cannot correlate a
 * table-name union with its index names, so the query is built on the generic reader;
 * the registry's `satisfies` is what guarantees the index starts with `userId`.
 */
export function userRowsQuery(db: QueryCtx["db"], table: UserOwnedTable, userId: Id<"users">) {
  const reader = db as unknown as GenericDatabaseReader<GenericDataModel>;
  return reader.query(table).withIndex(USER_TABLES[table], (q) => q.eq("userId", userId));
}

/** The rate-limiter rows of a user, across the per-user limiters (a handful of rows). */
export async function userRateLimitRows(ctx: Pick<QueryCtx, "db">, userId: Id<"users">) {
  const rows = await Promise.all(
    USER_RATE_LIMIT_NAMES.map((name) =>
      ctx.db
        .query(RATE_LIMIT_TABLE)
        .withIndex("name", (q) => q.eq("name", name).eq("key", userId))
        .take(RATE_LIMIT_ROWS_PER_NAME),
    ),
  );
  return rows.flat();
}

// ---------------------------------------------------------------------------------------
// Ownership: the one check every public function and every writer of model output uses.

/**
 * The document `id` of a registry table if it exists and belongs to `userId`, else null.
 * `id` may be a raw string (model output, growth entity ids): one that is malformed or
 * names another table is treated as missing.
 */
export async function findOwned<T extends UserOwnedTable>(
  ctx: Pick<QueryCtx, "db">,
  table: T,
  id: Id<T> | string,
  userId: Id<"users">,
): Promise<Doc<T> | null> {
  const normalized = ctx.db.normalizeId(table, id);
  if (normalized === null) return null;
  const doc = await ctx.db.get(table, normalized);
  // Every registry table has a userId field (the `satisfies` on USER_TABLES).
  return doc !== null && (doc as { userId?: Id<"users"> }).userId === userId ? doc : null;
}

/**
 * Like findOwned, but NOT_FOUND ("star not found") when missing or someone else's: the two
 * answer the same, so an id leaks nothing.
 */
export async function loadOwned<T extends UserOwnedTable>(
  ctx: Pick<QueryCtx, "db">,
  table: T,
  id: Id<T> | string,
  userId: Id<"users">,
): Promise<Doc<T>> {
  const doc = await findOwned(ctx, table, id, userId);
  if (doc === null) throw notFound(documentNoun(table));
  return doc;
}

/** Nouns the spelling rule below would get wrong. */
const DOCUMENT_NOUNS: Partial<Record<UserOwnedTable, string>> = { checkins: "check-in" };

/** "stars" → "star", "growthEvents" → "growth event", "dailyProgress" → "daily progress". */
function documentNoun(table: UserOwnedTable): string {
  const noun = DOCUMENT_NOUNS[table];
  if (noun !== undefined) return noun;
  const words = table.replace(/([A-Z])/g, " $1").toLowerCase();
  return words.endsWith("ss") || !words.endsWith("s") ? words : words.slice(0, -1);
}
