/**
 * A validating JSON scanner: decides whether bytes are exactly one RFC 8259
 * JSON text without building any value. It runs in one pass over the
 * bytes, allocates nothing (the nesting stack is one preallocated array)
 * and refuses nesting deeper than {@link MAX_JSON_DEPTH}, so a hostile body
 * (millions of `[`) costs linear time and no memory, where `JSON.parse`
 * builds the whole tree and `JSON.stringify` of it overflows the stack.
 *
 * The input must already be valid UTF-8 (the ingest path checks that with
 * `isUtf8` first): bytes of 0x80 and above are accepted inside strings
 * without decoding them. Escaped lone surrogates (`"\ud800"`) are valid
 * JSON, as for `JSON.parse`.
 */

/** Deepest nesting of arrays and objects accepted (`[[1]]` has depth 2). */
export const MAX_JSON_DEPTH = 512;

/** Outcome of {@link scanJson}. */
export const JsonScan = {
  /** One JSON value, surrounded by whitespace only. */
  VALID: 0,
  /** Not JSON (or not exactly one value). */
  INVALID: 1,
  /** JSON nested deeper than {@link MAX_JSON_DEPTH}. */
  TOO_DEEP: 2,
} as const;

/** A {@link JsonScan} value. */
export type JsonScanResult = (typeof JsonScan)[keyof typeof JsonScan];

const ARRAY = 1;
const OBJECT = 2;

/** Container kind per open level; scans are synchronous, so one array serves all. */
const stack = new Uint8Array(MAX_JSON_DEPTH);

/** 1 for bytes that may appear unescaped in a string and need no further look. */
const PLAIN = new Uint8Array(256);
/** 1 for the bytes after a backslash that make a one-character escape. */
const SHORT_ESCAPE = new Uint8Array(256);
/** 1 for hexadecimal digits. */
const HEX = new Uint8Array(256);
for (let byte = 0x20; byte < 256; byte++) PLAIN[byte] = 1;
PLAIN[0x22] = 0; // "
PLAIN[0x5c] = 0; // \
for (const char of '"\\/bfnrt') SHORT_ESCAPE[char.charCodeAt(0)] = 1;
for (const char of "0123456789abcdefABCDEF") HEX[char.charCodeAt(0)] = 1;

/** Index after the whitespace (space, tab, LF, CR) at `at`. */
function skipWhitespace(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end) {
    const byte = bytes[i]!;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
    i++;
  }
  return i;
}

/** Index after the string whose opening quote is at `at - 1`, or -1 when it is malformed. */
function skipString(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  const lastOctet = end - 8;
  for (;;) {
    // Fast path: most string bytes are plain; eight at a time, then one by one.
    while (
      i <= lastOctet &&
      (PLAIN[bytes[i]!]! &
        PLAIN[bytes[i + 1]!]! &
        PLAIN[bytes[i + 2]!]! &
        PLAIN[bytes[i + 3]!]! &
        PLAIN[bytes[i + 4]!]! &
        PLAIN[bytes[i + 5]!]! &
        PLAIN[bytes[i + 6]!]! &
        PLAIN[bytes[i + 7]!]!) !==
        0
    ) {
      i += 8;
    }
    while (i < end && PLAIN[bytes[i]!] !== 0) i++;
    if (i >= end) return -1;
    const byte = bytes[i]!;
    if (byte === 0x22) return i + 1;
    if (byte !== 0x5c) return -1; // a control character
    if (i + 1 >= end) return -1;
    const escaped = bytes[i + 1]!;
    if (SHORT_ESCAPE[escaped] === 1) {
      i += 2;
    } else if (escaped === 0x75) {
      if (
        i + 5 >= end ||
        HEX[bytes[i + 2]!] !== 1 ||
        HEX[bytes[i + 3]!] !== 1 ||
        HEX[bytes[i + 4]!] !== 1 ||
        HEX[bytes[i + 5]!] !== 1
      ) {
        return -1;
      }
      i += 6;
    } else {
      return -1;
    }
  }
}

/** Index after the digits at `at` (which may be none). */
function skipDigits(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end) {
    const byte = bytes[i]!;
    if (byte < 0x30 || byte > 0x39) break;
    i++;
  }
  return i;
}

