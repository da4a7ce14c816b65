/** Builds the relayed WebhookMessage from an accepted request (SPEC §3.2, proto). */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Header, WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { IngestRequest } from "../auth/verifier.js";
import { newMessageId } from "./message-id.js";
import { headerPairs } from "./request.js";
import { traceparentFor } from "./traceparent.js";

/** What the message needs besides the request. */
export interface MessageContext {
  /** Channel the message is buffered in. */
  readonly channel: string;
  /** Webhook id from the path. */
  readonly webhookId: string;
  /** Channel TTL in seconds (fractions allowed). */
  readonly ttlSeconds: number;
  /** Sender address: a verifier's (trusted-proxy aware) answer, else the TCP peer. */
  readonly sourceIp: string;
}

function single(value: string | string[] | undefined): string {
  return typeof value === "string" ? value : "";
}

/**
 * A new WebhookMessage with a new time-ordered message id. The body buffer and the
 * headers are taken as received; `sequence` and `delivery_attempt` are left
 * to the buffer. Built as a literal with every field (what `create()` would
 * return, without walking the schema on each request).
 */
export function buildMessage(request: IngestRequest, context: MessageContext): WebhookMessage {
  return {
    $typeName: "webhookconnect.v1.WebhookMessage",
    messageId: newMessageId(request.receivedAt),
    channel: context.channel,
    webhookId: context.webhookId,
    receivedAt: timestampFromMs(request.receivedAt),
    expiresAt: timestampFromMs(request.receivedAt + Math.round(context.ttlSeconds * 1000)),
    sequence: 0n,
    deliveryAttempt: 0,
    method: request.method,
    path: request.path,
    query: request.query,
    headers: headerPairs(request.rawHeaders).map(
      (pair): Header => ({
        $typeName: "webhookconnect.v1.Header",
        name: pair.name,
        value: pair.value,
      }),
    ),
    body: request.body,
    contentType: single(request.headers["content-type"]),
    sourceIp: context.sourceIp,
    traceparent: traceparentFor(request.headers["traceparent"]),
  };
}
