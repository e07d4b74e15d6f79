// What the coach costs (docs/pipeline.md "Usage and budgets"). Public: usage.mine (today,
// this month, the budgets, what remains, when each resets). Internal: the one path's
// reserve and settle steps (called by model/usage.ts callModelWithBudget), the reservation
// TTL job, and the operators' reads usage.byDay / usage.dayTotals (run them from the
// Convex dashboard or `npx convex run usage:dayTotals '{"localDate":"2026-03-01"}'`).
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { localDate } from "../src/time";
import { remainingTokens } from "../src/usage";
import { internal } from "./_generated/api";
import { internalAction, internalMutation, internalQuery } from "./_generated/server";
import { userQuery } from "./functions";
import { clientInstant } from "./model/clientInput";
import {
  budgetState,
  expireReservation as expire,
  reserveModelCall,
  settleModelCall,
  type Reservation,
} from "./model/usage";
import schema from "./schema";
import { vTier, vTokenUsage, vUsageLine, vUsagePurpose } from "./validators";

// ---------------------------------------------------------------------------------------
// The one path's steps (internal; model/usage.ts callModelWithBudget calls them)

/** Reserves an estimate for one call, or refuses; null when the account is gone or being erased. */
export const reserve = internalMutation({
  args: { userId: v.id("users"), purpose: vUsagePurpose, model: v.string(), tokens: v.number() },
  returns: v.union(
    v.null(),
    v.object({ ok: v.literal(true), reservationId: v.id("usageReservations") }),
    v.object({ ok: v.literal(false), retryAfterMs: v.number() }),
  ),
  handler: async (ctx, { userId, purpose, model, tokens }): Promise<Reservation | null> => {
    const user = await ctx.db.get("users", userId);
    if (user === null || user.deletionRequestedAt !== undefined) return null;
    return await reserveModelCall(ctx, user, purpose, model, tokens, Date.now());
  },
});

/** Settles a call to its real usage (null: no completion came back). Idempotent. */
export const settle = internalMutation({
  args: { reservationId: v.id("usageReservations"), usage: v.union(vTokenUsage, v.null()) },
  returns: v.null(),
  handler: async (ctx, { reservationId, usage }) => {
    await settleModelCall(ctx, reservationId, usage);
    return null;
  },
});

/** Scheduled RESERVATION_TTL_MS after each reserve: releases a dead attempt's hold. */
export const expireReservation = internalMutation({
  args: { reservationId: v.id("usageReservations") },
  returns: v.null(),
  handler: async (ctx, { reservationId }) => {
    if (await expire(ctx, reservationId, Date.now())) {
      console.warn(`usage reservation ${reservationId} expired unsettled`);
    }
    return null;
  },
});

// ---------------------------------------------------------------------------------------
// Public

const vTotals = v.object({
  calls: v.number(),
  promptTokens: v.number(),
  completionTokens: v.number(),
  totalTokens: v.number(),
  microDollars: v.number(),
  unpricedCalls: v.number(),
  reservedTokens: v.number(),
});
type Totals = typeof vTotals.type;
const vReset = v.object({ at: v.number(), localDate: v.string() });

const ZERO: Totals = {
  calls: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  microDollars: 0,
  unpricedCalls: 0,
  reservedTokens: 0,
};

function totalsOf(days: readonly Totals[]): Totals {
  const sum = { ...ZERO };
  for (const day of days) {
    for (const key of Object.keys(sum) as (keyof Totals)[]) sum[key] += day[key];
  }
  return sum;
}

/**
 * The caller's usage at the client's `now` (queries cannot read the clock; INVALID_ARGUMENT
 * outside 1970..9999-12-01): today's totals and lines (per purpose and model), this month's
 * totals, the tier's token budgets (an expired pro counts as free), what remains of each
 * (settled usage and calls in flight subtracted) and when each resets: the instant of the
 * user's local midnight, and the local date it starts. Subscribe again with a new `now`
 * after `resets.day.at`.
 */
