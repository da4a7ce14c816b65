/**
 * A minimal Python pickle writer (protocol 3) for JSON-shaped values:
 * None, booleans, integers, floats, strings, bytes, lists, tuples and
 * dicts. Enough for the job data a Python RQ worker unpickles; no memo,
 * no classes, nothing executable.
 */

/** A value the writer can encode. A `PickleTuple` becomes a Python tuple. */
export type Picklable =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleTuple
  | readonly Picklable[]
  | { readonly [key: string]: Picklable };

/** Marks an array to be written as a Python tuple. */
export class PickleTuple {
  constructor(readonly items: readonly Picklable[]) {}
}

const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a,
  LONG1: 0x8a,
  BINFLOAT: 0x47,
  BINUNICODE: 0x58,
  BINBYTES: 0x42,
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
  SETITEMS: 0x75,
  MARK: 0x28,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
} as const;

class Writer {
  readonly #chunks: Buffer[] = [];
  byte(value: number): void {
    this.#chunks.push(Buffer.of(value));
  }
  bytes(value: Uint8Array): void {
    this.#chunks.push(Buffer.from(value));
  }
  uint32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.#chunks.push(b);
  }
  result(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function signedLittleEndian(value: bigint): Buffer {
  // Two's complement, as few bytes as keep the sign (Python's LONG1 encoding).
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.push(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

function writeInteger(w: Writer, value: bigint): void {
  if (value >= -(2n ** 31n) && value < 2n ** 31n) {
    w.byte(OP.BININT);
    const b = Buffer.alloc(4);
    b.writeInt32LE(Number(value));
    w.bytes(b);
    return;
  }
  const encoded = signedLittleEndian(value);
  if (encoded.length > 255) throw new RangeError("integer too large to pickle");
  w.byte(OP.LONG1);
  w.byte(encoded.length);
  w.bytes(encoded);
}

function write(w: Writer, value: Picklable, depth: number): void {
  if (depth > 64) throw new RangeError("value nested too deeply to pickle");
  if (value === null) {
    w.byte(OP.NONE);
    return;
  }
  if (value === true) {
    w.byte(OP.NEWTRUE);
    return;
  }
  if (value === false) {
    w.byte(OP.NEWFALSE);
    return;
  }
  if (typeof value === "bigint") {
    writeInteger(w, value);
    return;
  }
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) {
      writeInteger(w, BigInt(value));
      return;
    }
    w.byte(OP.BINFLOAT);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    w.bytes(b);
    return;
  }
  if (typeof value === "string") {
    const encoded = Buffer.from(value, "utf8");
    w.byte(OP.BINUNICODE);
    w.uint32(encoded.length);
    w.bytes(encoded);
    return;
  }
  if (value instanceof Uint8Array) {
    w.byte(OP.BINBYTES);
    w.uint32(value.byteLength);
    w.bytes(value);
    return;
  }
  if (value instanceof PickleTuple) {
    if (value.items.length === 0) {
      w.byte(OP.EMPTY_TUPLE);
      return;
    }
    w.byte(OP.MARK);
    for (const item of value.items) write(w, item, depth + 1);
    w.byte(OP.TUPLE);
    return;
  }
  if (Array.isArray(value)) {
    w.byte(OP.EMPTY_LIST);
    if (value.length === 0) return;
    w.byte(OP.MARK);
    for (const item of value as readonly Picklable[]) write(w, item, depth + 1);
    w.byte(OP.APPENDS);
    return;
  }
  const entries = Object.entries(value as Record<string, Picklable>);
  w.byte(OP.EMPTY_DICT);
  if (entries.length === 0) return;
  w.byte(OP.MARK);
  for (const [key, item] of entries) {
    write(w, key, depth + 1);
    write(w, item, depth + 1);
  }
  w.byte(OP.SETITEMS);
}

/** Pickles `value` with protocol 3. */
export function pickle(value: Picklable): Buffer {
  const w = new Writer();
  w.byte(OP.PROTO);
  w.byte(3);
  write(w, value, 0);
  w.byte(OP.STOP);
  return w.result();
}

/** Converts parsed JSON to a Picklable (JSON values already are, structurally). */
export function fromJson(value: unknown): Picklable {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return value;
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value === "object") {
    const out: Record<string, Picklable> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      out[key] = fromJson(item);
    return out;
  }
  return null;
}
