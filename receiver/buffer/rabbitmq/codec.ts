/**
 * What a stored message carries: the body is the protobuf WebhookMessage
 * in its stored form (sequence and attempt unset, body bytes exact); the
 * AMQP message id is its `message_id`; `wc-*` headers hold what the buffer
 * needs without decoding it. A dead letter is the same body with the group,
 * reason, attempts and timestamps added as headers.
 */
import type { Message, MessageProperties } from "amqplib";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { decodeWebhookMessage } from "../../../wire/index.js";
import type { DeadLetter } from "../buffer.js";

/** Headers of a stored message. */
export interface StoredHeaders {
  /** Channel sequence. */
  readonly sequence: bigint;
  /** When it was received (ms since epoch). */
  readonly receivedAt: number;
  /** When it expires (ms since epoch). */
  readonly expiresAt: number;
  /** Deliveries made before this copy was published (retries, give-backs). */
  readonly priorAttempts: number;
}

type Headers = Record<string, unknown>;

function headersOf(properties: MessageProperties): Headers {
  return (properties.headers ?? {}) as Headers;
}

function num(value: unknown): number {
  const parsed = typeof value === "number" ? value : Number(String(value ?? "0"));
  return Number.isFinite(parsed) ? parsed : 0;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

/** The AMQP headers of a stored message. */
export function storedHeaders(stored: StoredHeaders): Headers {
  return {
    "wc-seq": stored.sequence.toString(),
    "wc-received": stored.receivedAt,
    "wc-expires": stored.expiresAt,
    ...(stored.priorAttempts > 0 ? { "wc-attempts": stored.priorAttempts } : {}),
  };
}

/** Reads the headers of a stored message. */
export function readStored(message: Message): StoredHeaders {
  const headers = headersOf(message.properties);
  const seq = text(headers["wc-seq"]);
  return {
    sequence: /^\d+$/.test(seq) ? BigInt(seq) : 0n,
    receivedAt: num(headers["wc-received"]),
    expiresAt: num(headers["wc-expires"]),
    priorAttempts: num(headers["wc-attempts"]),
  };
}

/**
 * Deliveries of this copy the broker counted as failed: quorum queues keep
 * `x-delivery-count`; classic queues only say whether it was redelivered.
 */
export function brokerRedeliveries(message: Message): number {
  const count = headersOf(message.properties)["x-delivery-count"];
  if (count !== undefined) return num(count);
  return message.fields.redelivered ? 1 : 0;
}

/** Message id of a stored message or dead letter. */
export function messageIdOf(message: Message): string {
  return text(message.properties.messageId);
}

/**
 * Decodes a stored message. The payload is copied into a plain Uint8Array
 * first: `bytes` fields are views of the input, and the client hands out
 * Node Buffers, which must not leak into messages.
 */
export function decodeStored(content: Uint8Array): WebhookMessage {
  return decodeWebhookMessage(new Uint8Array(content));
}

/** Headers of a dead letter: the stored ones plus why and when. */
export function deadLetterHeaders(
  stored: StoredHeaders,
  letter: Omit<DeadLetter, "message">,
): Headers {
  return {
    ...storedHeaders({ ...stored, priorAttempts: 0 }),
    "wc-group": letter.group,
    "wc-reason": letter.reason,
    "wc-dead-attempts": letter.attempts,
    "wc-first-failed": letter.firstFailedAt,
    "wc-dead-lettered-at": letter.deadLetteredAt,
  };
}

/** Reads a dead letter's details (without its message). */
export function readDeadLetter(message: Message): Omit<DeadLetter, "message"> {
  const headers = headersOf(message.properties);
  return {
    group: text(headers["wc-group"]),
    reason: text(headers["wc-reason"]),
    attempts: num(headers["wc-dead-attempts"]),
    firstFailedAt: num(headers["wc-first-failed"]),
    deadLetteredAt: num(headers["wc-dead-lettered-at"]),
  };
}

/** The group queue an expired message came from (the newest `x-death` entry). */
export function expiredFromQueue(message: Message): string {
  const deaths = headersOf(message.properties)["x-death"];
  if (!Array.isArray(deaths) || deaths.length === 0) return "";
  return text((deaths[0] as Headers)["queue"]);
}
