import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { CONNECTION_TYPES, DOMAINS, GROWTH_DIMENSIONS, normalizeLabel } from "../../src/domain";
import {
  LIMITS,
  normalizeSkillName,
  sanitizeExperiment,
  sanitizeTurn,
} from "../../src/llm/sanitize";
import type { SanitizeContext } from "../../src/llm/sanitize";
import type { RawTurnOutput } from "../../src/llm/schemas";

// ---------------------------------------------------------------- builders

const context = (overrides: Partial<SanitizeContext> = {}): SanitizeContext => ({
  knownStarIds: new Set(["s1", "s2", "s3"]),
  existingLabels: new Map([[normalizeLabel("Morning runs"), "s1"]]),
  knownSkillNames: new Map([[normalizeSkillName("Public Speaking"), "skill_ps"]]),
  ...overrides,
});

const star = (overrides: Record<string, unknown> = {}) => ({
  ref: "new:1",
  label: "Fear of failure",
  description: "Avoids starting things that might not work.",
  domain: "purpose",
  polarity: "shadow",
  intensity: 0.8,
  conceptType: "emotion",
  quote: "what if I fail",
  ...overrides,
});
const reinforcement = (overrides: Record<string, unknown> = {}) => ({
  starId: "s2",
  signal: 0.5,
  quote: "again",
  ...overrides,
});
const connection = (overrides: Record<string, unknown> = {}) => ({
  from: "s2",
  to: "s3",
  type: "causation",
  strength: 0.5,
  quote: "because",
  ...overrides,
});
const skill = (overrides: Record<string, unknown> = {}) => ({
  skillName: "Public Speaking",
  domain: "wealth",
  level: 4,
  confidence: 0.6,
  quote: "I gave a talk",
  ...overrides,
});
const signal = (overrides: Record<string, unknown> = {}) => ({
  dimension: "self_know",
  delta: 0.1,
  quote: "I see it now",
  ...overrides,
});

type Lists = Partial<Record<keyof RawTurnOutput["extraction"], unknown[]>>;
const turn = (lists: Lists = {}, reply = "Tell me more."): RawTurnOutput => ({
  reply,
  extraction: {
    newStars: [],
    reinforcements: [],
    connections: [],
    skillEvidence: [],
    growthSignals: [],
    ...lists,
  },
});

const run = (lists: Lists, ctx: SanitizeContext = context()) => sanitizeTurn(turn(lists), ctx);

// ---------------------------------------------------------------- tests

describe("sanitizeTurn: valid output passes through", () => {
  test("every list, cleaned and typed", () => {
    const result = run({
      newStars: [star()],
      reinforcements: [reinforcement()],
      connections: [connection({ from: "new:1", to: "s2" })],
      skillEvidence: [skill()],
      growthSignals: [signal()],
    });
    expect(result).toEqual({
      reply: "Tell me more.",
      newStars: [{ ...star(), normalizedLabel: "fearoffailure" }],
      reinforcements: [reinforcement()],
      connections: [
        { from: { kind: "new", ref: "new:1" }, to: { kind: "star", starId: "s2" }, type: "causation", strength: 0.5, quote: "because" },
      ],
      skillEvidence: [{ skillId: "skill_ps", ...skill() }],
      growthSignals: [signal()],
      emotion: null,
      dropped: { count: 0, reasons: [] },
    });
  });

  test("range bounds are inclusive", () => {
    const result = run({
      newStars: [star({ intensity: 0 }), star({ ref: "new:2", label: "Other", intensity: 1 })],
      reinforcements: [reinforcement({ signal: -1 }), reinforcement({ starId: "s3", signal: 1 })],
      connections: [connection({ strength: 0 }), connection({ type: "tension", strength: 1 })],
      skillEvidence: [skill({ level: 10, confidence: 0 })],
      growthSignals: [signal({ delta: -1 }), signal({ dimension: "world_act", delta: 1 })],
    });
    expect(result.dropped.count).toBe(0);
  });

  test("the reply is trimmed and bounded", () => {
    expect(sanitizeTurn(turn({}, "  hi  "), context()).reply).toBe("hi");
    const long = sanitizeTurn(turn({}, "a".repeat(LIMITS.replyChars + 10)), context()).reply;
    expect(Array.from(long)).toHaveLength(LIMITS.replyChars);
  });
});

