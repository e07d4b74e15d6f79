// The price table and the budget rule (src/llm/prices.ts, src/usage.ts): hand-computed cases.
import { describe, expect, it } from "vitest";
import { MODEL_PRICES, costOf, priceOf } from "../../src/llm/prices";
import {
  TOKEN_BUDGETS,
  budgetVerdict,
  estimateTokens,
  remainingTokens,
  windowResetAt,
} from "../../src/usage";

describe("the price table", () => {
  it("prices a known model in whole micro-dollars, rounding up", () => {
    // gpt-4o-mini: $0.15 / 1M in, $0.60 / 1M out. 120 in + 30 out = 18 µ$ + 18 µ$.
    expect(costOf("gpt-4o-mini", 120, 30)).toEqual({ microDollars: 36, priced: true });
    expect(costOf("gpt-4o-mini", 1_000_000, 0)).toEqual({ microDollars: 150_000, priced: true });
    expect(costOf("gpt-4o-mini", 0, 1_000_000)).toEqual({ microDollars: 600_000, priced: true });
    // 1 in = 0.15 µ$: rounded up to 1, never down to 0.
    expect(costOf("gpt-4o-mini", 1, 0)).toEqual({ microDollars: 1, priced: true });
    // gpt-4o: $2.50 in, $10 out: 2,000 in + 500 out = 5,000 + 5,000 µ$.
    expect(costOf("gpt-4o", 2_000, 500)).toEqual({ microDollars: 10_000, priced: true });
    // Embeddings bill input only.
    expect(costOf("text-embedding-3-small", 1_000, 0)).toEqual({ microDollars: 20, priced: true });
  });

  it("bills a dated snapshot as its family, whatever the case", () => {
    expect(priceOf("gpt-4o-mini-2024-07-18")).toEqual(MODEL_PRICES["gpt-4o-mini"]);
    expect(priceOf(" GPT-4o-Mini ")).toEqual(MODEL_PRICES["gpt-4o-mini"]);
  });

  it("an unknown model costs 0 and is flagged", () => {
    expect(priceOf("llama3.1:8b")).toBeNull();
    expect(costOf("llama3.1:8b", 5_000, 5_000)).toEqual({ microDollars: 0, priced: false });
  });

  it("every price is a whole, non-negative number of micro-dollars per million tokens", () => {
    for (const price of Object.values(MODEL_PRICES)) {
      expect(Number.isInteger(price.inputPerMillion) && price.inputPerMillion >= 0).toBe(true);
      expect(Number.isInteger(price.outputPerMillion) && price.outputPerMillion >= 0).toBe(true);
    }
  });
});

describe("the budget rule", () => {
  const budget = TOKEN_BUDGETS.free;
  const use = (usedTokens: number, reservedTokens = 0) => ({ usedTokens, reservedTokens });

  it("admits while settled + reserved tokens are under both budgets", () => {
    expect(budgetVerdict(budget, use(99_999), use(99_999))).toEqual({ ok: true });
    expect(budgetVerdict(budget, use(100_000), use(100_000))).toEqual({ ok: false, window: "day", heldByReservations: false });
    expect(budgetVerdict(budget, use(90_000, 10_000), use(90_000, 10_000))).toEqual({
      ok: false,
      window: "day",
      heldByReservations: true,
    });
    expect(budgetVerdict(budget, use(0), use(1_000_000))).toEqual({ ok: false, window: "month", heldByReservations: false });
    expect(remainingTokens(budget.daily, use(60_000, 5_000))).toBe(35_000);
    expect(remainingTokens(budget.daily, use(120_000))).toBe(0);
  });

  it("estimates a call from its request size plus the purpose's output allowance", () => {
    expect(estimateTokens(4_001, "chat")).toBe(1_001 + 1_200);
    expect(estimateTokens(400, "embedding")).toBe(100);
  });

  it("resets the day at local midnight and the month on the local 1st (two zones)", () => {
    const now = Date.UTC(2026, 0, 31, 12); // 21:00 in Tokyo, 07:00 in New York, 31 January
    expect(windowResetAt("day", now, "2026-01-31", "Asia/Tokyo")).toBe(Date.UTC(2026, 0, 31, 15));
    expect(windowResetAt("month", now, "2026-01-31", "Asia/Tokyo")).toBe(Date.UTC(2026, 0, 31, 15));
    expect(windowResetAt("day", now, "2026-01-31", "America/New_York")).toBe(Date.UTC(2026, 1, 1, 5));
    expect(windowResetAt("month", Date.UTC(2026, 1, 10), "2026-02-10", "America/New_York")).toBe(Date.UTC(2026, 2, 1, 5));
    // December rolls over into the next year.
    expect(windowResetAt("month", Date.UTC(2026, 11, 5), "2026-12-05", "UTC")).toBe(Date.UTC(2027, 0, 1));
  });
});
