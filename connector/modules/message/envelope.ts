/**
 * How output modules see a relayed message: the body decoded according to
 * the entry's `data_type`, the headers as a plain object, and the relay
 * metadata every destination with room for it stores next to the body.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";

/** The message body, decoded once per delivery. */
export type DecodedBody =
  /** A JSON document (data_type `json` and the body parsed). */
  | { readonly kind: "json"; readonly value: unknown }
  /** Valid UTF-8 text that is not JSON. */
  | { readonly kind: "text"; readonly value: string }
  /** Anything else, kept as bytes (data_type `blob`). */
  | { readonly kind: "binary"; readonly value: Uint8Array };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes the raw body. With `json` the body is parsed; a body that is not
 * JSON (the receiver only relays such bodies for `blob` entries, but a
 * connector config may differ) falls back to text, then bytes.
 */
export function decodeBody(message: WebhookMessage, dataType: "json" | "blob"): DecodedBody {
  if (dataType === "blob") return { kind: "binary", value: message.body };
  const text = decodeText(message.body);
  if (text === undefined) return { kind: "binary", value: message.body };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "text", value: text };
  }
}

/**
 * Headers as an object keyed by lower-case name. Repeated headers are joined
 * with `, ` as RFC 9110 allows for list-valued fields.
 */
export function headersObject(message: WebhookMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of message.headers) {
    const key = name.toLowerCase();
    const previous = out[key];
    out[key] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return out;
}

/** When the receiver accepted the message; the epoch when the field is absent. */
export function receivedAt(message: WebhookMessage): Date {
  return message.receivedAt === undefined ? new Date(0) : timestampDate(message.receivedAt);
}

/** Relay metadata stored next to the body wherever the destination has room for it. */
export interface RelayMetadata {
  readonly message_id: string;
  readonly webhook_id: string;
  readonly channel: string;
  readonly received_at: string;
  readonly delivery_attempt: number;
  readonly content_type: string;
}

/** The relay metadata of a message. */
export function relayMetadata(message: WebhookMessage): RelayMetadata {
  return {
    message_id: message.messageId,
    webhook_id: message.webhookId,
    channel: message.channel,
    received_at: receivedAt(message).toISOString(),
    delivery_attempt: message.deliveryAttempt,
    content_type: message.contentType,
  };
}

/**
 * The JSON document modules publish when they send "structured" output:
 * metadata, optionally the headers, and the payload (parsed JSON, text, or
 * `payload_base64` for bytes).
 */
export function relayEnvelope(
  message: WebhookMessage,
  body: DecodedBody,
  includeHeaders: boolean,
): Record<string, unknown> {
  const envelope: Record<string, unknown> = { ...relayMetadata(message) };
  if (includeHeaders) envelope["headers"] = headersObject(message);
  if (body.kind === "binary")
    envelope["payload_base64"] = Buffer.from(body.value).toString("base64");
  else envelope["payload"] = body.value;
  return envelope;
}

/**
 * What a publishing module sends: the body bytes unchanged (`raw`), or
 * the relay envelope as JSON text (`json`).
 */
export function publishPayload(
  message: WebhookMessage,
  format: "raw" | "json",
  dataType: "json" | "blob",
  includeHeaders: boolean,
): Buffer | string {
  return format === "raw"
    ? Buffer.from(message.body)
    : JSON.stringify(relayEnvelope(message, decodeBody(message, dataType), includeHeaders));
}

/** Relay metadata as header-style pairs, for destinations with message headers. */
export function relayHeaderPairs(message: WebhookMessage): Array<[string, string]> {
  return [
    ["X-Webhook-Message-Id", message.messageId],
    ["X-Webhook-Id", message.webhookId],
    ["X-Webhook-Received-At", receivedAt(message).toISOString()],
    ["X-Webhook-Attempt", String(message.deliveryAttempt)],
  ];
}