describe("sanitizeTurn: ids the model was not given are dropped (injection)", () => {
  test("a reinforcement of an unknown star id", () => {
    const result = run({ reinforcements: [reinforcement({ starId: "someone_elses_star" })] });
    expect(result.reinforcements).toEqual([]);
    expect(result.dropped).toEqual({ count: 1, reasons: ["reinforcements[0]: unknown star id"] });
  });

  test("a connection with either end unknown", () => {
    const result = run({
      connections: [connection({ from: "evil" }), connection({ to: "evil" }), connection({ from: "new:9" })],
    });
    expect(result.connections).toEqual([]);
    expect(result.dropped.reasons).toEqual([
      "connections[0]: unknown star id or ref",
      "connections[1]: unknown star id or ref",
      "connections[2]: unknown star id or ref",
    ]);
  });

  test("a connection to the ref of a dropped new star", () => {
    const result = run({
      newStars: [star({ intensity: 2 })],
      connections: [connection({ from: "new:1" })],
    });
    expect(result.connections).toEqual([]);
    expect(result.dropped.reasons).toEqual([
      "newStars[0]: intensity out of range [0, 1]",
      "connections[0]: unknown star id or ref",
    ]);
  });

  test("a reinforcement cannot name a new star's ref", () => {
    const result = run({ newStars: [star()], reinforcements: [reinforcement({ starId: "new:1" })] });
    expect(result.reinforcements).toEqual([]);
    expect(result.dropped.reasons).toEqual(["reinforcements[0]: unknown star id"]);
  });

  test("a ref that collides with a star id, or repeats, is dropped", () => {
    const result = run({ newStars: [star({ ref: "s2" }), star({ label: "A" }), star({ label: "B" })] });
    expect(result.newStars.map((s) => s.label)).toEqual(["A"]);
    expect(result.dropped.reasons).toEqual(["newStars[0]: ref collides with a star id", "newStars[2]: duplicate ref"]);
  });

  test("experiment star ids too", () => {
    const result = sanitizeExperiment(
      { when: "w", will: "x", at: "y", rationale: "", starIds: ["s1", "evil", 7, "s1"] },
      new Set(["s1"]),
    );
    expect(result).toMatchObject({ ok: true, experiment: { starIds: ["s1"] } });
    expect(result.ok && result.dropped.reasons).toEqual([
      "starIds[1]: unknown star id",
      "starIds[2]: unknown star id",
      "starIds[3]: duplicate star id",
    ]);
  });
});

describe("sanitizeTurn: unknown enum values are dropped", () => {
  test.each([
    ["newStars", star({ domain: "career" }), "newStars[0]: unknown domain"],
    ["newStars", star({ polarity: "grey" }), "newStars[0]: unknown polarity"],
    ["newStars", star({ conceptType: "vibe" }), "newStars[0]: unknown conceptType"],
    ["connections", connection({ type: "friendship" }), "connections[0]: unknown type"],
    ["skillEvidence", skill({ domain: "Health" }), "skillEvidence[0]: unknown domain"],
    ["growthSignals", signal({ dimension: "self_grow" }), "growthSignals[0]: unknown dimension"],
  ])("%s: %j", (list, item, reason) => {
    const result = run({ [list]: [item] });
    expect(result[list as keyof Lists]).toEqual([]);
    expect(result.dropped).toEqual({ count: 1, reasons: [reason] });
  });
});

