// One structured call to an OpenAI-compatible chat completions API. Never throws for model
// or network failures: it answers a classified failure (failures.ts) so the Convex action
// can record it and let the scheduler retry. Runs in the Convex default runtime: the SDK
// uses the global fetch, and nothing here imports `node:`.
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { classifyFailure } from "./failures";
import type { Failure, FailureKind } from "./failures";
import { responseFormatFor } from "./schemas";
import type { StructuredSchema } from "./schemas";

export type TokenUsage = { promptTokens: number; completionTokens: number; totalTokens: number };

/**
 * A failed model call as an action hands it to its recording mutation: the classified
 * failure (failures.ts decides the retry) and the tokens billed when a completion came back
 * (convex/validators.ts vModelFailure).
 */
export type ModelFailure = {
  kind: "failure";
  failureKind: FailureKind;
  reason: string;
  retryAfterMs?: number;
  usage?: TokenUsage;
};

export type StructuredResult<T> =
  | { ok: true; data: T; usage: TokenUsage }
  | {
      ok: false;
      kind: FailureKind;
      reason: string;
      retryAfterMs?: number;
      /** Present when a completion came back (refusal, malformed...): those tokens are billed. */
      usage?: TokenUsage;
    };

export type CallStructuredArgs<T> = {
  apiKey: string;
  baseURL?: string;
  model: string;
  messages: ChatCompletionMessageParam[];
  schema: StructuredSchema<T>;
  /** The response format's name, shown to the model (e.g. "tars_turn"). */
  name: string;
  /** Deadline for the whole call, headers and body. */
  timeoutMs: number;
};

export async function callStructured<T>(args: CallStructuredArgs<T>): Promise<StructuredResult<T>> {
  // Our own deadline covers reading the body too; the SDK's `timeout` stops at headers.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), args.timeoutMs);
  try {
    const client = openAIClient(args);
    const completion = await client.chat.completions.create(
      {
        model: args.model,
        messages: args.messages,
        response_format: responseFormatFor(args.schema, args.name),
      },
      { signal: deadline.signal },
    );
    return readCompletion(completion, args.schema);
  } catch (error) {
    // Aborted by our deadline, whatever shape the SDK gave the abort: a timeout.
    if (deadline.signal.aborted) return failed({ kind: "retryable", reason: "timeout" });
    return failed(classifyFailure(error));
  } finally {
    clearTimeout(timer);
  }
}

/** The SDK client of one call: no SDK retries, the call's deadline for the headers. */
export function openAIClient(args: Pick<CallStructuredArgs<unknown>, "apiKey" | "baseURL" | "timeoutMs">): OpenAI {
  return new OpenAI({
    apiKey: args.apiKey,
    // null, not undefined: undefined would make the SDK read OPENAI_BASE_URL itself.
    baseURL: args.baseURL ?? null,
    timeout: args.timeoutMs,
    maxRetries: 0, // the Convex scheduler retries (failures.ts), with durable backoff
  });
}

function readCompletion<T>(completion: ChatCompletion, schema: StructuredSchema<T>): StructuredResult<T> {
  const usage = readUsage(completion.usage);
  const choice = completion.choices?.[0];
  if (!choice) return failed({ kind: "retryable", reason: "malformed: no choices" }, usage);
  const { refusal, content } = choice.message ?? {};
  return readAnswer({ content, refusal, finishReason: choice.finish_reason }, schema, usage);
}

/** A finished answer, whole or assembled from a stream: what it says, and how it ended. */
export type Answer = { content?: string | null; refusal?: string | null; finishReason?: string | null };

/** The one reading of an answer (streamed or not): the same failures for the same endings. */
export function readAnswer<T>(answer: Answer, schema: StructuredSchema<T>, usage: TokenUsage): StructuredResult<T> {
  const { refusal, content, finishReason } = answer;
  if (refusal || finishReason === "length" || finishReason === "content_filter") {
    return failed(classifyFailure({ finishReason, refusal }), usage);
  }
  if (typeof content !== "string" || content.trim().length === 0) {
    return failed(classifyFailure({ finishReason }), usage);
  }
  const parsed = parseJson(content);
  if (!parsed.ok) return failed({ kind: "retryable", reason: "malformed: invalid JSON" }, usage);
  const result = schema.parse.safeParse(parsed.value);
  if (!result.success) return failed({ kind: "retryable", reason: "malformed: schema mismatch" }, usage);
  return { ok: true, data: result.data, usage };
}

function parseJson(content: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(content) };
  } catch {
    return { ok: false };
  }
}

/** Compatible providers may omit usage or fields of it: count what is there. */
export function readUsage(usage: ChatCompletion["usage"] | null | undefined): TokenUsage {
  const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0);
  const promptTokens = count(usage?.prompt_tokens);
  const completionTokens = count(usage?.completion_tokens);
  const total = count(usage?.total_tokens);
  return { promptTokens, completionTokens, totalTokens: total || promptTokens + completionTokens };
}

export function failed<T>(failure: Failure, usage?: TokenUsage): StructuredResult<T> {
  return { ok: false, ...failure, ...(usage ? { usage } : {}) };
}
