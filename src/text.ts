// Text bounds: the one table of how long each stored string may be, and the one way to
// measure and cut text. Pure. Every writer goes through it:
//  - the model's output is cut (quotes, reply, rationale) or dropped (labels, descriptions)
//    by the sanitizer (src/llm/sanitize.ts);
//  - the user's edits are refused with INVALID_ARGUMENT (convex/model/clientInput.ts; check-ins
//    through src/mechanics/reflection.ts);
//  - the Clerk webhook and the token claims are cut (names) or dropped (an address too long
//    to be one) in convex/model/users.ts; an over-long Clerk or svix id is refused (400).
// So a document never nears Convex's 1 MiB limit, whatever arrives.
// Lengths are code points (an emoji counts once); cutting never splits one.

/** Longest value of each stored text field, in code points (after trimming). */
export const TEXT_BOUNDS = {
  // stars (model output and the user's edits)
  starLabel: 80,
  starDescription: 500,
  /** Evidence quotes on stars and connections; skill evidence notes from extraction. */
  quote: 500,
  // the extraction pipeline
  reply: 4_000,
  /** A new star's ref inside one model answer ("new:1"). */
  ref: 64,
  // conversations
  message: 8_000,
  /** A conversation's summary (the model's, cut), the app's preview and a memory. */
  summary: 1_000,
  // experiments (model output; the reflection is the user's)
  experimentField: 200,
  rationale: 500,
  reflection: 4_000,
  // journeys
  northStarDescription: 500,
  successCriteria: 1_000,
  milestoneTitle: 120,
  milestoneDescription: 1_000,
  // missions
  missionTitle: 200,
  missionDescription: 2_000,
  // skill evidence
  skillNotes: 2_000,
  skillSourceRef: 500,
  // growth ledger
  growthEntityId: 128,
  // the usage ledger: a model name from OPENAI_MODEL ("gpt-4o-mini-2024-07-18")
  modelName: 100,
  // check-ins (the user's, and emotions the model read in a message)
  emotionLabel: 40,
  energyNote: 500,
  // reports (model output)
  reportNarrative: 1_500,
  // users (settings, the Clerk webhook, token claims)
  displayName: 80,
  /** RFC 5321 caps a forward path at 256 octets; 320 leaves room for any real address. */
  email: 320,
  /** Clerk ids and svix message ids are ~30 characters; anything longer is not one. */
  externalId: 256,
} as const;
export type TextField = keyof typeof TEXT_BOUNDS;

/** Length in code points, so an emoji counts once: the one unit every text bound uses. */
export function textLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

/** Whether `value` fits the field's bound. */
export function fitsBound(field: TextField, value: string): boolean {
  return textLength(value) <= TEXT_BOUNDS[field];
}

/**
 * `value` if it has at most `max` code points, else its first `max − 1` (trailing spaces
 * dropped) and "…": at most `max` code points, never a split emoji.
 */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value; // UTF-16 units ≥ code points: fits for sure
  if (textLength(value) <= max) return value;
  const kept: string[] = [];
  for (const char of value) {
    if (kept.length >= max - 1) break;
    kept.push(char);
  }
  return `${kept.join("").trimEnd()}…`;
}

/** `value` cut to the field's bound (see truncateText). */
export function boundText(field: TextField, value: string): string {
  return truncateText(value, TEXT_BOUNDS[field]);
}

/** Control characters and runs of whitespace become one space; trimmed. For names and labels. */
export function collapseSpaces(value: string): string {
  return value.replace(/[\p{Cc}\s]+/gu, " ").trim();
}