/** Index after the number starting at `at`, or -1 when it is malformed. */
function skipNumber(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  if (bytes[i] === 0x2d) i++; // -
  if (i >= end) return -1;
  const first = bytes[i]!;
  if (first === 0x30) {
    i++;
  } else if (first >= 0x31 && first <= 0x39) {
    i = skipDigits(bytes, i + 1, end);
  } else {
    return -1;
  }
  if (i < end && bytes[i] === 0x2e) {
    const after = skipDigits(bytes, i + 1, end);
    if (after === i + 1) return -1;
    i = after;
  }
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const after = skipDigits(bytes, i, end);
    if (after === i) return -1;
    i = after;
  }
  return i;
}

/** Index after `true`, `false` or `null` at `at`, or -1. */
function skipLiteral(bytes: Uint8Array, at: number, end: number): number {
  const first = bytes[at];
  if (first === 0x74) {
    return at + 3 < end &&
      bytes[at + 1] === 0x72 &&
      bytes[at + 2] === 0x75 &&
      bytes[at + 3] === 0x65
      ? at + 4
      : -1;
  }
  if (first === 0x66) {
    return at + 4 < end &&
      bytes[at + 1] === 0x61 &&
      bytes[at + 2] === 0x6c &&
      bytes[at + 3] === 0x73 &&
      bytes[at + 4] === 0x65
      ? at + 5
      : -1;
  }
  if (first === 0x6e) {
    return at + 3 < end &&
      bytes[at + 1] === 0x75 &&
      bytes[at + 2] === 0x6c &&
      bytes[at + 3] === 0x6c
      ? at + 4
      : -1;
  }
  return -1;
}

/**
 * Index after `"key"` + whitespace + `:` + whitespace at `at` (the start of
 * the member's value), or -1.
 */
function skipMemberName(bytes: Uint8Array, at: number, end: number): number {
  if (at >= end || bytes[at] !== 0x22) return -1;
  const afterName = skipString(bytes, at + 1, end);
  if (afterName < 0) return -1;
  const colon = skipWhitespace(bytes, afterName, end);
  if (colon >= end || bytes[colon] !== 0x3a) return -1;
  return skipWhitespace(bytes, colon + 1, end);
}

/**
 * Scans `bytes[start…]` (UTF-8, a leading BOM already skipped) as one JSON
 * text. Linear in the length, no allocation, nesting bounded by
 * {@link MAX_JSON_DEPTH}.
 */
export function scanJson(bytes: Uint8Array, start = 0): JsonScanResult {
  const end = bytes.length;
  let depth = 0;
  let i = skipWhitespace(bytes, start, end);
  for (;;) {
    // A value starts at i.
    if (i >= end) return JsonScan.INVALID;
    const byte = bytes[i]!;
    if (byte === 0x22) {
      i = skipString(bytes, i + 1, end);
    } else if (byte === 0x7b || byte === 0x5b) {
      if (depth === MAX_JSON_DEPTH) return JsonScan.TOO_DEEP;
      const isObject = byte === 0x7b;
      stack[depth++] = isObject ? OBJECT : ARRAY;
      i = skipWhitespace(bytes, i + 1, end);
      if (i < end && bytes[i] === (isObject ? 0x7d : 0x5d)) {
        depth--;
        i++;
      } else {
        if (isObject) i = skipMemberName(bytes, i, end);
        if (i < 0) return JsonScan.INVALID;
        continue;
      }
    } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
      i = skipNumber(bytes, i, end);
    } else {
      i = skipLiteral(bytes, i, end);
    }
    if (i < 0) return JsonScan.INVALID;
    // After a complete value: close containers, or find the next value.
    for (;;) {
      i = skipWhitespace(bytes, i, end);
      if (depth === 0) return i === end ? JsonScan.VALID : JsonScan.INVALID;
      if (i >= end) return JsonScan.INVALID;
      const next = bytes[i]!;
      const container = stack[depth - 1];
      if (next === 0x2c) {
        i = skipWhitespace(bytes, i + 1, end);
        if (container === OBJECT) i = skipMemberName(bytes, i, end);
        if (i < 0) return JsonScan.INVALID;
        break;
      }
      if (next !== (container === OBJECT ? 0x7d : 0x5d)) return JsonScan.INVALID;
      depth--;
      i++;
    }
  }
}
