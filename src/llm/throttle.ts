// The throttled writer of a streaming reply (docs/pipeline.md "Streaming"): the model sends
// a token every few milliseconds, the database gets at most one write per interval, the
// way @convex-dev/agent (deltas every 250 ms) and persistent-text-streaming (per sentence)
// pace theirs. Pure: the caller passes the write and the clock; no timers, so nothing is
// left running when the stream ends.
//  - The first text is written at once: the time to the first visible words is what the
//    user feels (the bench's first-text ratio).
//  - Later texts are written when `intervalMs` has passed since the previous write started,
//    and never while a write is in flight: writes are serialized, so they land in order and
//    a slow mutation cannot pile up behind the stream (the newest text wins; texts pushed
//    meanwhile are not written at all).
//  - There is no trailing write: the final text is written by the apply step, with the
//    extraction, in one transaction.

export const STREAM_WRITE_INTERVAL_MS = 250;

export type ThrottledWriter = {
  /** The whole text so far (not a delta); written now, later, or superseded by a newer one. */
  push: (text: string) => void;
  /** Waits for the write in flight; answers what was written. Throws what a write threw. */
  close: () => Promise<{ writes: number; bytes: number }>;
};

export function throttledWriter(
  write: (text: string) => Promise<void>,
  { intervalMs = STREAM_WRITE_INTERVAL_MS, clock = () => Date.now() }: { intervalMs?: number; clock?: () => number } = {},
): ThrottledWriter {
  let lastStart = Number.NEGATIVE_INFINITY;
  let written = "";
  let latest = "";
  let inFlight: Promise<void> | null = null;
  let failure: unknown = null;
  let closed = false;
  let writes = 0;
  let bytes = 0;
  const encoder = new TextEncoder();

  const start = (text: string) => {
    lastStart = clock();
    writes += 1;
    bytes += encoder.encode(text).length;
    inFlight = write(text).then(
      () => {
        written = text;
        inFlight = null;
        // A newer text arrived while writing: it goes out when its interval has passed.
        maybeWrite();
      },
      (error: unknown) => {
        failure ??= error;
        inFlight = null;
      },
    );
  };

  const maybeWrite = () => {
    if (closed || inFlight !== null || failure !== null || latest === written) return;
    if (clock() - lastStart >= intervalMs) start(latest);
  };

  return {
    push: (text) => {
      if (text.length === 0 || text === latest) return;
      latest = text;
      maybeWrite();
    },
    close: async () => {
      closed = true; // the apply step writes the final text: nothing more from here
      while (inFlight !== null) await inFlight;
      if (failure !== null) throw failure;
      return { writes, bytes };
    },
  };
}
