// The usage ledger and the budgets (docs/pipeline.md "Usage and budgets"): the ONE path of
// every model call. An action calls the model only through callModelWithBudget, which
//   1. reserves an estimate on the user's day (usage.reserve → reserveModelCall): refused
//      when the tier's daily or monthly token budget is spent or held by calls in flight;
//   2. makes the call (src/llm/client.ts; no other module of convex/ imports it: the test
//      tests/convex/usage.test.ts scans the sources);
//   3. settles to the real usage (usage.settle → settleModelCall): tokens by purpose and
//      model, and the cost in micro-dollars from the price table (src/llm/prices.ts).
// Mutations that admit work a model call will follow (messages.send, experiments.offerToday)
// ask assertWithinBudget first, so a client learns BUDGET_EXCEEDED before anything is stored.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Tier, UsagePurpose } from "../../src/domain";
import { callStructured, type StructuredResult, type TokenUsage } from "../../src/llm/client";
import { costOf } from "../../src/llm/prices";
import { embedTexts, type EmbeddingResult } from "../../src/llm/embeddings";
import { callStreaming } from "../../src/llm/stream";
import { responseFormatFor, type StructuredSchema } from "../../src/llm/schemas";
import { MAX_TIMEOUT_MS, type EmbeddingSettings, type ModelSettings } from "../../src/llm/settings";
import { boundText } from "../../src/text";
import { localDate, type LocalDate } from "../../src/time";
import {
  RESERVATION_RECHECK_MS,
  TOKEN_BUDGETS,
  budgetVerdict,
  estimateTokens,
  monthOf,
  windowResetAt,
  type BudgetVerdict,
  type TokenBudget,
  type WindowUse,
} from "../../src/usage";
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { ActionCtx, MutationCtx, QueryCtx } from "../_generated/server";
import { appError } from "../errors";
import { effectiveTier } from "../rateLimits";
import type { UsageLine } from "../validators";
import { configuredModel } from "./modelSettings";

/**
 * A reservation not settled by then belonged to a dead attempt (its action crashed or was
 * lost in a deploy) and is released by usage.expireReservation: twice the longest call
 * deadline (OPENAI_TIMEOUT_MS ≤ 5 min), so a live call always settles first.
 */
export const RESERVATION_TTL_MS = 2 * MAX_TIMEOUT_MS;
/** Lines (purpose × model) kept per user-day; further models fold into model "other". */
export const USAGE_LINES_MAX = 32;
/** A month has at most 31 day documents. */
const DAYS_IN_MONTH_MAX = 31;

// ---------------------------------------------------------------------------------------
// Reads: the day, the month, the verdict

export async function usageDay(
  ctx: Pick<QueryCtx, "db">,
  userId: Id<"users">,
  date: LocalDate,
): Promise<Doc<"usageDays"> | null> {
  return await ctx.db
    .query("usageDays")
    .withIndex("by_user_date", (q) => q.eq("userId", userId).eq("localDate", date))
    .unique();
}

/** The day documents of the local month holding `date` (at most 31: bounded by construction). */
async function monthDays(ctx: Pick<QueryCtx, "db">, userId: Id<"users">, date: LocalDate) {
  const month = monthOf(date);
  return await ctx.db
    .query("usageDays")
    .withIndex("by_user_date", (q) =>
      q.eq("userId", userId).gte("localDate", `${month}-01`).lte("localDate", `${month}-31`),
    )
    .take(DAYS_IN_MONTH_MAX);
}

function useOf(days: readonly (Doc<"usageDays"> | null)[]): WindowUse {
  let usedTokens = 0;
  let reservedTokens = 0;
  for (const day of days) {
    usedTokens += day?.totalTokens ?? 0;
    reservedTokens += day?.reservedTokens ?? 0;
  }
  return { usedTokens, reservedTokens };
}

export type BudgetState = {
  tier: Tier;
  budget: TokenBudget;
  localDate: LocalDate;
  today: Doc<"usageDays"> | null;
  month: Doc<"usageDays">[];
  day: WindowUse;
  monthUse: WindowUse;
  verdict: BudgetVerdict;
  resets: { day: number; month: number };
};

