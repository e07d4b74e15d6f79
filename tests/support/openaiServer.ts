// A real HTTP server on loopback that speaks the OpenAI chat completions protocol, scripted
// per test, so the real `openai` SDK (fetch, status handling, timeouts) is exercised end to
// end. A request with `stream: true` gets the same scripted answer as server-sent events in
// OpenAI's wire format (`data: {chat.completion.chunk}` frames, a usage chunk when
// `stream_options.include_usage` asks for it, then `data: [DONE]`), paced and broken as the
// streaming options below say. Test files can run it directly: under vitest's edge-runtime environment, `node:`
// built-ins still come from Node (checked: createServer + listen + fetch work in a test).
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedUsage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

type Timing = {
  /** Wait this long before sending anything (headers included): for client timeouts. */
  delayMs?: number;
  /** Send the headers at once, then wait this long before the body. */
  bodyDelayMs?: number;
  usage?: ScriptedUsage;
  // Streaming only (a request with `stream: true`):
  /** Content characters per chunk (default 16); `chunks` scripts set their own. */
  chunkChars?: number;
  /** Wait between chunks (default 0). */
  chunkDelayMs?: number;
  /** Destroy the connection after this many content characters (a stream cut mid-reply). */
  cutAfterChars?: number;
  /** Stop sending after this many content characters and hold the connection open. */
  stallAfterChars?: number;
  /** Called with the time each content chunk is written (the bench's pacing record). */
  onChunk?: (index: number, at: number) => void;
};

/** One scripted answer: the next request gets the next one. */
export type ScriptedResponse = Timing &
  (
    | { json: unknown } // structured content, serialized as the message content
    | { raw: string } // content sent verbatim (malformed output)
    | { status: number; body?: unknown; headers?: Record<string, string> }
    | { refusal: string }
    | { finishReason: "length" | "content_filter" | "stop"; content?: string | null }
    | { delayMs: number } // only a delay: answers `{}` as content, usually too late
    | { chunks: string[] } // content in exactly these pieces (streamed one a chunk; joined otherwise)
  );

export type RecordedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
};

/** What the embeddings route answers next instead of vectors (a scripted failure). */
export type ScriptedEmbeddingFailure = { status: number; body?: unknown; headers?: Record<string, string> };

export type OpenAIServer = {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `${url}/v1`, the SDK's `baseURL`. */
  baseURL: string;
  enqueue: (...responses: ScriptedResponse[]) => void;
  requests: RecordedRequest[];
  /** Scripted responses not consumed yet. */
  pending: () => number;
  /** Forgets the queue and the recorded requests (between tests). */
  reset: () => void;
  /**
   * POST /v1/embeddings (OpenAI's response format), apart from the chat queue: deterministic
   * vectors built from the words of each input (embeddingFor), so similarity is exact.
   */
  /** Conversation summary requests (response format "conversation_summary"), answered by summaryFor. */
  summaries: { requests: RecordedRequest[] };
  embeddings: {
    /** Every embeddings request, in order (chat requests stay in `requests`). */
    requests: RecordedRequest[];
    /** The next requests fail with these, one each, before vectors resume. */
    fail: (...failures: ScriptedEmbeddingFailure[]) => void;
    /** Words that embed as another word ("mornings" → "morning"): the test decides what means the same. */
    synonyms: Map<string, string>;
  };
  close: () => Promise<void>;
};

export const DEFAULT_USAGE: ScriptedUsage = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 };

