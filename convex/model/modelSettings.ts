// The one reader of the model settings in the deployment's environment: the extraction
// pipeline and the experiment generator both call configuredModel(), so both honour
// OPENAI_API_KEY, OPENAI_MODEL, OPENAI_BASE_URL and OPENAI_TIMEOUT_MS (src/llm/settings.ts).
import {
  embeddingSettings,
  modelSettings,
  pinnedBackoffJitter,
  streamReplies,
  type EmbeddingSettings,
  type ModelSettings,
} from "../../src/llm/settings";
import { env } from "../_generated/server";

/** The model settings, or null when OPENAI_API_KEY is unset. */
export function configuredModel(): ModelSettings | null {
  return modelSettings(env);
}

/** OPENAI_STREAM: whether the turn's call streams (on unless set to false). */
export function streamingEnabled(): boolean {
  return streamReplies(env);
}

/**
 * The backoff's jitter source: Math.random (full jitter, src/llm/failures.ts) unless
 * EXTRACTION_BACKOFF_JITTER pins the draw (tests). Only the jitter is pinned; the ceilings
 * and the provider's Retry-After stay as in production.
 */
export function backoffRandom(): () => number {
  const pinned = pinnedBackoffJitter(env);
  return pinned === null ? Math.random : () => pinned;
}

/** The embeddings settings (same key and server, OPENAI_EMBEDDING_MODEL), or null without a key. */
export function configuredEmbeddings(): EmbeddingSettings | null {
  return embeddingSettings(env);
}
