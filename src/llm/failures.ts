// What went wrong on a model call, and whether trying again can help. Pure: the Convex
// scheduler owns the retry loop (the SDK runs with maxRetries 0), this only decides.
//  - retryable: the provider or the network hiccuped (429, 5xx, 408/409, timeouts,
//    connection errors) or the model produced output we could not parse. A new attempt
//    is a fresh sample, so malformed output is worth one more try.
//  - final: asking again gets the same answer (refusal, content filter, the answer did not
//    fit: finish_reason "length", other 4xx such as a bad key or a bad request).
import { z } from "zod";
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { clamp } from "../math";

export const MAX_ATTEMPTS = 3;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_FACTOR = 4;
export const BACKOFF_CAP_MS = 60_000;

export type FailureKind = "retryable" | "final";
export type Failure = {
  kind: FailureKind;
  /** Short, stable and free of user content: it is logged and stored. */
  reason: string;
  /** The provider's Retry-After, when it sent one: wait at least this long. */
  retryAfterMs?: number;
};

/** What a completion said about itself when it carried no usable output. */
export type CompletionOutcome = { finishReason?: string | null; refusal?: string | null };

const retryableFailure = (reason: string, afterMs?: number): Failure =>
  afterMs === undefined ? { kind: "retryable", reason } : { kind: "retryable", reason, retryAfterMs: afterMs };
const finalFailure = (reason: string): Failure => ({ kind: "final", reason });

/** Classifies a thrown error, or a completion's finish reason / refusal. Never throws. */
export function classifyFailure(input: unknown): Failure {
  if (input instanceof Error) return classifyError(input);
  if (isCompletionOutcome(input)) return classifyOutcome(input);
  return finalFailure("unexpected failure value");
}

function isCompletionOutcome(input: unknown): input is CompletionOutcome {
  return typeof input === "object" && input !== null && ("finishReason" in input || "refusal" in input);
}

function classifyOutcome({ finishReason, refusal }: CompletionOutcome): Failure {
  if (typeof refusal === "string" && refusal.length > 0) return finalFailure("refusal");
  if (finishReason === "content_filter") return finalFailure("finish_reason content_filter");
  if (finishReason === "length") return finalFailure("finish_reason length");
  // "stop" (or "tool_calls") without a usable answer: the sample went wrong, not the request.
  return retryableFailure(`malformed: finish_reason ${finishReason ?? "null"} without output`);
}

function classifyError(error: Error): Failure {
  // Subclasses first: the timeout error is a connection error, which is an APIError.
  if (error instanceof APIConnectionTimeoutError) return retryableFailure("timeout");
  if (error instanceof APIConnectionError) return retryableFailure("connection error");
  if (error instanceof APIUserAbortError) return finalFailure("aborted");
  if (error instanceof APIError) return classifyStatus(error);
  if (error instanceof SyntaxError) return retryableFailure("malformed: invalid JSON");
  if (error instanceof z.core.$ZodError) return retryableFailure("malformed: schema mismatch");
  if (error.name === "TimeoutError" || error.name === "AbortError") return retryableFailure("timeout");
  // Anything else is a bug or a misconfiguration (e.g. a missing key): retrying repeats it.
  return finalFailure(`unexpected error: ${error.name}`);
}

function classifyStatus(error: APIError): Failure {
  const status = error.status;
  if (status === undefined) return retryableFailure("api error without status");
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    return retryableFailure(`http ${status}`, retryAfterMs(error.headers));
  }
  return finalFailure(`http ${status}`);
}

/** Reads `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, BACKOFF_CAP_MS);
  const raw = headers.get("retry-after");
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, BACKOFF_CAP_MS);
  const date = Date.parse(raw);
  if (Number.isFinite(date)) return clamp(date - now, 0, BACKOFF_CAP_MS);
  return undefined;
}

/**
 * Delay before the next attempt, after attempt number `attempt` (1-based) failed:
 * "full jitter", uniform in [0, min(cap, base·factor^(attempt−1))). Full jitter spreads a
 * burst of failures (a provider outage hits every user at once) instead of re-synchronizing it.
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * BACKOFF_FACTOR ** (n - 1));
  const r = random();
  const unit = Number.isFinite(r) ? clamp(r, 0, 1) : 0;
  return Math.floor(unit * ceiling);
}

/** True when attempt number `attempt` failed with `failure` and another attempt is allowed. */
export function shouldRetry(failure: Failure, attempt: number): boolean {
  return failure.kind === "retryable" && attempt < MAX_ATTEMPTS;
}

/** The wait before the next attempt: the backoff, but never sooner than the provider asked. */
export function nextDelayMs(failure: Failure, attempt: number, random: () => number = Math.random): number {
  return Math.max(backoffDelayMs(attempt, random), failure.retryAfterMs ?? 0);
}
