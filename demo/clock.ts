// A simulated clock for driving the backend through days in seconds, the same way under
// plain Node (tsx: no vitest, so no vi.useFakeTimers) and inside a vitest test.
//
// How: `globalThis.Date` is replaced by a subclass whose `now()` (and `new Date()`) answer
// the simulated time, so every mutation's `Date.now()`, convex-test's scheduler and svix's
// timestamp check agree. Timers are split by delay: a delay under REAL_TIMER_LIMIT_MS
// ("as soon as possible", e.g. `scheduler.runAfter(0, ...)`, socket and SDK housekeeping)
// goes to the real timer, so HTTP to the loopback model and same-instant scheduled
// functions run at once; a longer one (`scheduler.runAt(local midnight)`, retry backoff, an
// SDK deadline) waits in a queue keyed by simulated time and fires when `advanceTo` passes
// it. Time never moves on its own: only `advanceTo` moves it.
//
// convex-test installs accessor properties for Date and the timer globals and keeps an
// assignment made outside a function handler as the shared default, so assigning here
// (never from inside a handler) is picked up by every function it runs.

/** Delays below this run on the real clock: they mean "now" on a simulated day's scale. */
export const REAL_TIMER_LIMIT_MS = 1_000;

type TimerCallback = (...args: unknown[]) => void;
type QueuedTimer = { id: number; due: number; callback: TimerCallback; args: unknown[] };

/** The handle a queued timer returns; shaped like Node's Timeout where libraries poke it. */
class SimTimeout {
  constructor(readonly simTimerId: number) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.simTimerId;
  }
}

export type SimClock = {
  now(): number;
  /** Moves time forward to `instant`, firing each queued timer due on the way, in order. */
  advanceTo(instant: number): Promise<void>;
  /** Queued timers not fired yet (e.g. experiment expiries scheduled for midnight). */
  pendingTimers(): number;
  /** Restores the real Date and timers; queued timers are dropped. */
  uninstall(): void;
};

export type SimClockOptions = {
  start: number;
  /**
   * Awaited after each fired timer, so the scheduled function it started (and whatever
   * that schedules at the same instant) finishes before time moves on.
   */
  settle?: () => Promise<void>;
  /**
   * Queue every timer, even zero-delay ones: nothing scheduled runs until `advanceTo` (the
   * bench uses this to run each scheduled continuation itself, measured).
   */
  holdAllTimers?: boolean;
};

export function installSimClock({ start, settle, holdAllTimers = false }: SimClockOptions): SimClock {
  const RealDate = globalThis.Date;
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  let current = start;
  let nextId = 1;
  const queue = new Map<number, QueuedTimer>();

  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(current);
      // Date's constructor overloads cannot be spread through a subclass with full types.
      else super(...(args as [string | number | Date]));
    }
    static now(): number {
      return current;
    }
  }

  function simSetTimeout(callback: TimerCallback, delay?: number, ...args: unknown[]) {
    const ms = Number.isFinite(delay) ? Math.max(0, Number(delay)) : 0;
    if (!holdAllTimers && ms < REAL_TIMER_LIMIT_MS) return realSetTimeout(callback, ms, ...args);
    const id = nextId++;
    queue.set(id, { id, due: current + ms, callback, args });
    return new SimTimeout(id);
  }

  function simClearTimeout(handle: unknown) {
    if (handle instanceof SimTimeout) queue.delete(handle.simTimerId);
    else realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  }

  globalThis.Date = SimDate as DateConstructor;
  // The casts bridge Node's overloaded timer signatures (a promisified __promisify__ member).
  globalThis.setTimeout = simSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = simClearTimeout as typeof clearTimeout;

  /** Lets already-fired real timers and pending I/O run. */
  const realTurn = () => new Promise<void>((resolve) => realSetTimeout(resolve, 0));

  return {
    now: () => current,
    async advanceTo(instant: number) {
      if (instant < current) throw new Error(`the simulated clock cannot go back (${instant} < ${current})`);
      for (;;) {
        const due = [...queue.values()].filter((timer) => timer.due <= instant).sort((a, b) => a.due - b.due || a.id - b.id);
        const next = due[0];
        if (next === undefined) break;
        queue.delete(next.id);
        current = Math.max(current, next.due);
        next.callback(...next.args);
        await realTurn();
        if (settle) await settle();
      }
      current = instant;
    },
    pendingTimers: () => queue.size,
    uninstall() {
      queue.clear();
      globalThis.Date = RealDate;
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}