describe("sanitizeTurn: numbers out of range, non-finite or not numbers", () => {
  const cases: [keyof Lists, (o: Record<string, unknown>) => object, string, number[]][] = [
    ["newStars", star, "intensity", [-0.01, 1.01]],
    ["reinforcements", reinforcement, "signal", [-1.5, 1.01]],
    ["connections", connection, "strength", [-0.1, 1.2]],
    ["skillEvidence", skill, "level", [-1, 10.5]],
    ["skillEvidence", skill, "confidence", [-0.2, 2]],
    ["growthSignals", signal, "delta", [-1.01, 1.5]],
  ];
  test.each(cases)("%s.%s", (list, make, field, outside) => {
    const values = [...outside, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, "0.5", null];
    for (const value of values) {
      const result = run({ [list]: [make({ [field]: value })] });
      expect(result[list]).toEqual([]);
      expect(result.dropped.count).toBe(1);
      const [reason] = result.dropped.reasons;
      if (typeof value !== "number") expect(reason).toBe(`${list}[0]: ${field} is not a number`);
      else if (!Number.isFinite(value)) expect(reason).toBe(`${list}[0]: ${field} is not finite`);
      else expect(reason).toMatch(new RegExp(`^${list}\\[0\\]: ${field} out of range`));
    }
  });
});

describe("sanitizeTurn: text fields", () => {
  test("labels: empty, blank, punctuation-only or over 80 characters are dropped", () => {
    const result = run({
      newStars: [
        star({ ref: "new:1", label: "" }),
        star({ ref: "new:2", label: "   \n\t " }),
        star({ ref: "new:3", label: "?!…" }),
        star({ ref: "new:4", label: "x".repeat(81) }),
        star({ ref: "new:5", label: 42 }),
      ],
    });
    expect(result.newStars).toEqual([]);
    expect(result.dropped.reasons).toEqual([
      "newStars[0]: label is empty",
      "newStars[1]: label is empty",
      "newStars[2]: label has no letters or digits",
      "newStars[3]: label too long",
      "newStars[4]: label is not a string",
    ]);
  });

  test("labels of exactly 80 characters are kept; whitespace and control characters collapse", () => {
    const result = run({
      newStars: [star({ label: "y".repeat(80) }), star({ ref: "new:2", label: "  Quiet \n\u0007 confidence " })],
    });
    expect(result.newStars.map((s) => s.label)).toEqual(["y".repeat(80), "Quiet confidence"]);
  });

  test("a description over 500 characters drops the star; 500 is fine", () => {
    const result = run({
      newStars: [star({ description: "d".repeat(501) }), star({ ref: "new:2", label: "B", description: "d".repeat(500) })],
    });
    expect(result.newStars.map((s) => s.label)).toEqual(["B"]);
    expect(result.dropped.reasons).toEqual(["newStars[0]: description too long"]);
  });

  test("quotes over 500 characters are truncated with an ellipsis, not dropped", () => {
    const long = `${"🙂".repeat(600)}`;
    const result = run({ reinforcements: [reinforcement({ quote: long })], growthSignals: [signal({ quote: "q".repeat(500) })] });
    const quote = result.reinforcements[0].quote;
    expect(Array.from(quote)).toHaveLength(LIMITS.quoteChars);
    expect(quote.endsWith("🙂…")).toBe(true); // no emoji split in half
    expect(result.growthSignals[0].quote).toBe("q".repeat(500));
    expect(result.dropped.count).toBe(0);
  });

  test("a missing quote drops the item", () => {
    const result = run({ reinforcements: [{ starId: "s2", signal: 0.1 }] });
    expect(result.dropped.reasons).toEqual(["reinforcements[0]: quote is not a string"]);
  });

  test("items that are not objects are dropped", () => {
    const result = run({ newStars: [null, "star", 3, ["a"]], connections: [undefined] });
    expect(result.dropped.count).toBe(5);
    expect(result.dropped.reasons[0]).toBe("newStars[0]: not an object");
  });

  test("reasons never echo the model's content", () => {
    const secret = "MY SECRET DIARY";
    const result = run({
      newStars: [star({ label: secret, domain: secret })],
      reinforcements: [reinforcement({ starId: secret })],
    });
    expect(result.dropped.reasons.join(" ")).not.toContain(secret);
  });
});

