// Fair concurrency (issue 15): at most MAX_TURNS_IN_FLIGHT turns of a user are pending at
// once; more are stored `queued` and start in the order sent as turns finish. Fake timers:
// no scheduled attempt runs unless the test finishes it through extraction.finishAttempt,
// so no model is called here (the loopback tests in usage.test.ts cover the real path).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import type { CleanTurn } from "../../convex/model/extraction";
import { MAX_TURNS_IN_FLIGHT } from "../../convex/model/turns";
import { createUser, expectConvexError, newBackend, type Backend } from "../setup";

const ENV_KEYS = ["OPENAI_API_KEY", "OPENAI_BASE_URL"];
let savedEnv: Record<string, string | undefined>;
beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  process.env.OPENAI_API_KEY = "test-key";
  process.env.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"; // never reached: no attempt runs
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const REPLY: CleanTurn = {
  reply: "Noted.",
  emotion: null,
  newStars: [],
  reinforcements: [],
  connections: [],
  skillEvidence: [],
  growthSignals: [],
  dropped: { count: 0, reasons: [] },
};
const USAGE = { promptTokens: 100, completionTokens: 20, totalTokens: 120 };

async function statuses(t: Backend, ids: Id<"messages">[]) {
  return await t.run(async (ctx) => Promise.all(ids.map(async (id) => (await ctx.db.get("messages", id))?.extraction?.status)));
}

/** The messages whose attempt 1 is scheduled and not yet run, in scheduling order. */
async function scheduledRuns(t: Backend): Promise<Id<"messages">[]> {
  const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
  return jobs
    .filter((job) => job.name === "extraction:run" && job.state.kind === "pending")
    .map((job) => (job.args[0] as { messageId: Id<"messages"> }).messageId);
}

async function finish(t: Backend, messageId: Id<"messages">, kind: "reply" | "final failure" | "retryable failure") {
  const outcome =
    kind === "reply"
      ? { kind: "reply" as const, turn: REPLY, usage: USAGE }
      : { kind: "failure" as const, failureKind: kind === "final failure" ? ("final" as const) : ("retryable" as const), reason: "http 500" };
  await t.mutation(internal.extraction.finishAttempt, { messageId, attempt: 1, outcome });
}

describe("turns in flight", () => {
  it("at most two are pending; the rest wait queued and start in the order sent", async () => {
    expect(MAX_TURNS_IN_FLIGHT).toBe(2);
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    const sent: Id<"messages">[] = [];
    for (const content of ["one", "two", "three", "four"]) sent.push(await as.mutation(api.messages.send, { conversationId, content }));
    const [one, two, three, four] = sent;
    expect(await statuses(t, sent)).toEqual(["pending", "pending", "queued", "queued"]);
    expect(await scheduledRuns(t)).toEqual([one, two]);
    // What a client sees: the queued message in the list, with its status.
    const page = await as.query(api.messages.list, { conversationId, paginationOpts: { numItems: 10, cursor: null } });
    expect(page.page.map((m) => m.extraction?.status)).toEqual(["queued", "queued", "pending", "pending"]);

    // A retryable failure keeps its slot (the next attempt is the same turn).
    await finish(t, two, "retryable failure");
    expect(await statuses(t, sent)).toEqual(["pending", "pending", "queued", "queued"]);

    // The first reply frees a slot: the oldest queued message starts, the other still waits.
    await finish(t, one, "reply");
    expect(await statuses(t, sent)).toEqual(["done", "pending", "pending", "queued"]);
    expect((await scheduledRuns(t)).slice(-1)).toEqual([three]);

    // A final failure frees one too.
    await t.mutation(internal.extraction.finishAttempt, {
      messageId: two,
      attempt: 2,
      outcome: { kind: "failure", failureKind: "final", reason: "refusal" },
    });
    expect(await statuses(t, sent)).toEqual(["done", "failed", "pending", "pending"]);

    // Retrying the failed one while both slots are taken queues it behind them.
    await as.mutation(api.messages.retry, { messageId: two });
    expect(await statuses(t, sent)).toEqual(["done", "queued", "pending", "pending"]);
    // A queued message is waiting, not failed: it cannot be retried.
    await expectConvexError(as.mutation(api.messages.retry, { messageId: two }), "INVALID_TRANSITION");
    await finish(t, four, "reply");
    expect(await statuses(t, sent)).toEqual(["done", "pending", "pending", "done"]);
  });

  it("each user has their own slots", async () => {
    const t = newBackend();
    const a = await createUser(t);
    const b = await createUser(t);
    const aConversation = await a.as.mutation(api.conversations.start, { phase: "discovery" });
    const bConversation = await b.as.mutation(api.conversations.start, { phase: "discovery" });
    const aSent = [];
    for (const content of ["1", "2", "3"]) aSent.push(await a.as.mutation(api.messages.send, { conversationId: aConversation, content }));
    const bSent = [await b.as.mutation(api.messages.send, { conversationId: bConversation, content: "1" })];
    expect(await statuses(t, aSent)).toEqual(["pending", "pending", "queued"]);
    expect(await statuses(t, bSent)).toEqual(["pending"]);
    // b's finished turn starts nothing of a's.
    await finish(t, bSent[0], "reply");
    expect(await statuses(t, aSent)).toEqual(["pending", "pending", "queued"]);
  });

  it("a queued turn whose model was unconfigured meanwhile ends skipped when it would start", async () => {
    const t = newBackend();
    const { as } = await createUser(t);
    const conversationId = await as.mutation(api.conversations.start, { phase: "discovery" });
    const sent = [];
    for (const content of ["1", "2", "3"]) sent.push(await as.mutation(api.messages.send, { conversationId, content }));
    delete process.env.OPENAI_API_KEY;
    await finish(t, sent[0], "reply");
    expect(await statuses(t, sent)).toEqual(["done", "pending", "skipped"]);
  });
});
