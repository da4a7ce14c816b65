/**
 * Constant-time comparisons. Every secret comparison of the auth room goes
 * through here so no check leaks how much of a guess was right.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

// Per-process key: hashing both sides with it gives equal-length inputs to
// timingSafeEqual and hides the length of the configured secret.
const comparisonKey = randomBytes(32);

function fingerprint(value: string | Uint8Array): Buffer {
  return createHmac("sha256", comparisonKey).update(value).digest();
}

/**
 * Compares a received credential with the configured secret in constant time,
 * without revealing the secret's length.
 */
export function secretEquals(
  received: string | Uint8Array,
  expected: string | Uint8Array,
): boolean {
  return timingSafeEqual(fingerprint(received), fingerprint(expected));
}

/**
 * Compares two digests (e.g. a decoded signature with the computed one).
 * Digest lengths are public (fixed by the algorithm), so a length mismatch
 * returns false at once; equal lengths are compared in constant time.
 */
export function digestEquals(received: Uint8Array, expected: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}