export const mine = userQuery({
  args: { now: v.number() },
  returns: v.object({
    tier: vTier,
    timezone: v.string(),
    localDate: v.string(),
    today: vTotals.extend({ lines: v.array(vUsageLine) }),
    month: vTotals.extend({ month: v.string() }),
    budgets: v.object({ dailyTokens: v.number(), monthlyTokens: v.number() }),
    remaining: v.object({ dailyTokens: v.number(), monthlyTokens: v.number() }),
    resets: v.object({ day: vReset, month: vReset }),
  }),
  handler: async (ctx, { now }) => {
    const at = clientInstant("now", now);
    const state = await budgetState(ctx, ctx.user, at);
    const { today, budget, resets } = state;
    const zone = ctx.user.timezone;
    return {
      tier: state.tier,
      timezone: zone,
      localDate: state.localDate,
      today: { ...totalsOf(today === null ? [] : [today]), lines: today?.lines ?? [] },
      month: { ...totalsOf(state.month), month: state.localDate.slice(0, 7) },
      budgets: { dailyTokens: budget.daily, monthlyTokens: budget.monthly },
      remaining: {
        dailyTokens: remainingTokens(budget.daily, state.day),
        monthlyTokens: remainingTokens(budget.monthly, state.monthUse),
      },
      resets: {
        day: { at: resets.day, localDate: localDate(resets.day, zone) },
        month: { at: resets.month, localDate: localDate(resets.month, zone) },
      },
    };
  },
});

// ---------------------------------------------------------------------------------------
// Operators (internal: run from the dashboard)

const vUserDay = schema.tables.usageDays.validator.pick(
  "userId",
  "calls",
  "promptTokens",
  "completionTokens",
  "totalTokens",
  "microDollars",
  "unpricedCalls",
  "reservedTokens",
  "lines",
);

/**
 * One page of a local date's usage, costliest users first (usageDays.by_date_cost), with
 * the page's totals. `localDate` is each user's own local date. For the whole day's totals
 * sum the pages, or run usage.dayTotals.
 */
export const byDay = internalQuery({
  args: { localDate: v.string(), paginationOpts: paginationOptsValidator },
  returns: v.object({
    page: v.array(vUserDay),
    pageTotals: vTotals,
    isDone: v.boolean(),
    continueCursor: v.string(),
  }),
  handler: async (ctx, { localDate: date, paginationOpts }) => {
    const result = await ctx.db
      .query("usageDays")
      .withIndex("by_date_cost", (q) => q.eq("localDate", date))
      .order("desc")
      .paginate(paginationOpts);
    const page = result.page.map((day) => ({
      userId: day.userId,
      calls: day.calls,
      promptTokens: day.promptTokens,
      completionTokens: day.completionTokens,
      totalTokens: day.totalTokens,
      microDollars: day.microDollars,
      unpricedCalls: day.unpricedCalls,
      reservedTokens: day.reservedTokens,
      lines: day.lines,
    }));
    return { page, pageTotals: totalsOf(page), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/** Pages through usage.byDay (500 users a page, at most DAY_TOTALS_PAGES pages). */
const DAY_TOTALS_PAGE = 500;
const DAY_TOTALS_PAGES = 1_000;

/** A local date's totals over every user and its `top` costliest users (default 10). */
export const dayTotals = internalAction({
  args: { localDate: v.string(), top: v.optional(v.number()) },
  returns: v.object({ users: v.number(), totals: vTotals, top: v.array(vUserDay), complete: v.boolean() }),
  handler: async (ctx, { localDate: date, top }) => {
    const want = Math.max(0, Math.min(100, Math.floor(top ?? 10)));
    const pages: Totals[] = [];
    const leaders: (typeof vUserDay.type)[] = [];
    let users = 0;
    let cursor: string | null = null;
    for (let i = 0; i < DAY_TOTALS_PAGES; i += 1) {
      const result: { page: (typeof vUserDay.type)[]; pageTotals: Totals; isDone: boolean; continueCursor: string } =
        await ctx.runQuery(internal.usage.byDay, { localDate: date, paginationOpts: { numItems: DAY_TOTALS_PAGE, cursor } });
      pages.push(result.pageTotals);
      users += result.page.length;
      for (const day of result.page) if (leaders.length < want) leaders.push(day);
      if (result.isDone) return { users, totals: totalsOf(pages), top: leaders, complete: true };
      cursor = result.continueCursor;
    }
    return { users, totals: totalsOf(pages), top: leaders, complete: false };
  },
});