export async function startOpenAIServer(): Promise<OpenAIServer> {
  const queue: ScriptedResponse[] = [];
  const requests: RecordedRequest[] = [];
  const embeddingRequests: RecordedRequest[] = [];
  const summaryRequests: RecordedRequest[] = [];
  const embeddingFailures: ScriptedEmbeddingFailure[] = [];
  const synonyms = new Map<string, string>();
  let nextId = 1;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const body = parseJson(text);
    if (req.method === "POST" && /^(\/v1)?\/embeddings$/.test(path)) {
      embeddingRequests.push({ method: req.method, path, headers: req.headers, body });
      const failure = embeddingFailures.shift();
      if (failure) return send(res, failure.status, failure.body ?? errorBody(failure.status), failure.headers);
      return send(res, 200, embeddingsResponse(body, synonyms));
    }
    if (req.method === "POST" && isSummaryRequest(body)) {
      // Conversation summaries (convex/summaries.ts) are answered apart from the chat queue, so
      // a test's scripted turns are never consumed by the summary a completion schedules.
      summaryRequests.push({ method: req.method, path, headers: req.headers, body });
      return send(res, 200, completionFor({ json: { summary: summaryFor(body) } }, `chatcmpl-summary-${nextId++}`, readModel(body)));
    }
    requests.push({ method: req.method ?? "", path, headers: req.headers, body });
    if (req.method !== "POST" || !/^(\/v1)?\/chat\/completions$/.test(path)) {
      return send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
    }
    let hungUp = false;
    res.once("close", () => (hungUp = true));
    const script = queue.shift();
    if (!script) {
      return send(res, 500, { error: { message: "openaiServer: no scripted response left", type: "server_error" } });
    }
    if (script.delayMs) await sleepUnlessClosed(script.delayMs, res);
    if (hungUp) return; // the client gave up (timeout): nothing to answer
    const model = readModel(body);
    if ("status" in script) return send(res, script.status, script.body ?? errorBody(script.status), script.headers);
    const completion = completionFor(script, `chatcmpl-test-${nextId++}`, model);
    if (isStreamRequest(body)) return await streamCompletion(res, script, completion, wantsUsage(body), () => hungUp);
    if (!script.bodyDelayMs) return send(res, 200, completion);
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    await sleepUnlessClosed(script.bodyDelayMs, res);
    if (!hungUp) res.end(JSON.stringify(completion));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo; // listening on TCP: always an AddressInfo
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseURL: `${url}/v1`,
    enqueue: (...responses) => queue.push(...responses),
    requests,
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      embeddingRequests.length = 0;
      summaryRequests.length = 0;
      embeddingFailures.length = 0;
      synonyms.clear();
    },
    summaries: { requests: summaryRequests },
    embeddings: {
      requests: embeddingRequests,
      fail: (...failures) => embeddingFailures.push(...failures),
      synonyms,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // keep-alive sockets would hold close() open
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Embeddings: a bag of words, one dimension per word (by hash), unit length. Two texts'
// cosine similarity is then exactly their shared words' share: "coffee with Priya" and
// "Priya loves coffee" share 2 of 3 content words each (similarity 2/3).

export const EMBEDDING_DIMENSIONS = 1536;

const STOP_WORDS = new Set(
  "a an and are as at be but by do for from had has have he her him his how i i'm im in is it its me my of on or our she so that the their them then there they this to was we were what when which who will with you your about".split(
    " ",
  ),
);

/** The content words of a text, as the embedding sees them (lower case, no stop words, synonyms applied). */
export function embeddingWords(text: string, synonyms: ReadonlyMap<string, string> = new Map()): string[] {
  return text
    .toLowerCase()
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1 && !STOP_WORDS.has(word))
    .map((word) => synonyms.get(word) ?? word);
}

function wordDimension(word: string): number {
  let hash = 2166136261;
  for (let i = 0; i < word.length; i += 1) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
  return (hash >>> 0) % EMBEDDING_DIMENSIONS;
}

/** The vector the loopback server answers for `text` (tests plant memories with the same). */
export function embeddingFor(text: string, synonyms: ReadonlyMap<string, string> = new Map()): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of new Set(embeddingWords(text, synonyms))) vector[wordDimension(word)] += 1;
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  // A text with no content word still gets a (lonely) direction, never a zero vector.
  if (norm === 0) vector[EMBEDDING_DIMENSIONS - 1] = 1;
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

function embeddingsResponse(body: unknown, synonyms: ReadonlyMap<string, string>) {
  const rawInput = typeof body === "object" && body !== null && "input" in body ? body.input : [];
  const inputs = (Array.isArray(rawInput) ? rawInput : [rawInput]).map(String);
  const tokens = inputs.reduce((sum, input) => sum + embeddingWords(input).length + 1, 0);
  return {
    object: "list",
    data: inputs.map((input, index) => ({ object: "embedding", index, embedding: embeddingFor(input, synonyms) })),
    model: readModel(body),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function isSummaryRequest(body: unknown): boolean {
  const format = (body as { response_format?: { json_schema?: { name?: unknown } } } | null)?.response_format;
  return format?.json_schema?.name === "conversation_summary";
}

/** The scripted summary: "You talked about " and the user's words of the conversation data. */
export function summaryFor(body: unknown): string {
  const messages = (body as { messages?: { content?: unknown }[] } | null)?.messages ?? [];
  const data = String(messages.at(-1)?.content ?? "");
  const parsed = parseJson(data.slice(data.indexOf("\n") + 1)) as { turns?: { role: string; content: string }[] } | null;
  const said = (parsed?.turns ?? []).filter((turn) => turn.role === "user").map((turn) => turn.content);
  return `You talked about ${said.join(" ").slice(0, 400) || "nothing yet"}`;
}

function completionFor(script: ScriptedResponse, id: string, model: string) {
  let content: string | null = "{}";
  let refusal: string | null = null;
  let finishReason = "stop";
  if ("json" in script) content = JSON.stringify(script.json);
  else if ("raw" in script) content = script.raw;
  else if ("chunks" in script) content = script.chunks.join("");
  else if ("refusal" in script) {
    content = null;
    refusal = script.refusal;
  } else if ("finishReason" in script) {
    finishReason = script.finishReason;
    content = script.content === undefined ? defaultContentFor(script.finishReason) : script.content;
  }
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal }, logprobs: null, finish_reason: finishReason }],
    usage: script.usage ?? DEFAULT_USAGE,
    system_fingerprint: "fp_test",
  };
}

