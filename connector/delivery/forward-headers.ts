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
const own = new Set(["x-webhook-message-id", "x-webhook-id", "x-webhook-attempt"]);

/**
 * Builds the outgoing header list as flat `[name, value, name, value, …]`,
 * the form undici sends in order without merging repeated names.
 */
export function buildForwardHeaders(
  message: WebhookMessage,
  targetHeaders: Readonly<Record<string, string>>,
): string[] {
  const replaced = new Set(Object.keys(targetHeaders).map((name) => name.toLowerCase()));
  const connectionListed = new Set<string>();
  for (const header of message.headers) {
    if (header.name.toLowerCase() !== "connection") continue;
    for (const token of header.value.split(",")) connectionListed.add(token.trim().toLowerCase());
  }
  const hasTrace = message.traceparent !== "";
  const out: string[] = [];
  for (const { name, value } of message.headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith(":") || dropped.has(lower) || lower.startsWith("proxy-")) continue;
    if (connectionListed.has(lower) || replaced.has(lower) || own.has(lower)) continue;
    if (hasTrace && lower === "traceparent") continue;
    out.push(name, value);
  }
  for (const [name, value] of Object.entries(targetHeaders)) out.push(name, value);
  out.push("X-Webhook-Message-Id", message.messageId);
  out.push("X-Webhook-Id", message.webhookId);
  out.push("X-Webhook-Attempt", String(message.deliveryAttempt));
  if (hasTrace) out.push("traceparent", message.traceparent);
  return out;
}
