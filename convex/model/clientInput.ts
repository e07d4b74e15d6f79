// What a client sends, checked once: its text against the one bounds table (src/text.ts)
// and its instants against the range the calendar code handles (src/time.ts). A value out
// of range answers INVALID_ARGUMENT naming the field, never a plain error deeper down.
// Model output and webhook text are cut instead (src/llm/sanitize.ts, model/users.ts).
import { TEXT_BOUNDS, textLength, type TextField } from "../../src/text";
import { SUPPORTED_INSTANTS, isSupportedInstant } from "../../src/time";
import { invalidArgument } from "../errors";

/** `raw` trimmed; INVALID_ARGUMENT when longer than TEXT_BOUNDS[field] or, if `required`, blank. */
export function userText(name: string, field: TextField, raw: string, options: { required: boolean }): string {
  const value = raw.trim();
  const length = textLength(value);
  const max = TEXT_BOUNDS[field];
  if (options.required && (length === 0 || length > max)) {
    throw invalidArgument(`${name} must be 1..${max} characters after trimming, got ${length}`);
  }
  if (length > max) throw invalidArgument(`${name} must be at most ${max} characters, got ${length}`);
  return value;
}

/**
 * A client-supplied instant (ms since the epoch), e.g. the `now` a query takes because it
 * cannot read the clock; INVALID_ARGUMENT outside SUPPORTED_INSTANTS (1970 to 9999-12-01).
 */
export function clientInstant(name: string, instant: number): number {
  if (!isSupportedInstant(instant)) {
    const last = new Date(SUPPORTED_INSTANTS.max).toISOString();
    throw invalidArgument(`${name} must be a time in ms from ${SUPPORTED_INSTANTS.min} (1970) to ${SUPPORTED_INSTANTS.max} (${last})`);
  }
  return instant;
}
