// What TARS answers with, in two shapes:
//  - the WIRE schemas (`TurnOutput`, `ExperimentOutput`) are what the model is asked for:
//    OpenAI structured outputs strict mode (every field required, no optional/union, enums
//    as string enums). Numbers and string lengths are NOT bounded here: strict mode treats
//    such keywords unevenly across models and compatible providers, so sanitize.ts does it.
//  - the PARSE schemas (`RawTurnOutput`, `RawExperimentOutput`) are what we accept back.
//    The answer is untrusted input, so they only check the envelope (`reply` is a string,
//    the extraction lists are lists) and leave items as `unknown`: sanitize.ts checks each
//    item on its own, so one bad item is dropped instead of failing (and re-paying for)
//    the whole turn, and the reply the user waits for survives.
//
// Response formats: `zodResponseFormat` from "openai/helpers/zod" handles zod v4 (checked
// in openai 6.30 and 7.57: it detects `_zod`, runs `z.toJSONSchema` and the SDK's own
// strict-mode normalizer), so the SDK owns the strict-mode rules; tests/llm/schemas.test.ts
// asserts the result is strict (all required, no extra properties, no bound keywords). We
// send it with `chat.completions.create`, not `.parse()`, and validate the content with
// the parse schemas ourselves: malformed output becomes a classified failure, not a throw.
import { z } from "zod";
import { zodResponseFormat } from "openai/helpers/zod";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { CONCEPT_TYPES, CONNECTION_TYPES, DOMAINS, EMOTION_VALENCES, GROWTH_DIMENSIONS, POLARITIES } from "../domain";

// ---------------------------------------------------------------- wire: conversation turn

export const NewStarWire = z.object({
  ref: z.string().describe('Temporary id for this new star, "new:1", "new:2", ...'),
  label: z.string().describe("Short name of the concept, at most 80 characters"),
  description: z.string().describe("One or two sentences, at most 500 characters"),
  domain: z.enum(DOMAINS),
  polarity: z.enum(POLARITIES),
  intensity: z.number().describe("0 to 1"),
  conceptType: z.enum(CONCEPT_TYPES),
  quote: z.string().describe("The user's own words that show it"),
});

export const ReinforcementWire = z.object({
  starId: z.string().describe("An id from the given star list, exactly"),
  signal: z.number().describe("-1 (weakened) to 1 (strengthened)"),
  quote: z.string(),
});

export const ConnectionWire = z.object({
  from: z.string().describe("A given star id or the ref of a new star"),
  to: z.string().describe("A given star id or the ref of a new star"),
  type: z.enum(CONNECTION_TYPES),
  strength: z.number().describe("0 to 1"),
  quote: z.string(),
});

export const SkillEvidenceWire = z.object({
  skillName: z.string().describe("A name from the given skill list, exactly"),
  domain: z.enum(DOMAINS),
  level: z.number().describe("0 to 10"),
  confidence: z.number().describe("0 to 1"),
  quote: z.string(),
});

export const GrowthSignalWire = z.object({
  dimension: z.enum(GROWTH_DIMENSIONS),
  delta: z.number().describe("-1 to 1, usually small"),
  quote: z.string(),
});

/** The feeling the message shows (MECHANICS §9 check-in, source "inferred"). */
export const EmotionWire = z.object({
  valence: z.enum(EMOTION_VALENCES),
  label: z.string().describe('One or two words, at most 40 characters, e.g. "anxious"'),
  intensity: z.number().describe("0 to 1"),
});

export const ExtractionWire = z.object({
  newStars: z.array(NewStarWire),
  reinforcements: z.array(ReinforcementWire),
  connections: z.array(ConnectionWire),
  skillEvidence: z.array(SkillEvidenceWire),
  growthSignals: z.array(GrowthSignalWire),
  // Strict mode has no optional fields: "optional" is a required field that may be null.
  emotion: EmotionWire.nullable().describe("The emotion the message clearly shows, or null"),
});

export const TurnOutput = z.object({
  reply: z.string().describe("What TARS says to the user"),
  extraction: ExtractionWire,
});
export type TurnOutput = z.infer<typeof TurnOutput>;
export type NewStarOutput = z.infer<typeof NewStarWire>;
export type ReinforcementOutput = z.infer<typeof ReinforcementWire>;
export type ConnectionOutput = z.infer<typeof ConnectionWire>;
export type SkillEvidenceOutput = z.infer<typeof SkillEvidenceWire>;
export type GrowthSignalOutput = z.infer<typeof GrowthSignalWire>;
export type EmotionOutput = z.infer<typeof EmotionWire>;

