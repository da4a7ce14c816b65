/**
 * The `v0` request signature Slack and Zoom share: `v0=` + hex
 * HMAC-SHA256 of `v0:{timestamp}:{raw body}`, with the timestamp (Unix
 * seconds) in its own header and a replay window.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IngestRequest } from "../auth/index.js";

/** Where a provider puts its v0 signature and timestamp (lower-case header names). */
export interface V0Headers {
  readonly signature: string;
  readonly timestamp: string;
}

/** Keys and the replay window a v0 signature is checked with. */
export interface V0Verification {
  /** Secrets as bytes, in configured order (several during a rotation). */
  readonly keys: readonly Buffer[];
  /** Oldest (and furthest in the future) accepted timestamp, seconds, against the receive time. */
  readonly toleranceSeconds: number;
}

const SIGNATURE = /^v0=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,12}$/;

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value.trim() : undefined;
}

/**
 * The key that signed `request`, or undefined when the signature is missing,
 * malformed, stale or made with none of the keys. Every key is tried so the
 * time taken does not depend on which one matched.
 */
export function verifyV0Signature(
  request: IngestRequest,
  headers: V0Headers,
  verification: V0Verification,
): Buffer | undefined {
  const signature = SIGNATURE.exec(single(request.headers[headers.signature]) ?? "");
  const timestamp = single(request.headers[headers.timestamp]);
  if (signature === null || timestamp === undefined || !TIMESTAMP.test(timestamp)) return undefined;
  const skewSeconds = Math.abs(request.receivedAt / 1000 - Number(timestamp));
  if (!(skewSeconds <= verification.toleranceSeconds)) return undefined;
  const received = Buffer.from(signature[1]!, "hex");
  let matched: Buffer | undefined;
  for (const key of verification.keys) {
    const expected = createHmac("sha256", key)
      .update(`v0:${timestamp}:`)
      .update(request.body)
      .digest();
    if (timingSafeEqual(received, expected) && matched === undefined) matched = key;
  }
  return matched;
}
