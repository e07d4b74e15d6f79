import { describe, expect, test } from "vitest";
import { z } from "zod";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  InternalServerError,
  RateLimitError,
} from "openai";
import {
  BACKOFF_CAP_MS,
  MAX_ATTEMPTS,
  backoffDelayMs,
  classifyFailure,
  nextDelayMs,
  retryAfterMs,
  shouldRetry,
} from "../../src/llm/failures";

const status = (code: number, headers: Record<string, string> = {}) =>
  APIError.generate(code, { message: `status ${code}` }, undefined, new Headers(headers));

describe("classifyFailure: errors", () => {
  test.each([429, 500, 502, 503, 504, 408, 409])("HTTP %i is retryable", (code) => {
    expect(classifyFailure(status(code))).toEqual({ kind: "retryable", reason: `http ${code}` });
  });

  test.each([400, 401, 403, 404, 422])("HTTP %i is final", (code) => {
    expect(classifyFailure(status(code))).toEqual({ kind: "final", reason: `http ${code}` });
  });

  test("generate() builds the SDK's subclasses, which classify by status", () => {
    expect(status(429)).toBeInstanceOf(RateLimitError);
    expect(status(503)).toBeInstanceOf(InternalServerError);
    expect(status(401)).toBeInstanceOf(AuthenticationError);
  });

  test("Retry-After is carried on retryable statuses", () => {
    expect(classifyFailure(status(429, { "retry-after": "3" }))).toEqual({
      kind: "retryable",
      reason: "http 429",
      retryAfterMs: 3_000,
    });
    expect(classifyFailure(status(503, { "retry-after-ms": "1500" }))).toMatchObject({ retryAfterMs: 1_500 });
  });

  test("timeouts and connection errors are retryable, timeout first", () => {
    expect(classifyFailure(new APIConnectionTimeoutError())).toEqual({ kind: "retryable", reason: "timeout" });
    expect(classifyFailure(new APIConnectionError({ message: "ECONNREFUSED" }))).toEqual({
      kind: "retryable",
      reason: "connection error",
    });
  });

  test("malformed output (JSON or schema) is retryable", () => {
    let syntax: unknown;
    try {
      JSON.parse("{nope");
    } catch (error) {
      syntax = error;
    }
    expect(classifyFailure(syntax)).toEqual({ kind: "retryable", reason: "malformed: invalid JSON" });
    const zod = z.object({ reply: z.string() }).safeParse({}).error;
    expect(classifyFailure(zod)).toEqual({ kind: "retryable", reason: "malformed: schema mismatch" });
  });

  test("a DOM timeout or abort is a retryable timeout", () => {
    expect(classifyFailure(new DOMException("t", "TimeoutError"))).toMatchObject({ kind: "retryable", reason: "timeout" });
  });

  test("a user abort, a bug or an odd value is final", () => {
    expect(classifyFailure(new APIUserAbortError())).toEqual({ kind: "final", reason: "aborted" });
    expect(classifyFailure(new TypeError("x is undefined"))).toEqual({ kind: "final", reason: "unexpected error: TypeError" });
    expect(classifyFailure("boom")).toEqual({ kind: "final", reason: "unexpected failure value" });
    expect(classifyFailure(null)).toEqual({ kind: "final", reason: "unexpected failure value" });
  });
});

describe("classifyFailure: completion outcomes", () => {
  test("refusal, content_filter and length are final", () => {
    expect(classifyFailure({ refusal: "I can't help with that" })).toEqual({ kind: "final", reason: "refusal" });
    expect(classifyFailure({ finishReason: "content_filter" })).toEqual({
      kind: "final",
      reason: "finish_reason content_filter",
    });
    expect(classifyFailure({ finishReason: "length" })).toEqual({ kind: "final", reason: "finish_reason length" });
  });

  test("a refusal wins over the finish reason", () => {
    expect(classifyFailure({ finishReason: "stop", refusal: "no" })).toMatchObject({ kind: "final", reason: "refusal" });
  });

  test("stop (or tool_calls) without output is a retryable malformed sample", () => {
    expect(classifyFailure({ finishReason: "stop", refusal: null })).toEqual({
      kind: "retryable",
      reason: "malformed: finish_reason stop without output",
    });
    expect(classifyFailure({ finishReason: "tool_calls" })).toMatchObject({ kind: "retryable" });
  });
});

describe("backoff", () => {
  test("exponential, base 1 s, factor 4, cap 60 s, full jitter", () => {
    const half = () => 0.5;
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelayMs(attempt, half))).toEqual([
      500, 2_000, 8_000, 30_000, 30_000, 30_000,
    ]);
    const top = () => 1;
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, top))).toEqual([1_000, 4_000, 16_000, 60_000]);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(2, () => 0.123)).toBe(492);
  });

  test("odd inputs are clamped, never NaN or negative", () => {
    expect(backoffDelayMs(0, () => 0.5)).toBe(500);
    expect(backoffDelayMs(Number.NaN, () => 0.5)).toBe(500);
    expect(backoffDelayMs(2.9, () => 0.5)).toBe(2_000);
    expect(backoffDelayMs(1_000, () => 0.5)).toBe(BACKOFF_CAP_MS / 2);
    expect(backoffDelayMs(2, () => -3)).toBe(0);
    expect(backoffDelayMs(2, () => 7)).toBe(4_000);
    expect(backoffDelayMs(2, () => Number.NaN)).toBe(0);
  });

  test("defaults to Math.random, within the ceiling", () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const delay = backoffDelayMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(BACKOFF_CAP_MS, 1_000 * 4 ** (attempt - 1)));
    }
  });

  test("three attempts in all, retryable failures only", () => {
    expect(MAX_ATTEMPTS).toBe(3);
    const retryable = { kind: "retryable", reason: "http 500" } as const;
    expect(shouldRetry(retryable, 1)).toBe(true);
    expect(shouldRetry(retryable, 2)).toBe(true);
    expect(shouldRetry(retryable, 3)).toBe(false);
    expect(shouldRetry({ kind: "final", reason: "refusal" }, 1)).toBe(false);
  });

  test("the next delay honours Retry-After when it is longer", () => {
    expect(nextDelayMs({ kind: "retryable", reason: "http 429", retryAfterMs: 5_000 }, 1, () => 0.5)).toBe(5_000);
    expect(nextDelayMs({ kind: "retryable", reason: "http 429", retryAfterMs: 100 }, 2, () => 0.5)).toBe(2_000);
    expect(nextDelayMs({ kind: "retryable", reason: "http 500" }, 1, () => 0.5)).toBe(500);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  test("seconds, milliseconds, an HTTP date; capped; junk ignored", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2_000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" }), now)).toBe(10_000);
    expect(retryAfterMs(new Headers({ "retry-after": "3600" }), now)).toBe(BACKOFF_CAP_MS);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
