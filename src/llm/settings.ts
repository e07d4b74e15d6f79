// The model settings, read from the deployment's environment in one place: the
// conversation pipeline and the experiment generator call the same model with the same
// deadline. Pure: the caller passes the environment (convex/model/modelSettings.ts).

export const DEFAULT_MODEL = "gpt-4o-mini";
/** OPENAI_TIMEOUT_MS when unset or not a positive whole number: one call's deadline. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** A longer OPENAI_TIMEOUT_MS is cut here, so a stuck message is found (STUCK_PENDING_MS). */
export const MAX_TIMEOUT_MS = 300_000;

export type ModelSettings = {
  apiKey: string;
  model: string;
  baseURL?: string;
  /** Deadline of one model call, headers and body (ms). */
  timeoutMs: number;
};

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * OPENAI_API_KEY (required: null without it), OPENAI_MODEL (default gpt-4o-mini),
 * OPENAI_BASE_URL (any OpenAI-compatible server; omitted when unset) and OPENAI_TIMEOUT_MS.
 */
export function modelSettings(env: Environment): ModelSettings | null {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) return null;
  const model = env.OPENAI_MODEL?.trim() || DEFAULT_MODEL;
  const baseURL = env.OPENAI_BASE_URL?.trim();
  const timeoutMs = timeoutFrom(env.OPENAI_TIMEOUT_MS);
  return baseURL ? { apiKey, model, baseURL, timeoutMs } : { apiKey, model, timeoutMs };
}

function timeoutFrom(raw: string | undefined): number {
  const ms = Number(raw);
  return Number.isInteger(ms) && ms > 0 ? Math.min(ms, MAX_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
}

/**
 * EXTRACTION_BACKOFF_JITTER (tests only): a number in [0, 1] pins the backoff's jitter draw
 * (0 retries at once, 1 waits the whole ceiling); null when unset or invalid, which means
 * full jitter (Math.random, src/llm/failures.ts).
 */
export function pinnedBackoffJitter(env: Environment): number | null {
  const raw = env.EXTRACTION_BACKOFF_JITTER;
  const pinned = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(pinned) && pinned >= 0 && pinned <= 1 ? pinned : null;
}

/**
 * OPENAI_STREAM: whether the turn's model call streams (docs/pipeline.md "Streaming").
 * On unless "false", "0", "off" or "no"; off serves a provider that cannot stream, with one
 * whole response (the reply then appears at once, as before streaming).
 */
export function streamReplies(env: Environment): boolean {
  return !["false", "0", "off", "no"].includes(env.OPENAI_STREAM?.trim().toLowerCase() ?? "");
}

// ---------------------------------------------------------------- embeddings (semantic memory)

export const DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";
/**
 * Length of every stored vector. Fixed by the schema's vector index (convex/schema.ts
 * memoryVectors.by_embedding `dimensions`): a model with another length needs that number
 * changed with this one, and every memory embedded again (docs/pipeline.md "Memory").
 */
export const EMBEDDING_DIMENSIONS = 1536;

export type EmbeddingSettings = ModelSettings & { dimensions: number };

/**
 * The embeddings endpoint of the same OpenAI-compatible server as the chat model (same key,
 * base URL and deadline), with OPENAI_EMBEDDING_MODEL (default text-embedding-3-small).
 * Null without OPENAI_API_KEY, or with OPENAI_EMBEDDING_MODEL=none (a provider without an
 * embeddings endpoint): nothing is embedded, memory answers by text search alone, and
 * everything else works as before.
 */
export function embeddingSettings(env: Environment): EmbeddingSettings | null {
  const chat = modelSettings(env);
  if (chat === null) return null;
  const model = env.OPENAI_EMBEDDING_MODEL?.trim() || DEFAULT_EMBEDDING_MODEL;
  if (model.toLowerCase() === "none") return null;
  return { ...chat, model, dimensions: EMBEDDING_DIMENSIONS };
}
