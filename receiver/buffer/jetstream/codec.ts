/**
 * Wire forms in the streams: a message is its protobuf binary (body bytes
 * exact); a dead letter is the message's binary plus `Wc-*` headers with
 * the group, reason, attempts and timestamps; a replayed message carries
 * `Wc-Target-Group` so only that group processes it.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { decodeWebhookMessage, encodeWebhookMessage } from "../../../wire/index.js";
import type { DeadLetter } from "../buffer.js";

/** Header naming the only group a replayed message is for. */
export const TARGET_GROUP_HEADER = "Wc-Target-Group";

/** Encodes a message for storage. */
export function encodeMessage(message: WebhookMessage): Uint8Array {
  return encodeWebhookMessage(message);
}

/**
 * Decodes a stored message. The payload is copied into a plain Uint8Array
 * first: `bytes` fields are views of the input, and the client hands out
 * Node Buffers, which must not leak into messages.
 */
export function decodeMessage(data: Uint8Array): WebhookMessage {
  return decodeWebhookMessage(new Uint8Array(data));
}

/** Expiry of a message in ms since epoch, or undefined when it has none. */
export function expiresAtMs(message: WebhookMessage): number | undefined {
  return message.expiresAt === undefined ? undefined : timestampMs(message.expiresAt);
}

/** Headers of a dead letter. */
export function deadLetterHeaders(
  letter: Omit<DeadLetter, "message">,
  messageId: string,
): Record<string, string> {
  return {
    "Wc-Message-Id": encodeURIComponent(messageId),
    "Wc-Group": encodeURIComponent(letter.group),
    "Wc-Reason": encodeURIComponent(letter.reason),
    "Wc-Attempts": String(letter.attempts),
    "Wc-First-Failed-At": String(letter.firstFailedAt),
    "Wc-Dead-Lettered-At": String(letter.deadLetteredAt),
  };
}

/** Reads a dead letter back from its payload and headers. */
export function decodeDeadLetter(
  data: Uint8Array,
  headers: ReadonlyMap<string, string>,
): DeadLetter {
  const text = (name: string) => decodeURIComponent(headers.get(name) ?? "");
  const num = (name: string) => Number(headers.get(name) ?? "0");
  return {
    message: decodeMessage(data),
    group: text("Wc-Group"),
    reason: text("Wc-Reason"),
    attempts: num("Wc-Attempts"),
    firstFailedAt: num("Wc-First-Failed-At"),
    deadLetteredAt: num("Wc-Dead-Lettered-At"),
  };
}

/** Message id of a dead letter from its headers, without decoding the payload. */
export function deadLetterMessageId(headers: ReadonlyMap<string, string>): string {
  return decodeURIComponent(headers.get("Wc-Message-Id") ?? "");
}