describe("sanitizeTurn: no twins", () => {
  test("a new star matching an existing label becomes a reinforcement (signal 0.5 × intensity)", () => {
    const result = run({
      newStars: [star({ ref: "new:1", label: "morning RUNS", intensity: 0.8, quote: "ran at 6" })],
      connections: [connection({ from: "new:1", to: "s2", type: "growth_edge" })],
    });
    expect(result.newStars).toEqual([]);
    expect(result.reinforcements).toEqual([{ starId: "s1", signal: 0.4, quote: "ran at 6" }]);
    expect(result.connections).toEqual([
      expect.objectContaining({ from: { kind: "star", starId: "s1" }, to: { kind: "star", starId: "s2" } }),
    ]);
    expect(result.dropped.count).toBe(0);
  });

  test("an explicit reinforcement of the same star wins over the re-mention", () => {
    const result = run({
      newStars: [star({ label: "Morning runs" })],
      reinforcements: [reinforcement({ starId: "s1", signal: -0.2 })],
    });
    expect(result.reinforcements).toEqual([reinforcement({ starId: "s1", signal: -0.2 })]);
    expect(result.dropped.reasons).toEqual(["newStars[0] (re-mention): star already reinforced this turn"]);
  });

  test("a re-mention whose connection would point at itself is a self-connection", () => {
    const result = run({
      newStars: [star({ label: "Morning runs" })],
      connections: [connection({ from: "new:1", to: "s1" })],
    });
    expect(result.connections).toEqual([]);
    expect(result.dropped.reasons).toEqual(["connections[0]: self-connection"]);
  });

  test("two new stars with the same normalized label merge into the first", () => {
    const result = run({
      newStars: [
        star({ ref: "new:1", label: "Fear of failure", intensity: 0.3 }),
        star({ ref: "new:2", label: "fear of FAILURE.", intensity: 0.9 }),
      ],
      connections: [connection({ from: "new:2", to: "s2" })],
    });
    expect(result.newStars).toHaveLength(1);
    expect(result.newStars[0]).toMatchObject({ ref: "new:1", intensity: 0.9 });
    expect(result.connections[0].from).toEqual({ kind: "new", ref: "new:1" });
    expect(result.dropped.reasons).toEqual(["newStars[1]: merged into a new star with the same label"]);
  });
});

describe("sanitizeTurn: connections", () => {
  test("self-connections are dropped", () => {
    const result = run({ newStars: [star()], connections: [connection({ from: "s2", to: "s2" }), connection({ from: "new:1", to: "new:1" })] });
    expect(result.connections).toEqual([]);
    expect(result.dropped.reasons).toEqual(["connections[0]: self-connection", "connections[1]: self-connection"]);
  });

  test("duplicates are dropped; reversed symmetric types are duplicates, reversed directed ones are not", () => {
    const result = run({
      connections: [
        connection({ type: "resonance" }),
        connection({ type: "resonance", from: "s3", to: "s2" }),
        connection({ type: "causation" }),
        connection({ type: "causation", from: "s3", to: "s2" }),
        connection({ type: "causation", strength: 0.9 }),
      ],
    });
    expect(result.connections.map((c) => [c.type, c.from, c.to])).toEqual([
      ["resonance", { kind: "star", starId: "s2" }, { kind: "star", starId: "s3" }],
      ["causation", { kind: "star", starId: "s2" }, { kind: "star", starId: "s3" }],
      ["causation", { kind: "star", starId: "s3" }, { kind: "star", starId: "s2" }],
    ]);
    expect(result.dropped.reasons).toEqual(["connections[1]: duplicate connection", "connections[4]: duplicate connection"]);
  });
});