/** The user's budget at `now`: tier (an expired pro counts as free), windows, verdict, resets. */
export async function budgetState(ctx: Pick<QueryCtx, "db">, user: Doc<"users">, now: number): Promise<BudgetState> {
  const tier = effectiveTier(user, now);
  const budget = TOKEN_BUDGETS[tier];
  const date = localDate(now, user.timezone);
  const month = await monthDays(ctx, user._id, date);
  const today = month.find((day) => day.localDate === date) ?? null;
  const day = useOf([today]);
  const monthUse = useOf(month);
  return {
    tier,
    budget,
    localDate: date,
    today,
    month,
    day,
    monthUse,
    verdict: budgetVerdict(budget, day, monthUse),
    resets: {
      day: windowResetAt("day", now, date, user.timezone),
      month: windowResetAt("month", now, date, user.timezone),
    },
  };
}

/**
 * How long a refused call waits: until the window resets, or RESERVATION_RECHECK_MS when
 * only calls in flight fill the budget (they settle soon and may free it).
 */
export function retryAfterMs(state: BudgetState, now: number): number {
  const { verdict } = state;
  if (verdict.ok) return 0;
  const wait = verdict.heldByReservations ? RESERVATION_RECHECK_MS : state.resets[verdict.window] - now;
  return Math.max(1, Math.ceil(wait));
}

/** Throws BUDGET_EXCEEDED (with retryAfterMs) when a model call could not start now. */
export async function assertWithinBudget(ctx: Pick<QueryCtx, "db">, user: Doc<"users">, now: number): Promise<void> {
  const state = await budgetState(ctx, user, now);
  if (state.verdict.ok) return;
  const limit = state.verdict.window === "day" ? state.budget.daily : state.budget.monthly;
  throw appError(
    "BUDGET_EXCEEDED",
    `the ${state.tier} plan's ${state.verdict.window === "day" ? "daily" : "monthly"} budget of ${limit} tokens is used up`,
    { retryAfterMs: retryAfterMs(state, now) },
  );
}

// ---------------------------------------------------------------------------------------
// Writes: reserve, settle, release (mutation side)

/** The day document, created empty when the user's first call of the day reserves. */
async function ensureUsageDay(ctx: MutationCtx, userId: Id<"users">, date: LocalDate): Promise<Doc<"usageDays">> {
  const existing = await usageDay(ctx, userId, date);
  if (existing !== null) return existing;
  const fresh = {
    userId,
    localDate: date,
    calls: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    microDollars: 0,
    unpricedCalls: 0,
    reservedTokens: 0,
    lines: [],
  };
  const id = await ctx.db.insert("usageDays", fresh);
  return { _id: id, _creationTime: 0, ...fresh };
}

export type Reservation = { ok: true; reservationId: Id<"usageReservations"> } | { ok: false; retryAfterMs: number };

/**
 * Reserves `tokens` for one call of `purpose` on the user's current local day, or refuses
 * (with how long to wait) when the budget is spent or held by calls in flight. The check
 * and the reservation are one transaction, so concurrent calls see each other. The
 * reservation expires after RESERVATION_TTL_MS (a dead attempt's hold is released).
 */
export async function reserveModelCall(
  ctx: MutationCtx,
  user: Doc<"users">,
  purpose: UsagePurpose,
  model: string,
  tokens: number,
  now: number,
): Promise<Reservation> {
  const state = await budgetState(ctx, user, now);
  if (!state.verdict.ok) return { ok: false, retryAfterMs: retryAfterMs(state, now) };
  const day = state.today ?? (await ensureUsageDay(ctx, user._id, state.localDate));
  const held = Math.max(0, Math.ceil(tokens));
  await ctx.db.patch("usageDays", day._id, { reservedTokens: day.reservedTokens + held });
  const expiresAt = now + RESERVATION_TTL_MS;
  const reservationId = await ctx.db.insert("usageReservations", {
    userId: user._id,
    localDate: state.localDate,
    purpose,
    model: boundText("modelName", model),
    tokens: held,
    createdAt: now,
    expiresAt,
  });
  const expiryJobId = await ctx.scheduler.runAt(expiresAt, internal.usage.expireReservation, { reservationId });
  await ctx.db.patch("usageReservations", reservationId, { expiryJobId });
  return { ok: true, reservationId };
}

