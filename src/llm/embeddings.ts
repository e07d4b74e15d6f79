// One call to an OpenAI-compatible embeddings endpoint for a batch of texts. Never throws for
// model or network failures: like callStructured (client.ts) it answers a classified failure
// (failures.ts), so the caller can go on without memories and let the sweep embed later.
// Runs in the Convex default runtime (the SDK uses the global fetch).
import OpenAI from "openai";
import type { TokenUsage } from "./client";
import { classifyFailure, type FailureKind } from "./failures";
import type { EmbeddingSettings } from "./settings";

/** OpenAI accepts up to 2,048 inputs per request; we never send more than this many. */
export const MAX_EMBEDDING_INPUTS = 64;

export type EmbeddingResult =
  | { ok: true; vectors: number[][]; usage: TokenUsage }
  | { ok: false; kind: FailureKind; reason: string; retryAfterMs?: number };

export async function embedTexts(settings: EmbeddingSettings, inputs: readonly string[]): Promise<EmbeddingResult> {
  if (inputs.length === 0) return { ok: true, vectors: [], usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 } };
  if (inputs.length > MAX_EMBEDDING_INPUTS) return { ok: false, kind: "final", reason: "too many inputs" };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), settings.timeoutMs);
  try {
    const client = new OpenAI({
      apiKey: settings.apiKey,
      // null, not undefined: undefined would make the SDK read OPENAI_BASE_URL itself.
      baseURL: settings.baseURL ?? null,
      timeout: settings.timeoutMs,
      maxRetries: 0, // the scheduler and the sweep retry (convex/memory.ts)
    });
    // "float": the SDK's default asks for base64 and decodes it; floats are what compatible servers all speak.
    const response = await client.embeddings.create(
      { model: settings.model, input: [...inputs], encoding_format: "float" },
      { signal: deadline.signal },
    );
    return readEmbeddings(response, inputs.length, settings.dimensions);
  } catch (error) {
    if (deadline.signal.aborted) return { ok: false, kind: "retryable", reason: "timeout" };
    const failure = classifyFailure(error);
    return { ok: false, ...failure };
  } finally {
    clearTimeout(timer);
  }
}

function readEmbeddings(
  response: OpenAI.Embeddings.CreateEmbeddingResponse,
  count: number,
  dimensions: number,
): EmbeddingResult {
  const vectors: number[][] = new Array<number[]>(count);
  for (const item of response.data ?? []) {
    if (!Number.isInteger(item.index) || item.index < 0 || item.index >= count) continue;
    vectors[item.index] = item.embedding;
  }
  for (let i = 0; i < count; i += 1) {
    const vector = vectors[i];
    if (!Array.isArray(vector)) return { ok: false, kind: "retryable", reason: "malformed: missing embedding" };
    // The schema's vector index fixes the length: another model's vectors cannot be stored.
    if (vector.length !== dimensions) return { ok: false, kind: "final", reason: "malformed: embedding dimensions" };
    if (!vector.every((x) => typeof x === "number" && Number.isFinite(x))) {
      return { ok: false, kind: "retryable", reason: "malformed: embedding values" };
    }
  }
  const tokens = response.usage?.prompt_tokens;
  const promptTokens = typeof tokens === "number" && Number.isFinite(tokens) && tokens >= 0 ? tokens : 0;
  return { ok: true, vectors, usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens } };
}
