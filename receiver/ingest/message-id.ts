/**
 * Message ids: UUIDv7 (RFC 9562), so ids are time-ordered. Still unique and
 * opaque to users, but any index kept on them grows at its right edge
 * instead of touching a random page per message. Within one millisecond a
 * counter in `rand_a` keeps the ids of this process increasing
 * (RFC 9562 §6.2, method 1); the other 62 bits are random.
 */
import { randomBytes } from "node:crypto";

const POOL_BYTES = 8 * 256;
let pool = randomBytes(POOL_BYTES);
let offset = 0;
let lastMs = 0;
let counter = 0;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += HEX[bytes[i]!]!;
  return out;
}

/** A new UUIDv7 string, e.g. `0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b`. */
export function newMessageId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // More than 4,096 ids in one millisecond: borrow the next one.
    lastMs++;
    counter = 0;
  }
  if (offset + 8 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const random = pool;
  const at = offset;
  offset += 8;
  const ms = lastMs;
  const high = Math.floor(ms / 0x1000000);
  const low = ms % 0x1000000;
  const time = (high >>> 0).toString(16).padStart(6, "0") + low.toString(16).padStart(6, "0");
  const randA = (0x7000 | counter).toString(16);
  // Variant bits 10xx in the top of byte 8.
  const variant = HEX[(random[at]! & 0x3f) | 0x80]! + HEX[random[at + 1]!]!;
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-${randA}-${variant}-${hex(random, at + 2, at + 8)}`;
}
