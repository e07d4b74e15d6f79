import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IDLE_MS,
  RETENTION_MS,
  compareNewestFirst,
  isIdle,
  isRetentionDue,
  pruneDecision,
  snapshotsToKeep,
} from "../../src/mechanics/retention";
import type { PruneKey, SnapshotRow } from "../../src/mechanics/retention";
import { DAY, HOUR, addDays, isoWeek, localDate } from "../../src/time";

/** Runs the streaming decision over pages of `pageSize`, newest first, carrying the key. */
function streamKeep(snapshots: readonly SnapshotRow[], now: number, pageSize: number): Set<string> {
  const sorted = [...snapshots].sort(compareNewestFirst);
  const kept = new Set<string>();
  let key: PruneKey = null;
  for (let start = 0; start < sorted.length; start += pageSize) {
    for (const row of sorted.slice(start, start + pageSize)) {
      const decision = pruneDecision(row, now, key);
      if (decision.keep) kept.add(row.id);
      key = decision.key;
    }
  }
  return kept;
}

/** 3 snapshots a day (06:00, 12:00, 18:00 UTC) for 400 local dates ending on `today`. */
function history(today: string): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  for (let i = 0; i < 400; i++) {
    const date = addDays(today, -i);
    for (const hour of [6, 12, 18]) {
      rows.push({ id: `${i}@${hour}`, timestamp: Date.parse(`${date}T${String(hour).padStart(2, "0")}:00:00Z`), localDate: date });
    }
  }
  return rows;
}

function expectedIds(weeklyKeptOffsets: number[]): Set<string> {
  const ids = new Set<string>();
  // Days 0..6 (age < 7 days: the oldest, day 6 at 06:00, is 6 d 14 h old): all 3 → 21.
  for (let i = 0; i <= 6; i++) for (const h of [6, 12, 18]) ids.add(`${i}@${h}`);
  // Days 7..364 (ages 7 d 2 h .. 364 d 14 h): the 18:00 one of each date → 358.
  for (let i = 7; i <= 364; i++) ids.add(`${i}@18`);
  // Days 365..399 (age ≥ 365 d): the newest of each ISO week → given by hand.
  for (const i of weeklyKeptOffsets) ids.add(`${i}@18`);
  return ids;
}

