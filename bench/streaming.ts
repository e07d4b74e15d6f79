// The streaming scenario of `npm run bench` (issue 13): the loopback OpenAI-compatible server
// streams a scripted answer at a fixed pace (400 chunks of one token, the reply being the
// first 120, one chunk every 15 ms) and a client polls messages.list (each poll a fresh
// query, as a subscription's re-run or a reconnect would see it). Measured per message: the
// time from messages.send to the first reply text visible, to the final reply, their ratio,
// the writes to the assistant message (the throttled partial writes plus the final apply)
// and their bytes, against what a delta design would have written. Real timers: the stream
// is paced in real time, so this is measured here and never asserted in timed tests.
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { jsonToConvex, type Value } from "convex/values";
import { STREAM_WRITE_INTERVAL_MS } from "../src/llm/throttle";
import { newBackend } from "../demo/backend";
import { startOpenAIServer, type ScriptedResponse } from "../tests/support/openaiServer";

export const STREAM_SCENARIO = { chunks: 400, replyChunks: 120, chunkDelayMs: 15, messages: 3 } as const;

export type StreamingRow = {
  message: number;
  firstTextMs: number;
  finalMs: number;
  ratio: number;
  /** First to last chunk written by the server. */
  streamMs: number;
  partialWrites: number;
  /** Partial writes plus the final apply's write of the assistant message. */
  writes: number;
  /** Bytes of reply text in those writes (each write carries the whole text so far). */
  bytes: number;
  /** What a delta design would have written: each character once. */
  deltaBytes: number;
  modelCalls: number;
  replyChars: number;
};

export type StreamingVerdict = { claim: string; ok: boolean; detail: string };

/** The scripted answer: `replyChunks` one-word tokens of reply, then the extraction in the rest. */
export function scriptedStream(index: number): { script: ScriptedResponse; reply: string } {
  const { chunks, replyChunks, chunkDelayMs } = STREAM_SCENARIO;
  const words = Array.from({ length: replyChunks }, (_, i) => `${WORDS[(i + index) % WORDS.length]}${i === replyChunks - 1 ? "." : " "}`);
  const reply = words.join("");
  const extraction = {
    newStars: [0, 1, 2].map((k) => ({
      ref: `new:${k + 1}`,
      label: `Evening pattern ${index}-${k}`,
      description: "Putting the run off until the evening is gone, then feeling restless until late at night.",
      domain: "health",
      polarity: "shadow",
      intensity: 0.5,
      conceptType: "habit",
      quote: "I keep putting the run off until it is too late to go",
    })),
    reinforcements: [],
    connections: [{ from: "new:1", to: "new:2", type: "causation", strength: 0.5, quote: "then I cannot sleep" }],
    skillEvidence: [],
    growthSignals: [{ dimension: "self_know", delta: 0.05, quote: "I think I see the pattern now" }],
  };
  const rest = `","extraction":${JSON.stringify(extraction)}}`;
  const restChunks = chunks - replyChunks;
  const size = Math.ceil(rest.length / restChunks);
  const pieces = [`{"reply":"${words[0]}`, ...words.slice(1)];
  for (let i = 0; i < restChunks; i++) pieces.push(rest.slice(i * size, (i + 1) * size));
  return { script: { chunks: pieces, chunkDelayMs }, reply };
}

const WORDS = ["that", "sounds", "like", "a", "long", "week", "and", "the", "evenings", "carry", "most", "of", "it"];

type AsyncSyscall = (op: string, jsonArgs: string) => Promise<string>;