/** Gives a reservation's hold back to its day and deletes it. */
async function release(ctx: MutationCtx, reservation: Doc<"usageReservations">): Promise<Doc<"usageDays"> | null> {
  await ctx.db.delete("usageReservations", reservation._id);
  const day = await usageDay(ctx, reservation.userId, reservation.localDate);
  if (day === null) return null;
  const reservedTokens = Math.max(0, day.reservedTokens - reservation.tokens);
  await ctx.db.patch("usageDays", day._id, { reservedTokens });
  return { ...day, reservedTokens };
}

/**
 * Settles a call: releases its reservation and adds the real usage (absent when the call
 * returned no completion: an HTTP error or a timeout bills nothing) to the day the call
 * reserved on. Idempotent by the reservation id: a second settle, or one after the TTL
 * released the hold, finds no reservation and changes nothing.
 */
export async function settleModelCall(
  ctx: MutationCtx,
  reservationId: Id<"usageReservations">,
  usage: TokenUsage | null,
): Promise<void> {
  const reservation = await ctx.db.get("usageReservations", reservationId);
  if (reservation === null) return;
  // Cancelled so no job lingers for a call that ended (the TTL job would find nothing anyway).
  if (reservation.expiryJobId !== undefined) await ctx.scheduler.cancel(reservation.expiryJobId);
  const day = await release(ctx, reservation);
  if (day === null || usage === null) return;
  await ctx.db.patch("usageDays", day._id, addCall(day, reservation.purpose, reservation.model, usage));
}

/** The TTL job: releases a reservation its call never settled (no usage is known). */
export async function expireReservation(
  ctx: MutationCtx,
  reservationId: Id<"usageReservations">,
  now: number,
): Promise<boolean> {
  const reservation = await ctx.db.get("usageReservations", reservationId);
  if (reservation === null || reservation.expiresAt > now) return false;
  await release(ctx, reservation);
  return true;
}

/** A day's totals and lines with one more call. */
export function addCall(
  day: Pick<Doc<"usageDays">, "calls" | "promptTokens" | "completionTokens" | "totalTokens" | "microDollars" | "unpricedCalls" | "lines">,
  purpose: UsagePurpose,
  model: string,
  usage: TokenUsage,
) {
  const cost = costOf(model, usage.promptTokens, usage.completionTokens);
  const lines: UsageLine[] = day.lines.map((line) => ({ ...line }));
  const folded = lines.length >= USAGE_LINES_MAX && !lines.some((l) => l.purpose === purpose && l.model === model);
  const lineModel = folded ? "other" : model;
  let line = lines.find((l) => l.purpose === purpose && l.model === lineModel);
  if (line === undefined) {
    line = { purpose, model: lineModel, calls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, microDollars: 0, priced: true };
    lines.push(line);
  }
  line.calls += 1;
  line.promptTokens += usage.promptTokens;
  line.completionTokens += usage.completionTokens;
  line.totalTokens += usage.totalTokens;
  line.microDollars += cost.microDollars;
  line.priced = line.priced && cost.priced;
  return {
    calls: day.calls + 1,
    promptTokens: day.promptTokens + usage.promptTokens,
    completionTokens: day.completionTokens + usage.completionTokens,
    totalTokens: day.totalTokens + usage.totalTokens,
    microDollars: day.microDollars + cost.microDollars,
    unpricedCalls: day.unpricedCalls + (cost.priced ? 0 : 1),
    lines,
  };
}

// ---------------------------------------------------------------------------------------
// The one path (action side)

export type ModelRequest<T> = {
  messages: ChatCompletionMessageParam[];
  schema: StructuredSchema<T>;
  /** The response format's name, shown to the model (e.g. "tars_turn"). */
  name: string;
};

