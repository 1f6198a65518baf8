/** What the verifier needs of a record line besides its bytes: the index it claims and whether it is redacted. */
export interface RecordLineFields {
  /** The record's `sequence` when it is a number, -1 otherwise (a position no entry ever has). */
  readonly index: number;
  /** `redacted` is `true`. */
  readonly redacted: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MAX_NESTING = 64;
// The closing bracket each open one expects; reading is synchronous, so one stack serves every call.
const closers = new Uint8Array(MAX_NESTING);

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const SEQUENCE = ascii('sequence');
const REDACTED = ascii('redacted');
const TRUE = ascii('true');
const LITERALS = [TRUE, ascii('false'), ascii('null')];
// RFC 8259 §6 number grammar; a scalar at the top level must be a literal or one of these.
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Reads `sequence` and `redacted` from a record line without building the record: a million JSON.parse
 * calls are most of what verifying a large export costs. Returns `undefined` for any line it cannot read
 * with certainty — whitespace between tokens, an escape inside a top-level key (`"sequ\u0065nce"` is
 * `sequence` too), a `sequence` that is not a plain non-negative integer, a broken top-level structure —
 * and the caller then parses the line in full. Export lines are canonical JSON, so in practice every line
 * takes the fast path.
 *
 * Why it cannot be fooled: it walks the top-level object key by key and skips each value whole. A string
 * is skipped to its closing quote, each backslash taking the byte after it along (an escaped quote or
 * backslash is never a string's end), so `"…\"sequence\":1…"` inside a string is never seen as a key; an object or array is skipped to its
 * matching bracket (strings inside skipped the same way, brackets checked pairwise), so a `sequence`
 * member of `metadata` is never taken for the record's own. UTF-8 continuation bytes are all ≥ 0x80 and
 * cannot be mistaken for a quote, backslash or bracket. For a line that is valid JSON this reads exactly
 * what JSON.parse would (duplicate keys included: the last one wins).
 *
 * And a wrong reading could not make a tampered export pass: the index only feeds the numbering check,
 * while the line's bytes are hashed as they stand, whatever the index says. Every entry a signed
 * checkpoint covers must hash to the leaf at its position for the export to pass, so there the numbering
 * check can only add a failure (`deleted`, `reordered`), never take one away; past the largest checkpoint
 * nothing is vouched for (`verifiedSize`). Strings and nested scalars are skipped, not validated: a line
 * JSON.parse would refuse for a bad escape deep inside `metadata` is hashed as it stands instead, and no
 * such line can hash to a signed leaf, because the log writes only canonical JSON.
 */
export const readRecordLine = (line: Uint8Array): RecordLineFields | undefined => {
  const last = line.length - 1;
  if (last < 1 || line[0] !== OPEN_OBJECT || line[last] !== CLOSE_OBJECT) return undefined;
  let index = -1;
  let redacted = false;
  if (last === 1) return { index, redacted };
  let at = 1;
  for (;;) {
    if (line[at] !== QUOTE) return undefined;
    const keyStart = at + 1;
    const keyEnd = skipString(line, at, last) - 1;
    if (keyEnd < 0 || hasEscape(line, keyStart, keyEnd) || line[keyEnd + 1] !== COLON) return undefined;
    const valueStart = keyEnd + 2;
    const valueEnd = skipValue(line, valueStart, last);
    if (valueEnd < 0) return undefined;
    if (isKey(line, keyStart, keyEnd, SEQUENCE)) {
      const read = readIndex(line, valueStart, valueEnd);
      if (read === undefined) return undefined;
      index = read;
    } else if (isKey(line, keyStart, keyEnd, REDACTED)) {
      redacted = matches(line, valueStart, valueEnd, TRUE);
    }
    if (valueEnd === last) return { index, redacted };
    if (line[valueEnd] !== COMMA) return undefined;
    at = valueEnd + 1;
  }
};

const hasEscape = (line: Uint8Array, start: number, end: number) => {
  for (let i = start; i < end; i++) if (line[i] === BACKSLASH) return true;
  return false;
};

const isKey = (line: Uint8Array, start: number, end: number, key: Uint8Array) =>
  end - start === key.length && matches(line, start, end, key);

const matches = (line: Uint8Array, start: number, end: number, expected: Uint8Array) => {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (line[start + i] !== expected[i]) return false;
  return true;
};

/** A plain non-negative integer is the index; another number is left to JSON.parse; anything else is -1. */
const readIndex = (line: Uint8Array, start: number, end: number): number | undefined => {
  const first = line[start]!;
  if (first !== 0x2d && (first < DIGIT_0 || first > DIGIT_9)) return -1;
  if (end - start > 15 || (first === DIGIT_0 && end - start > 1)) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = line[i]! - DIGIT_0;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
};

/** Where the value starting at `start` ends (the index after it), or -1 when it is not one whole value. */
const skipValue = (line: Uint8Array, start: number, limit: number): number => {
  const first = line[start];
  if (first === QUOTE) return skipString(line, start, limit);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) return skipNested(line, start, limit);
  let end = start;
  while (end < limit && line[end] !== COMMA) end++;
  return end > start && isScalar(line, start, end) ? end : -1;
};

const isScalar = (line: Uint8Array, start: number, end: number): boolean =>
  isPlainInteger(line, start, end) ||
  LITERALS.some((literal) => matches(line, start, end, literal)) ||
  (end - start < 400 && NUMBER.test(String.fromCharCode(...line.subarray(start, end))));

const isPlainInteger = (line: Uint8Array, start: number, end: number): boolean => {
  if (line[start] === DIGIT_0) return end - start === 1;
  for (let i = start; i < end; i++) if (line[i]! < DIGIT_0 || line[i]! > DIGIT_9) return false;
  return true;
};

/** The index after the closing quote of the string opening at `start`, or -1. */
const skipString = (line: Uint8Array, start: number, limit: number): number => {
  for (let at = start + 1; at < limit; at++) {
    const byte = line[at];
    if (byte === QUOTE) return at + 1;
    // An escape takes the next byte along: `\\"` (an escaped backslash) ends the string, `\"` does not.
    if (byte === BACKSLASH) at++;
  }
  return -1;
};

/** The index after the bracket closing the object or array opening at `start`, or -1. */
const skipNested = (line: Uint8Array, start: number, limit: number): number => {
  let depth = 0;
  for (let at = start; at < limit;) {
    const byte = line[at]!;
    if (byte === QUOTE) {
      at = skipString(line, at, limit);
      if (at < 0) return -1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === MAX_NESTING) return -1;
      closers[depth++] = byte === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (closers[--depth] !== byte) return -1;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return -1;
};