/** Counts the writes to one assistant message (the reply to `replyTo`) from the syscalls. */
function installWriteCounter() {
  const g = globalThis as unknown as { Convex: { asyncSyscall: AsyncSyscall } };
  const convex = g.Convex;
  const descriptor = Object.getOwnPropertyDescriptor(convex, "asyncSyscall");
  const original = descriptor?.get ? () => descriptor.get!.call(convex) as AsyncSyscall : () => descriptor?.value as AsyncSyscall;
  const state = { replyTo: null as string | null, replyId: null as string | null, writes: 0, bytes: 0, partial: 0 };
  const textBytes = (value: unknown) => {
    const content = (value as { content?: unknown } | undefined)?.content;
    return typeof content === "string" ? new TextEncoder().encode(content).length : 0;
  };
  const wrapped: AsyncSyscall = async (op, jsonArgs) => {
    const result = await original()(op, jsonArgs);
    if (state.replyTo === null) return result;
    const args = JSON.parse(jsonArgs) as { table?: string; id?: unknown; value?: Record<string, unknown> };
    if (op === "1.0/insert" && args.table === "messages") {
      const value = jsonToConvex(args.value as never) as Record<string, Value>;
      if (value.role === "assistant" && value.replyTo === state.replyTo) {
        state.replyId = (JSON.parse(result) as { _id: string })._id;
        state.writes += 1;
        if (value.replyStatus === "streaming") state.partial += 1;
        state.bytes += textBytes(value);
      }
    } else if ((op === "1.0/shallowMerge" || op === "1.0/replace") && state.replyId !== null) {
      const id = jsonToConvex(args.id as never) as string;
      if (id === state.replyId) {
        const value = jsonToConvex(args.value as never) as Record<string, Value>;
        state.writes += 1;
        if (value.replyStatus !== "final") state.partial += 1;
        state.bytes += textBytes(value);
      }
    }
    return result;
  };
  Object.defineProperty(convex, "asyncSyscall", { configurable: true, get: () => wrapped });
  return {
    watch: (replyTo: string) => Object.assign(state, { replyTo, replyId: null, writes: 0, bytes: 0, partial: 0 }),
    read: () => ({ ...state }),
    uninstall: () => {
      if (descriptor) Object.defineProperty(convex, "asyncSyscall", descriptor);
    },
  };
}

const ENV_KEYS = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_TIMEOUT_MS", "OPENAI_STREAM", "EXTRACTION_BACKOFF_JITTER"];

export async function measureStreaming(log: (line: string) => void): Promise<StreamingRow[]> {
  const server = await startOpenAIServer();
  const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  Object.assign(process.env, { OPENAI_API_KEY: "sk-bench-loopback", OPENAI_BASE_URL: server.baseURL, OPENAI_TIMEOUT_MS: "60000" });
  delete process.env.OPENAI_STREAM;
  const t = newBackend();
  const counter = installWriteCounter();
  const rows: StreamingRow[] = [];
  try {
    const user = t.withIdentity({ subject: "user_stream_bench", email: "stream@example.com", issuer: "https://clerk.bench" });
    await user.mutation(api.users.ensure, {});
    const conversationId = await user.mutation(api.conversations.start, { phase: "walk" });
    for (let index = 0; index < STREAM_SCENARIO.messages; index++) {
      const { script, reply } = scriptedStream(index);
      const chunkTimes: number[] = [];
      server.enqueue({ ...script, onChunk: (_, at) => chunkTimes.push(at) });
      const requestsBefore = server.requests.length;
      const started = performance.now();
      const messageId = await user.mutation(api.messages.send, { conversationId, content: `How do I stop putting the run off? (${index})` });
      counter.watch(messageId);
      const { firstTextMs, finalMs } = await pollUntilFinal(user, conversationId, messageId, started);
      await waitForIdle(t);
      const writes = counter.read();
      const row: StreamingRow = {
        message: index + 1,
        firstTextMs,
        finalMs,
        ratio: firstTextMs / finalMs,
        streamMs: chunkTimes.length > 1 ? chunkTimes[chunkTimes.length - 1] - chunkTimes[0] : 0,
        partialWrites: writes.partial,
        writes: writes.writes,
        bytes: writes.bytes,
        deltaBytes: new TextEncoder().encode(reply).length,
        modelCalls: server.requests.length - requestsBefore,
        replyChars: reply.length,
      };
      rows.push(row);
      log(
        `  message ${row.message}: first text ${row.firstTextMs.toFixed(0)} ms, final ${row.finalMs.toFixed(0)} ms ` +
          `(ratio ${row.ratio.toFixed(3)}), ${row.writes} writes, ${row.bytes} B (delta design ${row.deltaBytes} B), ` +
          `${row.modelCalls} model call(s)`,
      );
    }
  } finally {
    counter.uninstall();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await server.close();
  }
  return rows;
}

