// The error codes a client can act on: one documented union (README "Error codes").
// Plain `Error` is reserved for broken invariants; production redacts its message.
import { ConvexError } from "convex/values";

export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "ACCOUNT_NOT_READY",
  "ACCOUNT_DELETION_PENDING",
  "NOT_FOUND",
  "INVALID_ARGUMENT",
  "INVALID_TRANSITION",
  "CONFLICT",
  "RATE_LIMITED",
  "MODEL_UNAVAILABLE",
  "BUDGET_EXCEEDED",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type AppErrorData = { code: ErrorCode; message: string; retryAfterMs?: number };

export function appError(code: ErrorCode, message: string, extra: { retryAfterMs?: number } = {}) {
  return new ConvexError<AppErrorData>({ code, message, ...extra });
}

/** Another user's id and a missing id answer the same, so ids leak nothing. */
export function notFound(what: string) {
  return appError("NOT_FOUND", `${what} not found`);
}

export function invalidArgument(message: string) {
  return appError("INVALID_ARGUMENT", message);
}

export function invalidTransition(message: string) {
  return appError("INVALID_TRANSITION", message);
}
