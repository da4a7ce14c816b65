/**
 * W3C Trace Context `traceparent` handling: a valid incoming header is kept
 * as sent, otherwise a new trace is started for the message.
 */
import { randomBytes } from "node:crypto";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * true when `value` is a valid traceparent: version `00` with exactly four
 * fields, or a later version (not `ff`) with possibly more; trace and
 * parent ids not all zeros; lower-case hex only.
 */
export function isValidTraceparent(value: string): boolean {
  const match = TRACEPARENT.exec(value);
  if (match === null) return false;
  const [, version, traceId, parentId, , rest] = match;
  if (version === "ff") return false;
  if (version === "00" && rest !== undefined) return false;
  return !/^0+$/.test(traceId!) && !/^0+$/.test(parentId!);
}

/** Random bytes are drawn from a pool: one system call per 170 traceparents, not two each. */
const POOL_BYTES = 24 * 170;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

function take24(): Buffer {
  if (offset + 24 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 24);
  offset += 24;
  return bytes;
}

/** A new traceparent (version 00, random ids, sampled). */
export function newTraceparent(): string {
  const bytes = take24();
  return `00-${bytes.toString("hex", 0, 16)}-${bytes.toString("hex", 16, 24)}-01`;
}

/** The incoming traceparent when it is a single valid value, else a new one. */
export function traceparentFor(header: string | string[] | undefined): string {
  return typeof header === "string" && isValidTraceparent(header) ? header : newTraceparent();
}
