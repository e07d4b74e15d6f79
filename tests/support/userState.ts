// The per-user state documents (growthStates, progressStates, dailySchedules) as tests read
// and seed them: one row per user, found by `by_user`.
import type { Doc, Id } from "../../convex/_generated/dataModel";
import type { Backend } from "../setup";

type Ctx = Parameters<Parameters<Backend["run"]>[0]>[0];
type StateTable = "growthStates" | "progressStates" | "dailySchedules";
type NewDoc<T extends StateTable> = Omit<Doc<T>, "_id" | "_creationTime" | "userId">;

async function stateRow<T extends StateTable>(ctx: Ctx, table: T, userId: Id<"users">): Promise<Doc<T>> {
  // The three tables share the shape { userId } + by_user, which TypeScript cannot correlate here.
  const row = (await ctx.db
    .query(table as "dailySchedules")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique()) as Doc<T> | null;
  if (row === null) throw new Error(`${table}: no row for user ${userId}`);
  return row;
}

export async function growthStateRow(t: Backend, userId: Id<"users">): Promise<Doc<"growthStates">> {
  return await t.run(async (ctx) => await stateRow(ctx, "growthStates", userId));
}

export async function progressStateRow(t: Backend, userId: Id<"users">): Promise<Doc<"progressStates">> {
  return await t.run(async (ctx) => await stateRow(ctx, "progressStates", userId));
}

export async function scheduleRow(t: Backend, userId: Id<"users">): Promise<Doc<"dailySchedules">> {
  return await t.run(async (ctx) => await stateRow(ctx, "dailySchedules", userId));
}

/** Patches the user's schedule inside a `t.run` (e.g. to make them due). */
export async function patchSchedule(ctx: Ctx, userId: Id<"users">, fields: Partial<NewDoc<"dailySchedules">>) {
  await ctx.db.patch("dailySchedules", (await stateRow(ctx, "dailySchedules", userId))._id, fields);
}

/** Patches the user's growth state inside a `t.run`. */
export async function patchGrowthState(ctx: Ctx, userId: Id<"users">, fields: Partial<NewDoc<"growthStates">>) {
  await ctx.db.patch("growthStates", (await stateRow(ctx, "growthStates", userId))._id, fields);
}

/** Patches the user's progress state (essence, streak) inside a `t.run`. */
export async function patchProgressState(ctx: Ctx, userId: Id<"users">, fields: Partial<NewDoc<"progressStates">>) {
  await ctx.db.patch("progressStates", (await stateRow(ctx, "progressStates", userId))._id, fields);
}
