/** Builders of WebhookMessage fixtures. */
import { create } from "@bufbuild/protobuf";
import {
  HeaderSchema,
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../../gen/webhookconnect/v1/message_pb.js";

/** Options of makeMessage. */
export interface MessageFixture {
  readonly id?: string;
  readonly webhookId?: string;
  readonly method?: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Uint8Array | string;
  readonly attempt?: number;
  readonly traceparent?: string;
  /** Raw query of the original request, without `?`. */
  readonly query?: string;
  readonly sourceIp?: string;
  /** Scheme the receiver recorded (`WebhookMessage.scheme`). */
  readonly scheme?: string;
}

let next = 0;

/** A message with sensible defaults; every field can be set. */
export function makeMessage(fixture: MessageFixture = {}): WebhookMessage {
  const body =
    typeof fixture.body === "string"
      ? new TextEncoder().encode(fixture.body)
      : (fixture.body ?? new TextEncoder().encode('{"ok":true}'));
  return create(WebhookMessageSchema, {
    messageId: fixture.id ?? `msg-${++next}`,
    channel: "test-channel",
    webhookId: fixture.webhookId ?? "stripe",
    sequence: BigInt(next),
    deliveryAttempt: fixture.attempt ?? 1,
    method: fixture.method ?? "POST",
    path: `/webhook/${fixture.webhookId ?? "stripe"}`,
    query: fixture.query ?? "",
    sourceIp: fixture.sourceIp ?? "",
    headers: (fixture.headers ?? [["Content-Type", "application/json"]]).map(([name, value]) =>
      create(HeaderSchema, { name, value }),
    ),
    body,
    contentType: "application/json",
    traceparent: fixture.traceparent ?? "",
    scheme: fixture.scheme ?? "",
  });
}
