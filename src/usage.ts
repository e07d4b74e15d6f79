// Budgets by tier and the reserve rule (docs/pipeline.md "Usage and budgets"). Pure: the
// ledger in convex/model/usage.ts reads the day and month totals and asks budgetVerdict.
//
// Budgets are in TOKENS, not cost: tokens bound every model, while an unknown model costs 0
// in the price table (src/llm/prices.ts) and a cost budget would then bound nothing. Cost is
// recorded next to the tokens for operators (usage.byDay).
import type { Tier, UsagePurpose } from "./domain";
import type { TokenUsage } from "./llm/client";
import { addDays, nextLocalMidnight, startOfLocalDate, type LocalDate } from "./time";

export type TokenBudget = {
  /** Tokens (in + out) a day, by the user's local date; resets at local midnight. */
  daily: number;
  /** Tokens a local calendar month; resets at local midnight on the 1st. */
  monthly: number;
};

/**
 * Per tier. A chat turn costs about 3,000-5,000 tokens (the turn schema, 50 stars, 12 turns,
 * the reply), so free is about 25 turns a day and 250 a month (about $0.15 a month on
 * gpt-4o-mini), pro about 250 a day. A pro user whose subscription ended counts as free.
 */
export const TOKEN_BUDGETS: Readonly<Record<Tier, TokenBudget>> = {
  free: { daily: 100_000, monthly: 1_000_000 },
  pro: { daily: 1_000_000, monthly: 20_000_000 },
};

/**
 * Output tokens reserved per purpose before a call (the input is estimated from the prompt):
 * a turn's reply plus its extraction, an experiment, a summary, a report; embeddings have
 * no output.
 */
export const OUTPUT_ALLOWANCE: Readonly<Record<UsagePurpose, number>> = {
  chat: 1_200,
  experiment: 400,
  summary: 400,
  embedding: 0,
  report: 1_000,
};

/** About 4 characters a token for English text and JSON (OpenAI's rule of thumb). */
export const CHARS_PER_TOKEN = 4;

/** The tokens to reserve for a call whose request serializes to `requestChars` characters. */
export function estimateTokens(requestChars: number, purpose: UsagePurpose): number {
  return Math.ceil(Math.max(0, requestChars) / CHARS_PER_TOKEN) + OUTPUT_ALLOWANCE[purpose];
}

/** Settled tokens and tokens reserved by calls in flight, over one window. */
export type WindowUse = { usedTokens: number; reservedTokens: number };

export type BudgetWindow = "day" | "month";

export type BudgetVerdict =
  | { ok: true }
  | {
      ok: false;
      window: BudgetWindow;
      /** True when settled usage alone is under the budget: calls in flight fill the rest. */
      heldByReservations: boolean;
    };

/**
 * A call may start while settled + reserved tokens are UNDER the budget, in both windows.
 * Every call in flight holds its estimate, so concurrent calls see each other's
 * reservations and the last one admitted overshoots by at most its own size (plus what
 * the estimates missed): as @convex-dev/ai-budget reserves and settles.
 */
export function budgetVerdict(budget: TokenBudget, day: WindowUse, month: WindowUse): BudgetVerdict {
  for (const [window, use, limit] of [
    ["day", day, budget.daily],
    ["month", month, budget.monthly],
  ] as const) {
    if (use.usedTokens + use.reservedTokens >= limit) {
      return { ok: false, window, heldByReservations: use.usedTokens < limit };
    }
  }
  return { ok: true };
}

/** The tokens left in a window (0 when spent or held by calls in flight). */
export function remainingTokens(limit: number, use: WindowUse): number {
  return Math.max(0, limit - use.usedTokens - use.reservedTokens);
}

/** `YYYY-MM` of a local date. */
export function monthOf(date: LocalDate): string {
  return date.slice(0, 7);
}

/** When the window holding `date` ends in `timeZone`: the next local midnight, or the 1st. */
export function windowResetAt(window: BudgetWindow, now: number, date: LocalDate, timeZone: string): number {
  if (window === "day") return nextLocalMidnight(now, timeZone);
  const firstOfMonth = `${monthOf(date)}-01`;
  // A month has at most 31 days, so its 1st plus 31 days lies in the next month.
  return startOfLocalDate(`${monthOf(addDays(firstOfMonth, 31))}-01`, timeZone);
}

/**
 * How long a call refused only because of reservations waits before asking again: calls in
 * flight settle within one model deadline, usually seconds, and may free the budget.
 */
export const RESERVATION_RECHECK_MS = 30_000;

/**
 * `total` plus one call's `usage`; either may be absent (no call billed yet, a failure
 * without a completion). A message's or a report's tokens summed over all its attempts.
 */
export function addUsage(total: TokenUsage | undefined, usage: TokenUsage | undefined): TokenUsage | undefined {
  if (usage === undefined) return total;
  if (total === undefined) return usage;
  return {
    promptTokens: total.promptTokens + usage.promptTokens,
    completionTokens: total.completionTokens + usage.completionTokens,
    totalTokens: total.totalTokens + usage.totalTokens,
  };
}
