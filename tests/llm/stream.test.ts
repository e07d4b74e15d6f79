// The pure pieces of streaming: reading the reply out of partial JSON, and the throttle.
import { describe, expect, it } from "vitest";
import { partialReply } from "../../src/llm/partialReply";
import { throttledWriter } from "../../src/llm/throttle";

describe("partialReply", () => {
  it.each([
    ["", null],
    ['{"rep', null],
    ['{"reply":', null],
    ['{"reply": "', { text: "", done: false }],
    ['{"reply":"I hear', { text: "I hear", done: false }],
    ['  {\n  "reply" :  "Two\\nlines', { text: "Two\nlines", done: false }],
    ['{"reply":"a \\"quote\\" and \\\\ slash', { text: 'a "quote" and \\ slash', done: false }],
    ['{"reply":"held back \\', { text: "held back ", done: false }],
    ['{"reply":"caf\\u00e', { text: "caf", done: false }],
    ['{"reply":"caf\\u00e9', { text: "café", done: false }],
    ['{"reply":"done.", "extraction": {', { text: "done.", done: true }],
    ['{"extraction": {}, "reply": "late"', null],
  ])("%j → %j", (content, expected) => {
    expect(partialReply(content)).toEqual(expected);
  });

  it("holds back half of a surrogate pair until the other half arrives", () => {
    expect(partialReply('{"reply":"ok \\ud83d')).toEqual({ text: "ok ", done: false });
    expect(partialReply('{"reply":"ok \\ud83d\\ude00')).toEqual({ text: "ok 😀", done: false });
  });
});

describe("throttledWriter", () => {
  function harness(intervalMs = 250) {
    let now = 0;
    const written: string[] = [];
    let release: (() => void) | null = null;
    const writer = throttledWriter(
      (text) =>
        new Promise<void>((resolve) => {
          written.push(text);
          release = resolve;
        }),
      { intervalMs, clock: () => now },
    );
    const settleWrite = async () => {
      const done = release;
      release = null;
      done?.();
      await Promise.resolve();
      await Promise.resolve();
    };
    return { writer, written, tick: (ms: number) => (now += ms), settleWrite };
  }

  it("writes the first text at once, then at most once per interval, never two at a time", async () => {
    const { writer, written, tick, settleWrite } = harness();
    writer.push("H");
    expect(written).toEqual(["H"]);
    tick(100);
    writer.push("He");
    tick(200);
    writer.push("Hel"); // 300 ms since the first write, but it is still in flight
    expect(written).toEqual(["H"]);
    await settleWrite(); // done: the newest text goes out, its interval has passed
    expect(written).toEqual(["H", "Hel"]);
    await settleWrite();
    tick(100);
    writer.push("Hell"); // 100 ms after the last write: held
    expect(written).toEqual(["H", "Hel"]);
    tick(200);
    writer.push("Hello");
    expect(written).toEqual(["H", "Hel", "Hello"]);
    const closing = writer.close();
    await settleWrite();
    expect(await closing).toEqual({ writes: 3, bytes: 1 + 3 + 5 });
  });

  it("a stream of 400 tokens every 15 ms gives at most duration / interval + 3 writes", async () => {
    const { writer, written, tick, settleWrite } = harness();
    let text = "";
    for (let token = 0; token < 400; token += 1) {
      text += "w";
      writer.push(text);
      await settleWrite();
      tick(15);
    }
    await writer.close();
    expect(written.length).toBeLessThanOrEqual(Math.floor((400 * 15) / 250) + 3);
    expect(written.length).toBeGreaterThanOrEqual(Math.floor((400 * 15) / 250) - 1);
  });

  it("writes nothing after close, and close reports a failed write", async () => {
    let calls = 0;
    const writer = throttledWriter(async () => {
      calls += 1;
      throw new Error("write failed");
    });
    writer.push("a");
    await expect(writer.close()).rejects.toThrow("write failed");
    writer.push("ab");
    expect(calls).toBe(1);
  });
});
