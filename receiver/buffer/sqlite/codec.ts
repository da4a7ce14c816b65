/**
 * Storage form of a message: the protobuf bytes of the WebhookMessage as
 * accepted, with sequence and delivery attempt left out (they are not
 * known at ingest, and the attempt changes per delivery). A delivery is the
 * stored bytes with those two fields appended: protobuf allows fields in
 * any order, so the stored bytes go to the wire as they are.
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { decodeWebhookMessage, encodeWebhookMessage } from "../../codec/webhook-message.js";

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

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/**
 * The delivery form of stored bytes: `stored` followed by `sequence`
 * (field 6) and `delivery_attempt` (field 7). Decoders take the appended
 * values, as for any protobuf field written after the others.
 */
export function withDeliveryFields(stored: Uint8Array, sequence: number, attempt: number): Buffer {
  const out = Buffer.allocUnsafe(
    stored.byteLength + 2 + varintSize(sequence) + varintSize(attempt),
  );
  out.set(stored, 0);
  let at = stored.byteLength;
  out[at++] = (6 << 3) | 0;
  at = writeVarint(out, at, sequence);
  out[at++] = (7 << 3) | 0;
  writeVarint(out, at, attempt);
  return out;
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
