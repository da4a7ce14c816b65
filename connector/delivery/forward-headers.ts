/**
 * Headers of an HTTP-mode delivery: the original request headers in their
 * original order (repeated names kept), minus hop-by-hop headers, with the
 * target's configured headers and the X-Webhook-* headers added.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";

/** Headers never forwarded: hop-by-hop (RFC 9110 §7.6.1) and ones the client recomputes. */
const dropped = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "expect",
  "http2-settings",
]);

/** Headers the connector sets itself, replacing any the sender sent. */
const own = new Set([
  "x-webhook-message-id",
  "x-webhook-id",
  "x-webhook-attempt",
  "x-webhook-local-retry",
]);

/** Replaced by the connector's own when it adds the X-Forwarded-* headers. */
const forwarded = new Set(["x-forwarded-for", "x-forwarded-proto"]);

/** Options of buildForwardHeaders. */
export interface ForwardHeaderOptions {
  /**
   * Adds `X-Forwarded-For` (the message's source address) and
   * `X-Forwarded-Proto`: the scheme the receiver recorded for the message
   * (`scheme`), else — a message stored before it was recorded — this
   * value. Undefined: neither is added and any the sender sent pass
   * unchanged.
   */
  readonly forwardedProto?: string | undefined;
}

/**
 * Builds the outgoing header list as flat `[name, value, name, value, …]`,
 * the form undici sends in order without merging repeated names. The last
 * value is `X-Webhook-Local-Retry` ("0"); the deliverer overwrites it for
 * each local retry (see `LOCAL_RETRY_OFFSET`).
 */
export function buildForwardHeaders(
  message: WebhookMessage,
  targetHeaders: Readonly<Record<string, string>>,
  options: ForwardHeaderOptions = {},
): string[] {
  const replaced = new Set(Object.keys(targetHeaders).map((name) => name.toLowerCase()));
  const connectionListed = new Set<string>();
  for (const header of message.headers) {
    if (header.name.toLowerCase() !== "connection") continue;
    for (const token of header.value.split(",")) connectionListed.add(token.trim().toLowerCase());
  }
  const hasTrace = message.traceparent !== "";
  const proto =
    options.forwardedProto === undefined ? undefined : message.scheme || options.forwardedProto;
  const out: string[] = [];
  for (const { name, value } of message.headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith(":") || dropped.has(lower) || lower.startsWith("proxy-")) continue;
    if (connectionListed.has(lower) || replaced.has(lower) || own.has(lower)) continue;
    if (hasTrace && lower === "traceparent") continue;
    if (proto !== undefined && forwarded.has(lower)) continue;
    out.push(name, value);
  }
  for (const [name, value] of Object.entries(targetHeaders)) out.push(name, value);
  // Target headers win over the connector's, as they do over the sender's.
  if (proto !== undefined) {
    if (message.sourceIp !== "" && !replaced.has("x-forwarded-for")) {
      out.push("X-Forwarded-For", message.sourceIp);
    }
    if (!replaced.has("x-forwarded-proto")) out.push("X-Forwarded-Proto", proto);
  }
  out.push("X-Webhook-Message-Id", message.messageId);
  out.push("X-Webhook-Id", message.webhookId);
  out.push("X-Webhook-Attempt", String(message.deliveryAttempt));
  if (hasTrace) out.push("traceparent", message.traceparent);
  out.push("X-Webhook-Local-Retry", "0");
  return out;
}

/** Index from the end of buildForwardHeaders' list of the X-Webhook-Local-Retry value. */
export const LOCAL_RETRY_OFFSET = 1;