type Completion = ReturnType<typeof completionFor>;

function isStreamRequest(body: unknown): boolean {
  return typeof body === "object" && body !== null && "stream" in body && body.stream === true;
}

function wantsUsage(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } }).stream_options;
  return options?.include_usage === true;
}

/** The content of a scripted answer in the pieces a stream sends. */
function contentChunks(script: ScriptedResponse, content: string | null): string[] {
  if ("chunks" in script) return script.chunks;
  if (content === null || content.length === 0) return [];
  const size = Math.max(1, script.chunkChars ?? 16);
  const pieces: string[] = [];
  for (let i = 0; i < content.length; i += size) pieces.push(content.slice(i, i + size));
  return pieces;
}

/**
 * The completion as OpenAI streams it: a first chunk with the role, the content (or the
 * refusal) in pieces, a chunk with the finish_reason, the usage chunk (empty choices) when
 * asked for, then `[DONE]`. cutAfterChars / stallAfterChars break it after that much content.
 */
async function streamCompletion(
  res: ServerResponse,
  script: ScriptedResponse,
  completion: Completion,
  includeUsage: boolean,
  hungUp: () => boolean,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_test" });
  res.flushHeaders();
  if (script.bodyDelayMs) await sleepUnlessClosed(script.bodyDelayMs, res);
  const { message, finish_reason: finishReason } = completion.choices[0];
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      id: completion.id,
      object: "chat.completion.chunk",
      created: completion.created,
      model: completion.model,
      system_fingerprint: completion.system_fingerprint,
      choices,
      ...extra,
    })}\n\n`;
  const delta = (d: Record<string, unknown>, finish: string | null = null) => frame([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  const write = (text: string) => {
    if (!hungUp()) res.write(text);
  };
  write(delta({ role: "assistant", content: "", refusal: null }));
  const refusal = message.refusal;
  const pieces = refusal !== null ? contentChunks(script, refusal) : contentChunks(script, message.content);
  let sent = 0;
  for (const [index, piece] of pieces.entries()) {
    if (hungUp()) return;
    if (script.cutAfterChars !== undefined && sent >= script.cutAfterChars) {
      res.destroy(); // the connection drops mid-stream, no [DONE]
      return;
    }
    if (script.stallAfterChars !== undefined && sent >= script.stallAfterChars) {
      await sleepUnlessClosed(10 * 60_000, res); // until the client gives up
      return;
    }
    if (index > 0 && script.chunkDelayMs) await sleepUnlessClosed(script.chunkDelayMs, res);
    write(delta(refusal !== null ? { refusal: piece } : { content: piece }));
    script.onChunk?.(index, performance.now());
    sent += piece.length;
  }
  write(delta({}, finishReason));
  if (includeUsage) write(frame([], { usage: completion.usage }));
  write("data: [DONE]\n\n");
  if (!hungUp()) res.end();
}

function defaultContentFor(finishReason: string): string | null {
  // "length": the answer was cut mid-JSON; "content_filter": nothing usable came out.
  return finishReason === "length" ? '{"reply":"I hear you. Tell me mo' : null;
}

function errorBody(status: number) {
  const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  return { error: { message: `scripted ${status}`, type, param: null, code: null } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req_test", ...headers });
  res.end(JSON.stringify(body));
}

function readModel(body: unknown): string {
  if (typeof body === "object" && body !== null && "model" in body && typeof body.model === "string") return body.model;
  return "unknown";
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Waits, but stops early when the client hangs up, so a timed-out test does not linger. */
function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    res.once("close", done);
    function done() {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    }
  });
}
