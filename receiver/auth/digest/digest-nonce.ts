/**
 * Server-issued Digest nonces that need no shared storage: expiry time and
 * random bytes, authenticated with a key derived from the configured
 * credentials, so every receiver replica with the same config accepts the
 * nonces any of them issued.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PAYLOAD_BYTES = 8 + 16;
const MAC_BYTES = 16;

/** Issues and checks nonces. */
export interface DigestNonces {
  /** A fresh nonce valid until now + ttl. */
  issue(): string;
  /** "valid" with its expiry, "expired", or "forged" (not issued by us). */
  check(
    nonce: string,
  ):
    | { readonly state: "valid"; readonly expiresAt: number }
    | { readonly state: "expired" | "forged" };
}

/** Creates the nonce issuer of one digest_auth block. */
export function createDigestNonces(
  secretMaterial: string,
  ttlMs: number,
  now: () => number,
): DigestNonces {
  const key = createHash("sha256")
    .update("webhook-connect digest nonce\0")
    .update(secretMaterial)
    .digest();
  const mac = (payload: Buffer) =>
    createHmac("sha256", key).update(payload).digest().subarray(0, MAC_BYTES);
  return {
    issue() {
      const payload = Buffer.alloc(PAYLOAD_BYTES);
      payload.writeBigUInt64BE(BigInt(now() + ttlMs), 0);
      randomBytes(16).copy(payload, 8);
      return Buffer.concat([payload, mac(payload)]).toString("base64url");
    },
    check(nonce) {
      if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return { state: "forged" };
      const raw = Buffer.from(nonce, "base64url");
      if (raw.length !== PAYLOAD_BYTES + MAC_BYTES) return { state: "forged" };
      const payload = raw.subarray(0, PAYLOAD_BYTES);
      if (!timingSafeEqual(raw.subarray(PAYLOAD_BYTES), mac(payload))) return { state: "forged" };
      const expiresAt = Number(payload.readBigUInt64BE(0));
      return expiresAt > now() ? { state: "valid", expiresAt } : { state: "expired" };
    },
  };
}
