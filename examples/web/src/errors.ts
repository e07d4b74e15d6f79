// Reading the server's errors: every error a client can act on is a ConvexError whose
// `data` is { code, message } (plus retryAfterMs for RATE_LIMITED and BUDGET_EXCEEDED); README "Error codes".
// The switch below is exhaustive over the server's union: a new code fails the typecheck.
import { ConvexError } from "convex/values";
import type { AppErrorData, ErrorCode } from "./convex";

/** The { code, message } of an error from useQuery or a mutation, or null for anything else. */
export function appErrorOf(error: unknown): AppErrorData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null || !("code" in data) || typeof data.code !== "string") return null;
  return data as AppErrorData;
}

export type ErrorAdvice = {
  code: ErrorCode | "UNEXPECTED";
  /** What to tell the person. */
  text: string;
  /** Whether trying the same thing again can help (and after how long). */
  retry: "now" | "later" | "never";
  retryAfterMs?: number;
};

export function adviseOn(error: unknown): ErrorAdvice {
  const data = appErrorOf(error);
  // Plain errors ("Server Error" in production) are bugs or outages, not something to act on.
  if (data === null) return { code: "UNEXPECTED", text: "Something went wrong on our side. Try again in a moment.", retry: "later" };
  const code = data.code;
  switch (code) {
    case "UNAUTHENTICATED":
      return { code, text: "Your session ended. Please sign in again.", retry: "never" };
    case "ACCOUNT_NOT_READY":
      // Only seen before users.ensure ran (useAccount calls it): wait, it resolves itself.
      return { code, text: "Setting up your account…", retry: "now" };
    case "ACCOUNT_DELETION_PENDING":
      return { code, text: "Your account is scheduled for deletion. Cancel the deletion to keep using Lodestar.", retry: "never" };
    case "NOT_FOUND":
      return { code, text: "That item no longer exists.", retry: "never" };
    case "INVALID_ARGUMENT":
      // The message names the field and the allowed range: show it as is.
      return { code, text: data.message, retry: "never" };
    case "INVALID_TRANSITION":
      return { code, text: `That is not possible right now: ${data.message}`, retry: "never" };
    case "CONFLICT":
      return { code, text: data.message, retry: "never" };
    case "RATE_LIMITED": {
      const seconds = Math.ceil((data.retryAfterMs ?? 1000) / 1000);
      return { code, text: `Slow down a little: try again in ${seconds} s.`, retry: "later", retryAfterMs: data.retryAfterMs };
    }
    case "MODEL_UNAVAILABLE":
      return { code, text: "The coach is offline on this deployment (no model configured).", retry: "never" };
    case "BUDGET_EXCEEDED": {
      // retryAfterMs: until the budget resets at your local midnight (or the 1st), or ~30 s
      // when only your other replies in progress hold it.
      const minutes = Math.ceil((data.retryAfterMs ?? 60_000) / 60_000);
      return { code, text: `You have used today's coaching allowance: try again in ${minutes} min.`, retry: "later", retryAfterMs: data.retryAfterMs };
    }
    default: {
      const unhandled: never = code;
      return { code: "UNEXPECTED", text: String(unhandled), retry: "never" };
    }
  }
}