type Client = ReturnType<ReturnType<typeof newBackend>["withIdentity"]>;

async function pollUntilFinal(
  user: Client,
  conversationId: Id<"conversations">,
  messageId: Id<"messages">,
  started: number,
): Promise<{ firstTextMs: number; finalMs: number }> {
  let firstTextMs: number | null = null;
  const deadline = started + 60_000;
  for (;;) {
    const { page } = await user.query(api.messages.list, { conversationId, paginationOpts: { numItems: 4, cursor: null } });
    const reply = page.find((m) => m.replyTo === messageId);
    const now = performance.now();
    if (reply !== undefined && reply.content.length > 0) firstTextMs ??= now - started;
    if (reply?.replyStatus === "final") return { firstTextMs: firstTextMs ?? now - started, finalMs: now - started };
    if (now > deadline) throw new Error("streaming bench: no final reply after 60 s");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function waitForIdle(t: ReturnType<typeof newBackend>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    if (!jobs.some((job) => job.state.kind === "pending" || job.state.kind === "inProgress")) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The claims, checked on every measured message. */
export function judgeStreaming(rows: readonly StreamingRow[]): StreamingVerdict[] {
  const worst = <K extends keyof StreamingRow>(key: K) => Math.max(...rows.map((row) => row[key] as number));
  const ratio = worst("ratio");
  const overWrites = rows.filter((row) => row.writes > Math.floor(row.streamMs / STREAM_WRITE_INTERVAL_MS) + 3);
  const calls = rows.map((row) => row.modelCalls);
  return [
    { claim: "first visible text at ≤ 15% of the time to final", ok: ratio <= 0.15, detail: `worst ratio ${ratio.toFixed(3)}` },
    {
      claim: `writes per reply ≤ stream duration / ${STREAM_WRITE_INTERVAL_MS} ms + 3`,
      ok: overWrites.length === 0,
      detail: rows.map((row) => `${row.writes} ≤ ${Math.floor(row.streamMs / STREAM_WRITE_INTERVAL_MS) + 3}`).join(", "),
    },
    { claim: "exactly one chat-model call per user message", ok: calls.every((n) => n === 1), detail: `calls ${calls.join(", ")}` },
  ];
}

export function renderStreaming(rows: readonly StreamingRow[], verdicts: readonly StreamingVerdict[]): string {
  const { chunks, replyChunks, chunkDelayMs } = STREAM_SCENARIO;
  const lines = [
    `The loopback server streams ${chunks} chunks of one token, the reply being the first ${replyChunks}, one chunk every`,
    `${chunkDelayMs} ms; a client polls messages.list every 2 ms. Writes are those to the assistant message (the throttled`,
    `partial writes, at most one per ${STREAM_WRITE_INTERVAL_MS} ms, plus the final apply); bytes are the reply text they carry.`,
    "",
    "| message | first text (ms) | final (ms) | ratio | stream (ms) | writes (partial + final) | bytes written | delta design (bytes) | model calls |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| ${row.message} | ${row.firstTextMs.toFixed(0)} | ${row.finalMs.toFixed(0)} | ${row.ratio.toFixed(3)} | ${row.streamMs.toFixed(0)} | ` +
        `${row.writes} (${row.partialWrites} + ${row.writes - row.partialWrites}) | ${row.bytes} | ${row.deltaBytes} | ${row.modelCalls} |`,
    ),
    "",
    ...verdicts.map((v) => `- ${v.ok ? "ok" : "FAIL"}: ${v.claim} (${v.detail})`),
  ];
  return lines.join("\n");
}
