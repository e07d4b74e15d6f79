// The user's text, checked against the one bounds table (src/text.ts): trimmed, then
// refused with INVALID_ARGUMENT naming the field when it is over its bound (or blank where
// a value is required). Model output and webhook text are cut instead, never refused here.
import { TEXT_BOUNDS, textLength, type TextField } from "../../src/text";
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
