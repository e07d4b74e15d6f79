// The reply's text while the structured answer is still arriving. The turn schema puts
// `reply` first (src/llm/schemas.ts TurnOutput) and strict structured outputs emit keys in
// schema order, so the prefix `{"reply":"...` is known long before the extraction. Pure and
// small on purpose: it reads one JSON string literal, not a general partial-JSON parser.

/**
 * The decoded text of the leading `"reply"` string of a partial JSON object, as far as it
 * has arrived: null until the opening quote of its value, and null when the object does
 * not start with `reply` (then nothing is shown until the answer is complete). A trailing
 * incomplete escape (`\`, `\u00`) or a lone high surrogate is held back until it completes.
 * `done` tells whether the closing quote arrived (the reply is complete).
 */
export function partialReply(content: string): { text: string; done: boolean } | null {
  const head = /^\s*\{\s*"reply"\s*:\s*"/.exec(content);
  if (head === null) return null;
  let text = "";
  let i = head[0].length;
  while (i < content.length) {
    const char = content[i];
    if (char === '"') return { text, done: true };
    if (char !== "\\") {
      text += char;
      i += 1;
      continue;
    }
    const next = content[i + 1];
    if (next === undefined) break; // `\` at the end: wait for the escaped character
    if (next === "u") {
      const hex = content.slice(i + 2, i + 6);
      if (hex.length < 4) break;
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return { text, done: false }; // malformed: stop here
      text += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
      continue;
    }
    const escaped = ESCAPES[next];
    if (escaped === undefined) return { text, done: false }; // malformed: stop here
    text += escaped;
    i += 2;
  }
  return { text: withoutLoneHighSurrogate(text), done: false };
}

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** A surrogate pair split across chunks: show the pair once both halves arrived. */
function withoutLoneHighSurrogate(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}