describe("LifeState snapshot pruning", () => {
  it("400 days × 3 snapshots, now Monday 2026-06-15 20:00Z: keeps 21 + 358 + 5 = 384", () => {
    const now = Date.parse("2026-06-15T20:00:00Z");
    const rows = history("2026-06-15");
    // Day 365 is Sunday 2025-06-15, the last day of 2025-W24, so days 365..399 are exactly
    // five whole ISO weeks: W24 (365..371), W23 (372..378), W22 (379..385), W21 (386..392),
    // W20 (393..399, Mon 2025-05-12 .. Sun 2025-05-18). The newest of each is its Sunday.
    expect(addDays("2026-06-15", -365)).toBe("2025-06-15");
    expect([365, 371, 372, 393, 399].map((i) => isoWeek(addDays("2026-06-15", -i)))).toEqual([
      "2025-W24",
      "2025-W24",
      "2025-W23",
      "2025-W20",
      "2025-W20",
    ]);
    const expected = expectedIds([365, 372, 379, 386, 393]);
    expect(expected.size).toBe(384);
    expect(snapshotsToKeep(rows, now)).toEqual(expected);
    expect(streamKeep(rows, now, 50)).toEqual(expected);
  });

  it("a week straddling the 365-day line keeps only its newest, younger snapshot (now Thursday 2026-06-18)", () => {
    const now = Date.parse("2026-06-18T20:00:00Z");
    const rows = history("2026-06-18");
    // Day 365 is Wed 2025-06-18. 2025-W25 (Mon 06-16 .. Sun 06-22) is days 361..367: days
    // 361..364 are in the daily tier (each keeps its 18:00), so 365..367 keep nothing.
    // Then W24 = days 368..374 (newest 368), W23 375, W22 382, W21 389, and W20 396..399
    // (Sun 05-18 .. Thu 05-15, newest 396): 5 weekly keeps, 21 + 358 + 5 = 384 again.
    expect(isoWeek(addDays("2026-06-18", -361))).toBe(isoWeek(addDays("2026-06-18", -367)));
    expect(isoWeek(addDays("2026-06-18", -367))).not.toBe(isoWeek(addDays("2026-06-18", -368)));
    const expected = expectedIds([368, 375, 382, 389, 396]);
    expect(expected.size).toBe(384);
    expect(snapshotsToKeep(rows, now)).toEqual(expected);
    expect(streamKeep(rows, now, 7)).toEqual(expected);
  });

  it("a date straddling the 7-day line keeps its recent snapshots only", () => {
    const now = Date.parse("2026-06-15T12:00:00Z");
    const rows: SnapshotRow[] = [
      { id: "young", timestamp: now - 7 * DAY + HOUR, localDate: "2026-06-08" }, // 6 d 23 h: kept
      { id: "old", timestamp: now - 7 * DAY - HOUR, localDate: "2026-06-08" }, // same date, older: pruned
      { id: "edge", timestamp: now - 7 * DAY, localDate: "2026-06-08" }, // exactly 7 d: daily tier, pruned
      { id: "prev", timestamp: now - 8 * DAY, localDate: "2026-06-07" },
    ];
    expect(snapshotsToKeep(rows, now)).toEqual(new Set(["young", "prev"]));
    expect(streamKeep(rows, now, 1)).toEqual(new Set(["young", "prev"]));
  });

  // Snapshots of one user in a fixed zone: local dates follow time.
  const zone = fc.constantFrom("UTC", "America/Los_Angeles", "Asia/Tokyo", "Europe/London", "Pacific/Chatham");
  const NOW = Date.parse("2026-06-15T12:00:00Z");
  const stamps = fc.uniqueArray(fc.integer({ min: NOW - 420 * DAY, max: NOW + HOUR }), { maxLength: 120 });
  const withDates = (ts: number[], tz: string): SnapshotRow[] =>
    ts.map((t, i) => ({ id: `s${String(i).padStart(3, "0")}`, timestamp: t, localDate: localDate(t, tz) }));

  it("property: paging newest → oldest gives exactly snapshotsToKeep (fixed timezone)", () => {
    fc.assert(
      fc.property(stamps, zone, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 30 * DAY }), (ts, tz, page, shift) => {
        const rows = withDates(ts, tz);
        expect(streamKeep(rows, NOW + shift, page)).toEqual(snapshotsToKeep(rows, NOW + shift));
      }),
    );
  });

  it("property: equal timestamps are ordered by id in both forms", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), (days) => {
        const rows = days.map((d, i) => {
          const timestamp = NOW - d * 30 * DAY;
          return { id: `s${String(i).padStart(2, "0")}`, timestamp, localDate: localDate(timestamp, "UTC") };
        });
        expect(streamKeep(rows, NOW, 5)).toEqual(snapshotsToKeep(rows, NOW));
      }),
    );
  });

  it("property: with arbitrary (timezone-changed) dates the stream never keeps fewer", () => {
    const row = fc.record({
      timestamp: fc.integer({ min: NOW - 420 * DAY, max: NOW }),
      localDate: fc.integer({ min: -425, max: 1 }).map((d) => addDays("2026-06-15", d)),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 80 }), (raw) => {
        const rows = raw.map((r, i) => ({ ...r, id: `s${String(i).padStart(2, "0")}` }));
        const streamed = streamKeep(rows, NOW, 10);
        for (const id of snapshotsToKeep(rows, NOW)) expect(streamed.has(id)).toBe(true);
      }),
    );
  });

  it("property: pruning is idempotent and composes over time", () => {
    fc.assert(
      fc.property(stamps, zone, fc.integer({ min: 0, max: 400 * DAY }), (ts, tz, later) => {
        const rows = withDates(ts, tz);
        const kept = snapshotsToKeep(rows, NOW);
        const survivors = rows.filter((r) => kept.has(r.id));
        expect(snapshotsToKeep(survivors, NOW)).toEqual(kept);
        expect(snapshotsToKeep(survivors, NOW + later)).toEqual(snapshotsToKeep(rows, NOW + later));
      }),
    );
  });
});

describe("conversation retention", () => {
  const t0 = Date.parse("2025-06-15T12:00:00Z");

  it("is due 365 days after the last message", () => {
    expect(RETENTION_MS).toBe(365 * 86_400_000);
    expect(isRetentionDue(t0, t0 + 365 * DAY - 1)).toBe(false);
    expect(isRetentionDue(t0, t0 + 365 * DAY)).toBe(true);
    expect(isRetentionDue(t0, Date.parse("2026-06-15T12:00:00Z"))).toBe(true); // 2026 is not leap: 365 d
  });

  it("is idle (abandoned) 24 hours after the last message", () => {
    expect(IDLE_MS).toBe(24 * 3_600_000);
    expect(isIdle(t0, t0 + 24 * HOUR - 1)).toBe(false);
    expect(isIdle(t0, t0 + 24 * HOUR)).toBe(true);
  });
});
