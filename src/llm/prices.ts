// The price table: what one model call costs, in integer micro-dollars (1 µ$ = 10⁻⁶ USD).
// Pure; the usage ledger (convex/model/usage.ts) prices every call with costOf. Prices are
// the providers' list prices per million tokens, which in micro-dollars per million tokens
// are whole numbers; update a row when a provider changes its prices (docs/pipeline.md
// "Usage and budgets"). A model not listed costs 0 and is flagged `priced: false`, so an
// operator sees the gap instead of a wrong number.

/** List price of one model, in micro-dollars per million tokens (= USD per token × 10¹²/10⁶). */
export type ModelPrice = { inputPerMillion: number; outputPerMillion: number };

/** OpenAI list prices (USD per 1M tokens: gpt-4o-mini 0.15 in, 0.60 out), as of 2025. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-4o-mini": { inputPerMillion: 150_000, outputPerMillion: 600_000 },
  "gpt-4o": { inputPerMillion: 2_500_000, outputPerMillion: 10_000_000 },
  "gpt-4.1": { inputPerMillion: 2_000_000, outputPerMillion: 8_000_000 },
  "gpt-4.1-mini": { inputPerMillion: 400_000, outputPerMillion: 1_600_000 },
  "gpt-4.1-nano": { inputPerMillion: 100_000, outputPerMillion: 400_000 },
  "o4-mini": { inputPerMillion: 1_100_000, outputPerMillion: 4_400_000 },
  // Embeddings bill input only.
  "text-embedding-3-small": { inputPerMillion: 20_000, outputPerMillion: 0 },
  "text-embedding-3-large": { inputPerMillion: 130_000, outputPerMillion: 0 },
};

/** A dated snapshot ("gpt-4o-mini-2024-07-18") is billed as its family. */
const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The price of `model`, or null when the table does not know it. */
export function priceOf(model: string): ModelPrice | null {
  const name = model.trim().toLowerCase();
  return MODEL_PRICES[name] ?? MODEL_PRICES[name.replace(SNAPSHOT_SUFFIX, "")] ?? null;
}

export type CallCost = { microDollars: number; priced: boolean };

/**
 * The cost of one call: input and output tokens at the model's prices, rounded UP to a
 * whole micro-dollar (never under-bills; the error is below 1 µ$ a call). Unknown model: 0,
 * `priced: false`.
 */
export function costOf(model: string, promptTokens: number, completionTokens: number): CallCost {
  const price = priceOf(model);
  if (price === null) return { microDollars: 0, priced: false };
  const scaled = promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion;
  return { microDollars: Math.ceil(scaled / 1_000_000), priced: true };
}