describe("sanitizeTurn: skills and growth signals", () => {
  test("skill names match ignoring case and whitespace; unknown ones are dropped", () => {
    const result = run({
      skillEvidence: [skill({ skillName: "  public   SPEAKING " }), skill({ skillName: "Juggling" })],
    });
    expect(result.skillEvidence).toEqual([expect.objectContaining({ skillId: "skill_ps", skillName: "public   SPEAKING" })]);
    expect(result.dropped.reasons).toEqual(["skillEvidence[1]: unknown skill"]);
  });

  test("one evidence per skill and one signal per dimension per turn", () => {
    const result = run({
      skillEvidence: [skill(), skill({ skillName: "public speaking", level: 9 })],
      growthSignals: [signal(), signal({ delta: 0.9 })],
    });
    expect(result.skillEvidence).toHaveLength(1);
    expect(result.growthSignals).toEqual([signal()]);
    expect(result.dropped.reasons).toEqual([
      "skillEvidence[1]: skill already evidenced this turn",
      "growthSignals[1]: dimension already signalled this turn",
    ]);
  });

  test("growth signals are clamped to ±0.2 per dimension per message, not dropped", () => {
    const result = run({
      growthSignals: [
        signal({ dimension: "self_know", delta: 1 }),
        signal({ dimension: "world_act", delta: -0.75 }),
        signal({ dimension: "self_act", delta: 0.2 }),
        signal({ dimension: "world_show", delta: 0.05 }),
      ],
    });
    expect(result.dropped.count).toBe(0);
    expect(result.growthSignals.map((s) => [s.dimension, s.delta])).toEqual([
      ["self_know", 0.2],
      ["world_act", -0.2],
      ["self_act", 0.2],
      ["world_show", 0.05],
    ]);
    expect(LIMITS.growthSignalMaxDelta).toBe(0.2);
  });

  test("normalizeSkillName", () => {
    expect(normalizeSkillName("  Ｐｙｔｈｏｎ\tProgramming ")).toBe("python programming");
  });
});

describe("sanitizeTurn: bounds", () => {
  const ids = Array.from({ length: 30 }, (_, i) => `id${i}`);
  const ctx = context({
    knownStarIds: new Set(ids),
    knownSkillNames: new Map(ids.map((id) => [normalizeSkillName(`skill ${id}`), `sk_${id}`])),
  });

  test("at most 10 new stars; connections to the excess are dropped too", () => {
    const stars = ids.slice(0, 12).map((id, i) => star({ ref: `new:${i + 1}`, label: `Star ${id}` }));
    const result = run({ newStars: stars, connections: [connection({ from: "new:12", to: "id0" })] }, ctx);
    expect(result.newStars).toHaveLength(LIMITS.newStars);
    expect(result.dropped.reasons).toEqual([
      "newStars[10]: over the limit",
      "newStars[11]: over the limit",
      "connections[0]: unknown star id or ref",
    ]);
  });

  test("at most 20 reinforcements, 20 connections, 10 skill evidences", () => {
    const result = run(
      {
        reinforcements: ids.slice(0, 25).map((starId) => reinforcement({ starId })),
        connections: ids.slice(0, 25).map((from) => connection({ from, to: "id29" })),
        skillEvidence: ids.slice(0, 13).map((id) => skill({ skillName: `Skill ${id}` })),
      },
      ctx,
    );
    expect(result.reinforcements).toHaveLength(LIMITS.reinforcements);
    expect(result.connections).toHaveLength(LIMITS.connections);
    expect(result.skillEvidence).toHaveLength(LIMITS.skillEvidence);
    expect(result.dropped.count).toBe(5 + 5 + 3);
    expect(result.dropped.reasons.every((reason) => reason.endsWith("over the limit"))).toBe(true);
  });

  test("growth signals: one per dimension keeps them under the bound of 10", () => {
    const result = run({ growthSignals: [...GROWTH_DIMENSIONS, ...GROWTH_DIMENSIONS].map((dimension) => signal({ dimension })) });
    expect(result.growthSignals).toHaveLength(GROWTH_DIMENSIONS.length);
    expect(LIMITS.growthSignals).toBe(10);
  });

  test("the count stays exact when the reasons list is capped", () => {
    const result = run({ reinforcements: Array.from({ length: 80 }, () => reinforcement({ starId: "nope" })) });
    expect(result.dropped.count).toBe(80);
    expect(result.dropped.reasons).toHaveLength(LIMITS.reasons);
  });

  test("missing lists are treated as empty", () => {
    const partial = { reply: "ok", extraction: { newStars: [star()] } } as unknown as RawTurnOutput;
    const result = sanitizeTurn(partial, context());
    expect(result.newStars).toHaveLength(1);
    expect(result.connections).toEqual([]);
  });
});

