/**
 * Protobuf wire primitives shared by the direct encoders: varint sizes,
 * UTF-8 lengths measured in JS for short strings, and a writer over one
 * preallocated buffer.
 */

/** Bytes of `value` as an unsigned varint (0 ≤ value < 2^53). */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Writes `value` as an unsigned varint at `at` (0 ≤ value < 2^53); returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/** Bytes of a 64-bit two's-complement varint of `value`. */
export function bigVarintSize(value: bigint): number {
  let rest = BigInt.asUintN(64, value);
  let size = 1;
  while (rest >= 0x80n) {
    size++;
    rest >>= 7n;
  }
  return size;
}

/**
 * UTF-8 length of `value`. Short strings are measured in JS (cheaper than a
 * call into C++ for the ids and header names that make up most fields).
 */
export function utf8Length(value: string): number {
  const length = value.length;
  if (length > 64) return Buffer.byteLength(value, "utf8");
  for (let i = 0; i < length; i++) {
    if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value, "utf8");
  }
  return length;
}

/** A signed int32/int64 varint size: negatives take 10 bytes. */
export function signedSize(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

export class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  byte(value: number): void {
    this.buf[this.pos++] = value;
  }

  varint(value: number): void {
    const buf = this.buf;
    while (value >= 0x80) {
      buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[this.pos++] = value;
  }

  bigVarint(value: bigint): void {
    let rest = BigInt.asUintN(64, value);
    while (rest >= 0x80n) {
      this.buf[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buf[this.pos++] = Number(rest);
  }

  signed(value: number): void {
    if (value >= 0) this.varint(value);
    else this.bigVarint(BigInt(value));
  }

  string(value: string, byteLength: number): void {
    this.varint(byteLength);
    if (byteLength === value.length && byteLength <= 64) {
      // ASCII (utf8Length measured it so): copy the code units directly.
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < byteLength; i++) buf[pos++] = value.charCodeAt(i);
      this.pos = pos;
      return;
    }
    this.pos += this.buf.write(value, this.pos, byteLength, "utf8");
  }

  bytes(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }
}
