// The memory-at-scale scenario of `npm run bench` (issue 14): one user with 10 and with
// 10,000 memories (seeded rows and 1536-dimension vectors, the loopback server's bag-of-words
// embeddingFor), then the turn's retrieval measured: the message's chunks
// (internal.memory.messageChunks) and the fused recall (internal.memory.recall) after the
// action's vector search. convex-test's vector search is a scan outside the transaction
// metrics (as Convex's is: a vector index answers ids and scores, no document reads), so the
// bench computes the same top-k hits by exact cosine here and hands them to recall, as the
// action does. The claim: retrieval reads at most k + 2k documents at any size (k =
// MEMORY_LIMITS.searchK: the vector hits' memories, the text hits, the text-only hits'
// stored vectors) plus the message's chunks; bytes per turn are reported with and without.
import { api, internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { userKind } from "../convex/model/memories";
import { MEMORY_LIMITS } from "../src/memory";
import { embeddingFor } from "../tests/support/openaiServer";
import { measureQuery, type OpMetrics } from "./measure";
import { ACTIVE_STARS_FOR_HISTORY } from "./suite";
import { BENCH_NOW, createWorld, type World } from "./world";

export const MEMORY_SIZES = [10, 10_000] as const;
/** Memories (and their vectors) per seeding transaction: about 5 MB written, under the 16 MiB cap. */
const SEED_BATCH = 400;
/** The turn's message: its words are spread over the seeded memories. */
const TURN_MESSAGE = "My sister called about the garden again and I felt tired all weekend";
/** Documents retrieval may read beyond the k vector hits: k text hits and k stored vectors. */
export const RECALL_READ_CONSTANT = 2 * MEMORY_LIMITS.searchK;

const WORDS = [
  "sister", "garden", "weekend", "tired", "run", "sleep", "work", "deadline", "mother", "coffee", "walk", "river",
  "budget", "rent", "friend", "call", "evening", "morning", "project", "meeting", "book", "guitar", "anxious", "calm",
  "doctor", "knee", "train", "city", "rain", "dinner", "brother", "promise", "habit", "phone", "late", "early",
];

/**
 * The i-th seeded memory: words of the vocabulary, so every query word has many text matches
 * at 10,000; every third also shares three of the message's words (cosine above the recall
 * cutoff), so each size has memories to recall.
 */
export function memoryText(i: number): string {
  const pick = (k: number) => WORDS[(i * 7 + k * 13 + Math.floor(i / WORDS.length) * k) % WORDS.length];
  const words = i % 3 === 0 ? ["sister", "garden", "tired", pick(3), pick(4)] : [0, 1, 2, 3, 4].map(pick);
  return `Memory ${i}: ${words.join(" ")}.`;
}

export type MemoryRow = {
  memories: number;
  /** The turn context query alone: what a turn reads without memory. */
  context: OpMetrics;
  chunks: OpMetrics;
  recall: OpMetrics;
  recalled: number;
  vectorHits: number;
};

export type MemoryVerdict = { claim: string; ok: boolean; detail: string };

async function seedMemories(w: World, size: number): Promise<{ id: Id<"memoryVectors">; embedding: number[] }[]> {
  const vectors: { id: Id<"memoryVectors">; embedding: number[] }[] = [];
  for (let start = 0; start < size; start += SEED_BATCH) {
    const texts = Array.from({ length: Math.min(SEED_BATCH, size - start) }, (_, k) => memoryText(start + k));
    const batch = await w.t.run(async (ctx) => {
      const out: { id: Id<"memoryVectors">; embedding: number[] }[] = [];
      for (const [k, text] of texts.entries()) {
        const createdAt = BENCH_NOW - 30 * 86_400_000 + (start + k) * 60_000;
        const memoryId = await ctx.db.insert("memories", {
          userId: w.userId,
          kind: "message",
          sourceId: `bench-message-${start + k}`,
          chunk: 0,
          text,
          createdAt,
          importance: 0.5,
          vectorStatus: "embedded",
          embedAttempts: 0,
        });
        const embedding = embeddingFor(text);
        const id = await ctx.db.insert("memoryVectors", {
          userId: w.userId,
          memoryId,
          kind: "message",
          userKind: userKind(w.userId, "message"),
          embedding,
        });
        await ctx.db.patch("memories", memoryId, { vectorId: id });
        out.push({ id, embedding });
      }
      return out;
    });
    vectors.push(...batch);
  }
  return vectors;
}

/** The vector index's answer: the k nearest by cosine (both sides are unit vectors). */
function nearest(vectors: readonly { id: Id<"memoryVectors">; embedding: number[] }[], query: number[], k: number) {
  return vectors
    .map(({ id, embedding }) => ({ vectorId: id, similarity: embedding.reduce((sum, x, i) => sum + x * query[i], 0) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k);
}

export async function measureMemory(log: (line: string) => void, sizes: readonly number[] = MEMORY_SIZES): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const size of sizes) {
    const w = await createWorld({ history: 10, activeStars: ACTIVE_STARS_FOR_HISTORY });
    try {
      const vectors = await seedMemories(w, size);
      const messageId = await w.user.mutation(api.messages.send, { conversationId: w.conversationId, content: TURN_MESSAGE });
      const context = await measureQuery(w.t, internal.extraction.turnContext, { messageId, attempt: 1 });
      const chunks = await measureQuery(w.t, internal.memory.messageChunks, { userId: w.userId, messageId });
      const vector = embeddingFor(TURN_MESSAGE);
      const vectorHits = nearest(vectors, vector, MEMORY_LIMITS.searchK);
      const recall = await measureQuery(w.t, internal.memory.recall, {
        userId: w.userId,
        vector,
        vectorHits,
        text: TURN_MESSAGE,
        skipSourceIds: [messageId],
        limit: MEMORY_LIMITS.turnMemories,
        maxChars: MEMORY_LIMITS.turnChars,
      });
      const row = {
        memories: size,
        context: context.metrics,
        chunks: chunks.metrics,
        recall: recall.metrics,
        recalled: recall.result.length,
        vectorHits: vectorHits.length,
      };
      rows.push(row);
      log(
        `  ${size} memories: recall read ${row.recall.documentsRead} docs / ${row.recall.bytesRead} B ` +
          `(${row.vectorHits} vector hits, ${row.recalled} recalled), chunks ${row.chunks.documentsRead} docs, ` +
          `turn context ${row.context.documentsRead} docs / ${row.context.bytesRead} B`,
      );
    } finally {
      w.close();
    }
  }
  return rows;
}

const retrievalReads = (row: MemoryRow) => row.recall.documentsRead + row.chunks.documentsRead;

export function judgeMemory(rows: readonly MemoryRow[]): MemoryVerdict[] {
  const k = MEMORY_LIMITS.searchK;
  const bound = k + RECALL_READ_CONSTANT;
  const verdicts: MemoryVerdict[] = rows.map((row) => ({
    claim: `recall at ${row.memories} memories reads at most k + ${RECALL_READ_CONSTANT} = ${bound} documents`,
    ok: row.recall.documentsRead <= bound && row.recalled > 0,
    detail: `${row.recall.documentsRead} documents, ${row.recall.indexRanges} index ranges, ${row.recalled} recalled`,
  }));
  const smallest = rows[0];
  const largest = rows[rows.length - 1];
  if (smallest !== undefined && largest !== undefined && rows.length > 1) {
    verdicts.push({
      claim: `retrieval is flat: ${largest.memories} memories read no more than ${smallest.memories} plus 2k`,
      ok: retrievalReads(largest) <= retrievalReads(smallest) + 2 * k && largest.chunks.documentsRead === smallest.chunks.documentsRead,
      detail: `${retrievalReads(smallest)} → ${retrievalReads(largest)} documents (recall and the message's chunks)`,
    });
  }
  return verdicts;
}

export function renderMemory(rows: readonly MemoryRow[], verdicts: readonly MemoryVerdict[]): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const lines = [
    `One user, the seeded memories' vectors of dimension 1536 (the loopback server's bag-of-words), the turn's message`,
    `"${TURN_MESSAGE}". k = MEMORY_LIMITS.searchK = ${MEMORY_LIMITS.searchK} results per search; the vector hits come`,
    "from an exact cosine top-k (what the vector index answers; a vector search reads no documents of the transaction).",
    "Without memory, a turn reads its context query; with memory it also reads the message's chunks and the recall.",
    "",
    "| memories | recall docs | recall bytes | ranges | chunks docs | context docs | bytes/turn without memory | bytes/turn with memory | recall ms |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.memories.toLocaleString("en-US")} | ${r.recall.documentsRead} | ${kb(r.recall.bytesRead)} | ${r.recall.indexRanges} | ` +
        `${r.chunks.documentsRead} | ${r.context.documentsRead} | ${kb(r.context.bytesRead)} | ` +
        `${kb(r.context.bytesRead + r.chunks.bytesRead + r.recall.bytesRead)} | ${r.recall.wallMs.toFixed(0)} |`,
    ),
    "",
    ...verdicts.map((v) => `- ${v.ok ? "ok" : "**FAIL**"}: ${v.claim} (${v.detail})`),
  ];
  return lines.join("\n");
}

/** `npx tsx bench/memory.ts`: the scenario alone, printed, no results files written. */
async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const rows = await measureMemory(log);
  const verdicts = judgeMemory(rows);
  log(renderMemory(rows, verdicts));
  if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
}

if (process.argv[1]?.endsWith("bench/memory.ts")) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
