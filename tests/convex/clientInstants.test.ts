// Every instant a client supplies (the `now` of queries, which cannot read the clock) is
// bounded to what src/time.ts handles: beyond it the answer is INVALID_ARGUMENT naming the
// field, never a plain "Not a local date" / "Invalid time value" from the calendar code.
import { describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api";
import { SUPPORTED_INSTANTS, addDays, isSupportedInstant, localDate, nextLocalMidnight } from "../../src/time";
import { createUser, expectConvexError, newBackend, type TestUser } from "../setup";

/** Each public function that takes a client instant, called with `now`. */
const CLIENT_INSTANTS: [string, (user: TestUser, now: number) => Promise<unknown>][] = [
  ["progress.today", (user, now) => user.as.query(api.progress.today, { now })],
  ["progress.history", (user, now) => user.as.query(api.progress.history, { now, days: 366 })],
  ["progress.streak", (user, now) => user.as.query(api.progress.streak, { now })],
  ["lifeStates.history", (user, now) => user.as.query(api.lifeStates.history, { now, days: 366 })],
];

const LAST = SUPPORTED_INSTANTS.max; // 9999-12-01T00:00:00Z

describe("client-supplied instants", () => {
  it.each(CLIENT_INSTANTS)("%s answers INVALID_ARGUMENT for a huge, negative or non-finite now", async (_name, call) => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "Pacific/Kiritimati" }); // UTC+14: the latest local dates
    for (const now of [8.64e15, 8.64e15 + 1, 1e300, Number.MAX_VALUE, LAST + 1, -1, -8.64e15, Infinity, -Infinity, NaN]) {
      const error = await expectConvexError(call(user, now), "INVALID_ARGUMENT");
      expect(error.message).toContain("now must be a time in ms");
    }
  });

  it.each(CLIENT_INSTANTS)("%s answers at both ends of the supported range, in the zones furthest from UTC", async (_name, call) => {
    const t = newBackend();
    for (const timezone of ["Pacific/Kiritimati", "Etc/GMT+12"]) {
      const user = await createUser(t, { timezone });
      await expect(call(user, LAST)).resolves.toBeDefined();
      await expect(call(user, SUPPORTED_INSTANTS.min)).resolves.toBeDefined();
    }
  });

  it("progress.today at the last supported instant: the local date and its midnight exist", async () => {
    const t = newBackend();
    const user = await createUser(t, { timezone: "Pacific/Kiritimati" });
    const today = await user.as.query(api.progress.today, { now: LAST });
    expect(today.localDate).toBe("9999-12-01");
    expect(today.resetsAt).toBe(Date.UTC(9999, 11, 1, 10)); // 9999-12-02T00:00+14:00
  });
});

describe("isSupportedInstant (src/time.ts)", () => {
  it("accepts exactly the epoch .. 9999-12-01T00:00Z", () => {
    expect(LAST).toBe(Date.parse("9999-12-01T00:00:00Z"));
    for (const ok of [0, 1, Date.UTC(2026, 0, 1), LAST]) expect(isSupportedInstant(ok)).toBe(true);
    for (const bad of [-1, LAST + 1, 8.64e15, NaN, Infinity]) expect(isSupportedInstant(bad)).toBe(false);
  });

  it("the calendar functions work across the whole range with a year of look-back", () => {
    for (const zone of ["Pacific/Kiritimati", "Etc/GMT+12", "America/Los_Angeles"]) {
      for (const instant of [SUPPORTED_INSTANTS.min, LAST]) {
        const date = localDate(instant, zone);
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(nextLocalMidnight(instant, zone)).toBeGreaterThan(instant);
        expect(addDays(date, -366)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(addDays(date, 1)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });
});