// ---------------------------------------------------------------- wire: experiment

/** An implementation intention: WHEN <trigger>, I WILL <action>, AT <context>. */
export const ExperimentOutput = z.object({
  when: z.string().describe("The trigger: a concrete moment or cue"),
  will: z.string().describe("The small, specific action"),
  at: z.string().describe("Where / in which context"),
  rationale: z.string().describe("Why this experiment, in one or two sentences"),
  starIds: z.array(z.string()).describe("Ids from the given star list this works on"),
});
export type ExperimentOutput = z.infer<typeof ExperimentOutput>;

// ---------------------------------------------------------------- wire: report narrative

/** A few sentences in the coach's voice about one report's window (MECHANICS §9). */
export const NarrativeOutput = z.object({
  narrative: z.string().describe("Two to five sentences, addressed to the user"),
});
export type NarrativeOutput = z.infer<typeof NarrativeOutput>;

// ---------------------------------------------------------------- parse side (lenient)

/** A list the model may have left out (non-strict providers); items are checked later. */
const items = z.array(z.unknown()).default([]);

export const RawTurnOutput = z.object({
  // An empty reply leaves the user with nothing: a broken sample, worth another attempt.
  reply: z.string().trim().min(1),
  extraction: z
    .object({
      newStars: items,
      reinforcements: items,
      connections: items,
      skillEvidence: items,
      growthSignals: items,
      /** Checked by the sanitizer; missing (older or non-strict answers) and null mean none. */
      emotion: z.unknown().optional(),
    })
    .default({ newStars: [], reinforcements: [], connections: [], skillEvidence: [], growthSignals: [] }),
});
export type RawTurnOutput = z.infer<typeof RawTurnOutput>;

export const RawExperimentOutput = z.object({
  when: z.string(),
  will: z.string(),
  at: z.string(),
  rationale: z.string(),
  starIds: items,
});
export type RawExperimentOutput = z.infer<typeof RawExperimentOutput>;

// ---------------------------------------------------------------- response formats

/** What the model is asked for (`wire`) and what we accept back (`parse`). */
export type StructuredSchema<T> = { wire: z.ZodType; parse: z.ZodType<T> };

export const TURN_SCHEMA: StructuredSchema<RawTurnOutput> = { wire: TurnOutput, parse: RawTurnOutput };
export const EXPERIMENT_SCHEMA: StructuredSchema<RawExperimentOutput> = {
  wire: ExperimentOutput,
  parse: RawExperimentOutput,
};
export const RawNarrativeOutput = z.object({ narrative: z.string().trim().min(1) });
export type RawNarrativeOutput = z.infer<typeof RawNarrativeOutput>;
export const NARRATIVE_SCHEMA: StructuredSchema<RawNarrativeOutput> = { wire: NarrativeOutput, parse: RawNarrativeOutput };
export const NARRATIVE_SCHEMA_NAME = "tars_report_narrative";
export const TURN_SCHEMA_NAME = "tars_turn";
export const EXPERIMENT_SCHEMA_NAME = "tars_experiment";

const formats = new WeakMap<z.ZodType, Map<string, ResponseFormatJSONSchema>>();

/** The strict `json_schema` response format for `schema`, built once per (schema, name). */
export function responseFormatFor(schema: StructuredSchema<unknown>, name: string): ResponseFormatJSONSchema {
  let byName = formats.get(schema.wire);
  if (!byName) {
    byName = new Map();
    formats.set(schema.wire, byName);
  }
  let format = byName.get(name);
  if (!format) {
    // The spread drops the helper's non-enumerable `.parse()` hooks: a plain request object.
    format = { ...zodResponseFormat(schema.wire, name) };
    byName.set(name, format);
  }
  return format;
}

// ---------------------------------------------------------------- conversation summary

/** A conversation's summary in the character's voice (the app's preview, and a memory). */
export const SummaryOutput = z.object({
  summary: z.string().describe("At most three sentences, addressed to the user"),
});
export const RawSummaryOutput = z.object({ summary: z.string().trim().min(1) });
export type RawSummaryOutput = z.infer<typeof RawSummaryOutput>;
export const SUMMARY_SCHEMA: StructuredSchema<RawSummaryOutput> = { wire: SummaryOutput, parse: RawSummaryOutput };
export const SUMMARY_SCHEMA_NAME = "conversation_summary";
