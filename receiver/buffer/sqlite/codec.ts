/**
 * Storage form of a message: the protobuf bytes of the WebhookMessage as
 * accepted, with sequence and delivery attempt left out (they are not
 * known at ingest, and the attempt changes per delivery). A delivery is the
 * stored bytes with those two fields appended (wire/delivery-fields.ts).
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { decodeWebhookMessage, encodeWebhookMessage } from "../../../wire/index.js";

/** Encodes a message for storage, with `expiresAt` set to `expiresAtMs`. */
export function encodeMessage(message: WebhookMessage, expiresAtMs: number): Uint8Array {
  return encodeWebhookMessage(message, {
    sequence: 0n,
    deliveryAttempt: 0,
    expiresAt: message.expiresAt ?? timestampFromMs(expiresAtMs),
  });
}

/** Decodes a stored message and fills in its sequence and delivery attempt. */
export function decodeMessage(data: Uint8Array, sequence: number, attempt: number): WebhookMessage {
  // `body` comes back as a plain Uint8Array view of `data`, not a Node Buffer.
  const message = decodeWebhookMessage(data);
  message.sequence = BigInt(sequence);
  message.deliveryAttempt = attempt;
  return message;
}

/** Expiry of a message: its own `expiresAt`, else `now + ttl`. */
export function expiryOf(message: WebhookMessage, now: number, ttlSeconds: number): number {
  return message.expiresAt === undefined
    ? now + Math.round(ttlSeconds * 1000)
    : timestampMs(message.expiresAt);
}

/** Re-encodes stored bytes with a new expiry (used when a dead letter is replayed). */
export function withExpiry(data: Uint8Array, expiresAtMs: number): Uint8Array {
  const message = decodeMessage(data, 0, 0);
  return encodeWebhookMessage(message, { expiresAt: timestampFromMs(expiresAtMs) });
}
