/** Constant-time token comparison (SPEC §3.3: every secret comparison is constant-time). */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in time independent of where they differ and of the
 * length of the candidate: both sides are hashed to equal-length digests first.
 */
export function secretsEqual(candidate: string, expected: string): boolean {
  const a = createHash("sha256").update(candidate, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b) && candidate.length === expected.length;
}

/** SHA-256 of a secret, for comparing one candidate against many stored secrets. */
export function secretDigest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/**
 * Constant-time comparison of two digests made by `secretDigest` (equal
 * digests mean equal secrets, short of a SHA-256 collision).
 */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

/** Extracts the token of an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (header === null || header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
