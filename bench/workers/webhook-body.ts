/**
 * The benchmark webhook: a JSON body of a fixed size whose first fields are
 * the send time and a unique id, so the target can compute end-to-end
 * latency and count distinct messages without parsing the whole body.
 */
import { createHmac } from "node:crypto";
import type { SigningOptions } from "./api.js";

/** Milliseconds since the epoch with sub-millisecond resolution (same clock in every process). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const padCache = new Map<number, string>();

function pad(length: number): string {
  let cached = padCache.get(length);
  if (cached === undefined) {
    cached = "x".repeat(Math.max(0, length));
    padCache.set(length, cached);
  }
  return cached;
}

/** Builds one body of `size` bytes (or slightly more when the header alone is longer). */
export function webhookBody(id: string, size: number): Buffer {
  const head = `{"sent_at":${nowMs().toFixed(3)},"id":"${id}","type":"bench.event","data":{"pad":"`;
  const tail = `"}}`;
  return Buffer.from(head + pad(size - head.length - tail.length) + tail, "latin1");
}

/** Request headers of one webhook, with the HMAC signature when signing. */
export function webhookHeaders(
  body: Buffer,
  signing: SigningOptions | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signing !== undefined) {
    headers[signing.header] = createHmac("sha256", signing.secret).update(body).digest("hex");
  }
  return headers;
}

const BODY_PREFIX = /^\{"sent_at":([0-9.]+),"id":"([^"]+)"/;

/** Reads `sent_at` and `id` from the start of a benchmark body; undefined for other bodies. */
export function parseWebhookBody(
  body: Buffer,
): { readonly sentAt: number; readonly id: string } | undefined {
  const match = BODY_PREFIX.exec(body.toString("latin1", 0, Math.min(body.length, 96)));
  if (match === null) return undefined;
  return { sentAt: Number(match[1]), id: match[2]! };
}