/** Who pays and why: the ledger line the call is counted on. */
export type ModelCaller = { userId: Id<"users">; purpose: UsagePurpose };

export type BudgetedCall<T> =
  /** The call ran; `result` as callStructured answers (its usage is settled already). */
  | { status: "called"; model: string; result: StructuredResult<T> }
  /** Refused before calling: the budget is spent (or held); ask again after retryAfterMs. */
  | { status: "overBudget"; retryAfterMs: number }
  /** No OPENAI_API_KEY: nothing was reserved or called. */
  | { status: "noModel" }
  /** The account is gone (erased meanwhile): nothing was reserved or called. */
  | { status: "noAccount" };

/** The characters a request sends (messages and the response schema): the estimate's input. */
function requestChars<T>(request: ModelRequest<T>): number {
  return JSON.stringify(request.messages).length + JSON.stringify(responseFormatFor(request.schema, request.name)).length;
}

/**
 * The one way an action calls the model: reserve → call → settle. Every model-calling
 * action uses this (tests/convex/usage.test.ts checks that no other module imports the
 * model client). Over budget, it answers `overBudget` and calls nothing: a user-facing
 * caller reports it, background work reschedules itself after `retryAfterMs` (deferred,
 * not lost). The settle runs even when the call throws (a bug), so no hold leaks.
 */
export async function callModelWithBudget<T>(
  ctx: Pick<ActionCtx, "runMutation">,
  caller: ModelCaller,
  request: ModelRequest<T>,
  settings: ModelSettings | null = configuredModel(),
  /** A streamed call (the chat turn, OPENAI_STREAM): the reply's text so far, as it grows. */
  stream?: { onReplyText: (text: string) => void },
): Promise<BudgetedCall<T>> {
  if (settings === null) return { status: "noModel" };
  const reservation: Reservation | null = await ctx.runMutation(internal.usage.reserve, {
    ...caller,
    model: settings.model,
    tokens: estimateTokens(requestChars(request), caller.purpose),
  });
  if (reservation === null) return { status: "noAccount" };
  if (!reservation.ok) return { status: "overBudget", retryAfterMs: reservation.retryAfterMs };
  let usage: TokenUsage | null = null;
  try {
    const result =
      stream === undefined
        ? await callStructured({ ...settings, ...request })
        : await callStreaming({ ...settings, ...request, onReplyText: stream.onReplyText });
    usage = result.usage ?? null;
    return { status: "called", model: settings.model, result };
  } finally {
    await ctx.runMutation(internal.usage.settle, { reservationId: reservation.reservationId, usage });
  }
}

/**
 * The one way an action embeds (purpose "embedding"): reserve → embed → settle, like
 * callModelWithBudget. Over budget it answers a retryable failure carrying `retryAfterMs`
 * and calls nothing, so every caller's failure path (the memory stays pending; its retry
 * or the hourly sweep embeds it later) defers the work instead of losing it.
 */
export async function embedWithBudget(
  ctx: Pick<ActionCtx, "runMutation">,
  userId: Id<"users">,
  settings: EmbeddingSettings,
  inputs: readonly string[],
): Promise<EmbeddingResult> {
  if (inputs.length === 0) return await embedTexts(settings, inputs); // no request is sent
  const chars = inputs.reduce((sum, text) => sum + text.length, 0);
  const reservation: Reservation | null = await ctx.runMutation(internal.usage.reserve, {
    userId,
    purpose: "embedding",
    model: settings.model,
    tokens: estimateTokens(chars, "embedding"),
  });
  if (reservation === null) return { ok: false, kind: "final", reason: "account gone" };
  if (!reservation.ok) return { ok: false, kind: "retryable", reason: "budget exceeded", retryAfterMs: reservation.retryAfterMs };
  let usage: TokenUsage | null = null;
  try {
    const result = await embedTexts(settings, inputs);
    usage = result.ok ? result.usage : null;
    return result;
  } finally {
    await ctx.runMutation(internal.usage.settle, { reservationId: reservation.reservationId, usage });
  }
}
