import { describe, expect, test } from "vitest";
import {
  EXPERIMENT_SCHEMA,
  EXPERIMENT_SCHEMA_NAME,
  RawTurnOutput,
  TURN_SCHEMA,
  TURN_SCHEMA_NAME,
  TurnOutput,
  responseFormatFor,
} from "../../src/llm/schemas";

type JsonSchema = Record<string, unknown>;

/** Keywords OpenAI strict mode rejects or ignores; bounds are the sanitizer's job. */
const UNSUPPORTED = ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "oneOf", "default"];

function visitObjects(schema: JsonSchema, visit: (node: JsonSchema, path: string) => void, path = "#"): void {
  visit(schema, path);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, child] of Object.entries(props)) visitObjects(child, visit, `${path}/${key}`);
  if (schema.items) visitObjects(schema.items as JsonSchema, visit, `${path}/items`);
}

describe.each([
  [TURN_SCHEMA_NAME, TURN_SCHEMA],
  [EXPERIMENT_SCHEMA_NAME, EXPERIMENT_SCHEMA],
])("%s response format", (name, schema) => {
  const format = responseFormatFor(schema, name);

  test("is a strict json_schema format, serializable as is", () => {
    expect(format).toMatchObject({ type: "json_schema", json_schema: { name, strict: true } });
    expect(JSON.parse(JSON.stringify(format))).toEqual(format);
  });

  test("every object lists all its properties as required and forbids others", () => {
    visitObjects(format.json_schema.schema as JsonSchema, (node, path) => {
      for (const keyword of UNSUPPORTED) expect(node, `${path} ${keyword}`).not.toHaveProperty(keyword);
      if (node.type !== "object") return;
      expect(node.additionalProperties, path).toBe(false);
      expect([...(node.required as string[])].sort(), path).toEqual(Object.keys(node.properties as object).sort());
    });
  });

  test("an optional field is strict mode's nullable one: required, an object or null", () => {
    const extraction = (format.json_schema.schema as JsonSchema).properties as Record<string, JsonSchema> | undefined;
    const emotion = ((extraction?.extraction?.properties ?? {}) as Record<string, JsonSchema>).emotion;
    if (name !== TURN_SCHEMA_NAME) return expect(emotion).toBeUndefined();
    const [object, nothing] = emotion.anyOf as JsonSchema[];
    expect(nothing).toEqual({ type: "null" });
    expect(object).toMatchObject({ type: "object", additionalProperties: false, required: ["valence", "label", "intensity"] });
  });

  test("is built once per name", () => {
    expect(responseFormatFor(schema, name)).toBe(format);
  });
});

describe("parse schemas", () => {
  test("every wire answer is accepted by the lenient parse schema", () => {
    const wire = TurnOutput.parse({
      reply: "hi",
      extraction: { newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [], emotion: null },
    });
    expect(RawTurnOutput.parse(wire)).toEqual(wire);
    const felt = { ...wire, extraction: { ...wire.extraction, emotion: { valence: "negative", label: "anxious", intensity: 0.6 } } };
    expect(RawTurnOutput.parse(TurnOutput.parse(felt))).toEqual(felt);
  });

  test("items are not judged here (the sanitizer drops them one by one); the envelope is", () => {
    const parsed = RawTurnOutput.safeParse({ reply: "hi", extraction: { newStars: [{ domain: "nope" }] } });
    expect(parsed.success && parsed.data.extraction.newStars).toEqual([{ domain: "nope" }]);
    expect(RawTurnOutput.safeParse({ reply: "", extraction: {} }).success).toBe(false);
    expect(RawTurnOutput.safeParse({ reply: "hi", extraction: { newStars: "x" } }).success).toBe(false);
    expect(RawTurnOutput.safeParse({ extraction: {} }).success).toBe(false);
  });
});
