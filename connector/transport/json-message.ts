/**
 * Reads the JSON webhook frame of the WebSocket/SSE/long-poll transports
 * (docs/protocol.md) back into a WebhookMessage. `body_base64` carries the
 * exact bytes; frames of older servers without it fall back to `payload`.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../gen/webhookconnect/v1/message_pb.js";
import { ProtocolError } from "../errors.js";

function str(frame: Record<string, unknown>, name: string): string {
  const value = frame[name];
  return typeof value === "string" ? value : "";
}

function timestampOf(value: unknown) {
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : timestampFromDate(date);
}

function headersOf(frame: Record<string, unknown>): { name: string; value: string }[] {
  const list = frame["header_list"];
  if (Array.isArray(list)) {
    return list
      .filter((pair): pair is [string, string] => Array.isArray(pair) && pair.length === 2)
      .map(([name, value]) => ({ name: String(name), value: String(value) }));
  }
  const object = frame["headers"];
  if (typeof object !== "object" || object === null) return [];
  return Object.entries(object as Record<string, unknown>).map(([name, value]) => ({
    name,
    value: String(value),
  }));
}

function bodyOf(frame: Record<string, unknown>): Uint8Array {
  const base64 = frame["body_base64"];
  if (typeof base64 === "string") return new Uint8Array(Buffer.from(base64, "base64"));
  const payload = frame["payload"];
  if (payload === undefined || payload === null) return new Uint8Array();
  return new Uint8Array(
    Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8"),
  );
}

/** Converts a `webhook` frame; throws ProtocolError without a message_id. */
export function messageFromJson(frame: Record<string, unknown>): WebhookMessage {
  const messageId = str(frame, "message_id");
  if (messageId === "") throw new ProtocolError("webhook frame without message_id");
  const sequence = frame["sequence"];
  const attempt = frame["delivery_attempt"];
  const receivedAt = timestampOf(frame["received_at"] ?? frame["timestamp"]);
  const expiresAt = timestampOf(frame["expires_at"]);
  return create(WebhookMessageSchema, {
    messageId,
    channel: str(frame, "channel"),
    webhookId: str(frame, "webhook_id"),
    ...(receivedAt === undefined ? {} : { receivedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    sequence:
      typeof sequence === "number" && Number.isSafeInteger(sequence) ? BigInt(sequence) : 0n,
    deliveryAttempt: typeof attempt === "number" && attempt > 0 ? attempt : 1,
    method: str(frame, "method") || "POST",
    path: str(frame, "path"),
    query: str(frame, "query"),
    headers: headersOf(frame),
    body: bodyOf(frame),
    contentType: str(frame, "content_type"),
    sourceIp: str(frame, "source_ip"),
    traceparent: str(frame, "traceparent"),
    scheme: str(frame, "scheme"),
  });
}