describe("sanitizeTurn: any input", () => {
  test("never throws, and everything kept respects the rules", () => {
    const idArb = fc.constantFrom("s1", "s2", "s3", "new:1", "new:2", "evil", "");
    const anyNumber = fc.oneof(fc.double(), fc.double({ min: -1, max: 1, noNaN: true }), fc.constant(0.5));
    const loose = fc.record({
      ref: fc.constantFrom("new:1", "new:2", "new:3", "s1"),
      label: fc.oneof(fc.string(), fc.constantFrom("Morning runs", "doom scrolling", "Calm")),
      description: fc.string(),
      domain: fc.constantFrom(...DOMAINS, "x"),
      polarity: fc.constantFrom("light", "shadow", "x"),
      intensity: anyNumber,
      conceptType: fc.constantFrom("emotion", "x"),
      quote: fc.string({ maxLength: 600 }),
      starId: idArb,
      signal: anyNumber,
      from: idArb,
      to: idArb,
      type: fc.constantFrom(...CONNECTION_TYPES, "x"),
      strength: anyNumber,
      skillName: fc.constantFrom("public speaking", "x"),
      level: fc.double({ min: -2, max: 12 }),
      confidence: anyNumber,
      dimension: fc.constantFrom(...GROWTH_DIMENSIONS, "x"),
      delta: anyNumber,
    });
    const items = fc.array(fc.oneof(loose, fc.anything()), { maxLength: 30 });
    fc.assert(
      fc.property(items, items, items, items, items, (a, b, c, d, e) => {
        const ctx = context();
        const result = run({ newStars: a, reinforcements: b, connections: c, skillEvidence: d, growthSignals: e }, ctx);
        const refs = new Set(result.newStars.map((s) => s.ref));
        expect(result.newStars.length).toBeLessThanOrEqual(LIMITS.newStars);
        for (const s of result.newStars) {
          expect(s.label.length).toBeGreaterThan(0);
          expect(Array.from(s.label).length).toBeLessThanOrEqual(LIMITS.labelChars);
          expect(ctx.existingLabels.has(s.normalizedLabel)).toBe(false);
          expect(s.intensity >= 0 && s.intensity <= 1).toBe(true);
        }
        expect(new Set(result.newStars.map((s) => s.normalizedLabel)).size).toBe(result.newStars.length);
        for (const r of result.reinforcements) {
          expect(ctx.knownStarIds.has(r.starId)).toBe(true);
          expect(r.signal >= -1 && r.signal <= 1).toBe(true);
          expect(Array.from(r.quote).length).toBeLessThanOrEqual(LIMITS.quoteChars);
        }
        for (const conn of result.connections) {
          for (const end of [conn.from, conn.to]) {
            if (end.kind === "star") expect(ctx.knownStarIds.has(end.starId)).toBe(true);
            else expect(refs.has(end.ref)).toBe(true);
          }
          expect(conn.from).not.toEqual(conn.to);
        }
        for (const g of result.growthSignals) expect(Math.abs(g.delta)).toBeLessThanOrEqual(1);
        for (const s of result.skillEvidence) expect(s.level >= 0 && s.level <= 10).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("sanitizeTurn: the inferred emotion (MECHANICS §9)", () => {
  const withEmotion = (emotion: unknown) =>
    sanitizeTurn({ reply: "Tell me more.", extraction: { newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [], emotion } }, context());

  test("absent or null is none; a valid one is kept, its label collapsed", () => {
    expect(withEmotion(undefined).emotion).toBeNull();
    expect(withEmotion(null).emotion).toBeNull();
    expect(withEmotion({ valence: "negative", label: "  very\n anxious ", intensity: 1 })).toMatchObject({
      emotion: { valence: "negative", label: "very anxious", intensity: 1 },
      dropped: { count: 0 },
    });
    expect(withEmotion({ valence: "positive", label: "x".repeat(LIMITS.emotionLabelChars), intensity: 0 }).emotion?.label).toHaveLength(40);
  });

  test("outside the check-in bounds it is dropped, not repaired", () => {
    for (const bad of [
      { valence: "ecstatic", label: "joy", intensity: 0.5 },
      { valence: "positive", label: "   ", intensity: 0.5 },
      { valence: "positive", label: "x".repeat(LIMITS.emotionLabelChars + 1), intensity: 0.5 },
      { valence: "positive", label: "joy", intensity: 1.2 },
      { valence: "positive", label: "joy", intensity: Number.NaN },
      { valence: "positive", label: 7, intensity: 0.5 },
      [{ valence: "positive", label: "joy", intensity: 0.5 }],
      "joy",
    ]) {
      const result = withEmotion(bad);
      expect(result.emotion, JSON.stringify(bad)).toBeNull();
      expect(result.dropped.count).toBe(1);
      expect(result.dropped.reasons[0]).toMatch(/^emotion\[0\]: /);
    }
  });
});

describe("sanitizeExperiment", () => {
  const known = new Set(["s1", "s2", "s3", "s4", "s5", "s6"]);
  const experiment = (overrides: Record<string, unknown> = {}) => ({
    when: "After I pour my morning coffee",
    will: "write down one thing I am avoiding",
    at: "at the kitchen table",
    rationale: "Naming it shrinks it.",
    starIds: ["s1"],
    ...overrides,
  });

  test("a valid experiment passes, whitespace collapsed", () => {
    const result = sanitizeExperiment(experiment({ when: "  After   I pour\nmy morning coffee " }), known);
    expect(result).toEqual({ ok: true, experiment: experiment(), dropped: { count: 0, reasons: [] } });
  });

  test("an empty or overlong WHEN / WILL / AT fails the experiment", () => {
    expect(sanitizeExperiment(experiment({ when: "  " }), known)).toEqual({ ok: false, reason: "when is empty" });
    expect(sanitizeExperiment(experiment({ will: "w".repeat(201) }), known)).toEqual({ ok: false, reason: "will too long" });
    expect(sanitizeExperiment(experiment({ at: 3 }) as never, known)).toEqual({ ok: false, reason: "at is empty" });
  });

  test("the rationale is truncated, the star list bounded", () => {
    const result = sanitizeExperiment(
      experiment({ rationale: "r".repeat(600), starIds: ["s1", "s2", "s3", "s4", "s5", "s6"] }),
      known,
    );
    if (!result.ok) throw new Error(result.reason);
    expect(Array.from(result.experiment.rationale)).toHaveLength(LIMITS.rationaleChars);
    expect(result.experiment.starIds).toEqual(["s1", "s2", "s3", "s4", "s5"]);
    expect(result.dropped.reasons).toEqual(["starIds[5]: over the limit"]);
  });
});
