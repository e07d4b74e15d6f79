// The streaming form of the one structured call (docs/pipeline.md "Streaming"): the same
// request with `stream: true`, read as OpenAI's server-sent `chat.completion.chunk` events
// up to `data: [DONE]`. The content is assembled as it arrives and the reply's text (the
// first field of the turn schema) is handed to `onReplyText` as it grows; at the end the
// assembled answer goes through the same reading as a whole completion (client.ts
// readAnswer), so a streamed and a non-streamed answer fail and succeed alike.
// Never throws for model or network failures, like callStructured.
import { APIError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { failed, openAIClient, readAnswer, readUsage, type CallStructuredArgs, type StructuredResult, type TokenUsage } from "./client";
import { classifyFailure } from "./failures";
import { partialReply } from "./partialReply";
import { responseFormatFor } from "./schemas";

/** The stream broke (connection cut, or it ended without a finish_reason): a fresh attempt may do. */
export const STREAM_INTERRUPTED = "stream interrupted";

export type CallStreamingArgs<T> = CallStructuredArgs<T> & {
  /** The reply's text so far, each time it grows (the whole text, not a delta). */
  onReplyText: (text: string) => void;
};

/** What the stream did, for the result's caller (the bench reads it). */
export type StreamStats = { chunks: number; firstReplyTextMs: number | null };

export async function callStreaming<T>(
  args: CallStreamingArgs<T>,
): Promise<StructuredResult<T> & { stream: StreamStats }> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), args.timeoutMs);
  const started = Date.now();
  const stats: StreamStats = { chunks: 0, firstReplyTextMs: null };
  let content = "";
  let refusal = "";
  let finishReason: string | null = null;
  let usage: TokenUsage | undefined;
  let shown = "";
  try {
    let stream: AsyncIterable<ChatCompletionChunk>;
    try {
      stream = await openAIClient(args).chat.completions.create(
        {
          model: args.model,
          messages: args.messages,
          response_format: responseFormatFor(args.schema, args.name),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: deadline.signal },
      );
    } catch (error) {
      if (deadline.signal.aborted) return { ...failed<T>({ kind: "retryable", reason: "timeout" }), stream: stats };
      return { ...failed<T>(classifyFailure(error)), stream: stats };
    }
    try {
      for await (const chunk of stream) {
        stats.chunks += 1;
        if (chunk.usage) usage = readUsage(chunk.usage);
        const choice = chunk.choices?.[0];
        if (!choice) continue; // the usage chunk has no choices
        if (typeof choice.delta?.content === "string") content += choice.delta.content;
        if (typeof choice.delta?.refusal === "string") refusal += choice.delta.refusal;
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const reply = partialReply(content);
        const text = reply?.text.trimStart() ?? "";
        if (text.length > shown.length) {
          shown = text;
          stats.firstReplyTextMs ??= Date.now() - started;
          args.onReplyText(text);
        }
      }
    } catch (error) {
      // A completion was (partly) generated: the tokens it used are billed, when the
      // provider said how many (it says so only in the last chunk).
      if (deadline.signal.aborted) return { ...failed<T>({ kind: "retryable", reason: "timeout" }, usage), stream: stats };
      if (error instanceof APIError && error.status !== undefined) {
        return { ...failed<T>(classifyFailure(error), usage), stream: stats };
      }
      // An error event without a status, a cut connection, a broken SSE frame.
      return { ...failed<T>({ kind: "retryable", reason: STREAM_INTERRUPTED }, usage), stream: stats };
    }
    // The SDK ends the iteration quietly when the request is aborted: our deadline passed.
    if (deadline.signal.aborted) return { ...failed<T>({ kind: "retryable", reason: "timeout" }, usage), stream: stats };
    if (finishReason === null) {
      return { ...failed<T>({ kind: "retryable", reason: STREAM_INTERRUPTED }, usage), stream: stats };
    }
    const answer = readAnswer({ content, refusal: refusal || null, finishReason }, args.schema, usage ?? readUsage(null));
    return { ...answer, stream: stats };
  } finally {
    clearTimeout(timer);
  }
}
