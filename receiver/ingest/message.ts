/** The relayed message of an accepted request (SPEC §3.2, proto). */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Header, WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { IngestedFields } from "../../wire/index.js";
import type { IngestRequest } from "../auth/index.js";
import { newMessageId } from "./message-id.js";
import { headerPairs } from "./request.js";
import { traceparentFor } from "./traceparent.js";

function single(value: string | string[] | undefined): string {
  return typeof value === "string" ? value : "";
}

/**
 * The fields of a new message: a new time-ordered id, the request as
 * received, the expiry from the channel's TTL, the trace context and the
 * scheme the sender used.
 */
export function storedMessage(
  request: IngestRequest,
  channel: { readonly name: string; readonly ttlSeconds: number },
  webhookId: string,
  sourceIp: string,
  scheme: string,
): IngestedFields {
  return {
    messageId: newMessageId(request.receivedAt),
    channel: channel.name,
    webhookId,
    receivedAtMs: request.receivedAt,
    expiresAtMs: request.receivedAt + Math.round(channel.ttlSeconds * 1000),
    method: request.method,
    path: request.path,
    query: request.query,
    rawHeaders: request.rawHeaders,
    body: request.body,
    contentType: single(request.headers["content-type"]),
    sourceIp,
    traceparent: traceparentFor(request.headers["traceparent"]),
    scheme,
  };
}

/**
 * The WebhookMessage of `fields`, for backends that store messages rather
 * than their bytes (and for tests): `encodeIngestedMessage(fields)` is its
 * stored form. `sequence` and `delivery_attempt` are left to the buffer.
 * Built as a literal with every field (what `create()` would return,
 * without walking the schema).
 */
export function buildMessage(fields: IngestedFields): WebhookMessage {
  return {
    $typeName: "webhookconnect.v1.WebhookMessage",
    messageId: fields.messageId,
    channel: fields.channel,
    webhookId: fields.webhookId,
    receivedAt: timestampFromMs(fields.receivedAtMs),
    expiresAt: timestampFromMs(fields.expiresAtMs),
    sequence: 0n,
    deliveryAttempt: 0,
    method: fields.method,
    path: fields.path,
    query: fields.query,
    headers: headerPairs(fields.rawHeaders).map(
      (pair): Header => ({
        $typeName: "webhookconnect.v1.Header",
        name: pair.name,
        value: pair.value,
      }),
    ),
    body: fields.body,
    contentType: fields.contentType,
    sourceIp: fields.sourceIp,
    traceparent: fields.traceparent,
    scheme: fields.scheme,
  };
}
