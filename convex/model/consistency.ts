// Consistency (MECHANICS §9): computed by the daily rollover for the local date it closes,
// stored on that rollover's LifeState snapshot (lifeStates.consistency / consistencyDate),
// read back by date through lifeStates.by_user_consistency_date.
import { consistency, consistencyWindow, type Consistency } from "../../src/mechanics/reflection";
import { DAY, addDays, daysBetween, localDate, startOfLocalDate, type LocalDate, effectiveTimeZone } from "../../src/time";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { RECENT_OFFER_READS } from "./experiments";
import { dayRows } from "./progress";

/** The account's first local date (day 1), in the user's current zone. */
export function accountFirstDate(user: Doc<"users">): LocalDate {
  return localDate(user.createdAt, effectiveTimeZone(user));
}

/**
 * The user's experiments offered in [from, to), oldest first. At most one offer per journey
 * per date keeps a 21-day window far inside RECENT_OFFER_READS.
 */
export async function offersBetween(ctx: QueryCtx, userId: Id<"users">, from: number, to: number) {
  return await ctx.db
    .query("experiments")
    .withIndex("by_user", (q) => q.eq("userId", userId).gte("offeredAt", from).lt("offeredAt", to))
    .take(RECENT_OFFER_READS);
}

/**
 * The dates among `first..last` with a completion: a mission (dailyProgress, booked on the
 * completion's local date) or an experiment (its completedAt's local date). An experiment is
 * completed before the midnight after its offer, so offers from a day before `first` on
 * cover every completion of the range (one extra day of slack for a zone change).
 */
export async function completionDates(
  ctx: QueryCtx,
  user: Doc<"users">,
  first: LocalDate,
  last: LocalDate,
): Promise<Set<LocalDate>> {
  const [days, offers] = await Promise.all([
    dayRows(ctx, user._id, first, last),
    offersBetween(
      ctx,
      user._id,
      startOfLocalDate(first, effectiveTimeZone(user)) - DAY,
      startOfLocalDate(addDays(last, 1), effectiveTimeZone(user)),
    ),
  ]);
  const dates = new Set(days.filter((d) => d.missionsCompleted > 0).map((d) => d.localDate));
  for (const offer of offers) {
    if (offer.status !== "completed" || offer.completedAt === undefined) continue;
    const date = localDate(offer.completedAt, effectiveTimeZone(user));
    if (daysBetween(first, date) >= 0 && daysBetween(date, last) >= 0) dates.add(date);
  }
  return dates;
}

/** consistency(D) from stored completions. */
export async function consistencyOn(ctx: QueryCtx, user: Doc<"users">, date: LocalDate): Promise<Consistency> {
  const firstDate = accountFirstDate(user);
  const window = consistencyWindow(date, firstDate);
  const kept = await completionDates(ctx, user, window[0], date);
  return consistency(date, firstDate, kept);
}

/** The rollover that closes `date`: consistency(date), stored on its daily snapshot. */
export async function recordConsistency(
  ctx: MutationCtx,
  user: Doc<"users">,
  date: LocalDate,
  snapshotId: Id<"lifeStates">,
): Promise<number> {
  const { value } = await consistencyOn(ctx, user, date);
  await ctx.db.patch("lifeStates", snapshotId, { consistency: value, consistencyDate: date });
  return value;
}

/** Longest history consistency.history answers, in local dates. */
export const CONSISTENCY_HISTORY_MAX_DAYS = 366;

/**
 * Consistency by closed local date over `from..to`, oldest first; dates without a stored
 * value are absent. One index range: a daily snapshot per closed date (two only if a zone
 * change made a date close twice; the later one wins).
 */
export async function consistencyHistory(
  ctx: QueryCtx,
  userId: Id<"users">,
  from: LocalDate,
  to: LocalDate,
): Promise<{ localDate: LocalDate; consistency: number }[]> {
  const rows = await ctx.db
    .query("lifeStates")
    .withIndex("by_user_consistency_date", (q) =>
      q.eq("userId", userId).gte("consistencyDate", from).lte("consistencyDate", to),
    )
    .take(2 * (daysBetween(from, to) + 1));
  const byDate = new Map<LocalDate, number>();
  for (const row of rows) {
    if (row.consistencyDate !== undefined && row.consistency !== undefined) byDate.set(row.consistencyDate, row.consistency);
  }
  return [...byDate.entries()].map(([date, value]) => ({ localDate: date, consistency: value }));
}
