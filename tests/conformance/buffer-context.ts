/**
 * Fixtures and helpers shared by the buffer conformance cases: a unique
 * channel per call, messages with every field set, and fetch shortcuts.
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../gen/webhookconnect/v1/message_pb.js";
import {
  type Buffer,
  type BufferFeatures,
  type ChannelSettings,
  DEFAULT_GROUP,
  type Delivery,
  type FetchRequest,
} from "../../receiver/buffer/buffer.js";

/** What a conformance case gets to work with. */
export interface ConformanceContext {
  /** Features the backend declared. */
  readonly features: BufferFeatures;
  /** The backend under test (fresh for every test). */
  buffer(): Buffer;
  /** Creates a channel with a name unique to this run, overriding the test defaults. */
  channel(overrides?: Partial<Omit<ChannelSettings, "name">>): Promise<ChannelSettings>;
  /** A key for getState/setState unique to this run. */
  stateKey(): string;
  /**
   * Closes the backend and reopens it over the same storage, then ensures
   * every channel of the test again, as a receiver does at start-up.
   */
  restart(): Promise<Buffer>;
}

/** Channel settings the cases start from: long TTL and lease, generous limits. */
export const TEST_CHANNEL_DEFAULTS: Omit<ChannelSettings, "name"> = Object.freeze({
  ttlSeconds: 3600,
  maxQueueSize: 10_000,
  maxConnections: 10,
  maxInFlight: 100,
  ackTimeoutSeconds: 30,
  maxDeliveryAttempts: 10,
  maxMessageBytes: 10 * 1024 * 1024,
  ordered: false,
});

/** A JSON webhook as the receiver would build it, ready to publish to `channel`. */
export function testMessage(
  channel: ChannelSettings,
  overrides: Partial<Pick<WebhookMessage, "messageId" | "body" | "webhookId">> = {},
): WebhookMessage {
  const receivedAt = Date.now();
  const body = overrides.body ?? new TextEncoder().encode(`{"id":"${randomUUID()}"}`);
  return create(WebhookMessageSchema, {
    messageId: overrides.messageId ?? randomUUID(),
    channel: channel.name,
    webhookId: overrides.webhookId ?? "conformance",
    receivedAt: timestampFromMs(receivedAt),
    expiresAt: timestampFromMs(receivedAt + Math.round(channel.ttlSeconds * 1000)),
    method: "POST",
    path: `/webhook/${overrides.webhookId ?? "conformance"}`,
    query: "",
    headers: [{ name: "Content-Type", value: "application/json" }],
    body,
    contentType: "application/json",
    sourceIp: "127.0.0.1",
  });
}

/** Bytes that are not valid UTF-8 and contain NULs, to catch any text conversion. */
export const BINARY_BODY = new Uint8Array([
  0x00, 0xff, 0xfe, 0x80, 0x7b, 0x22, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf8, 0x0a, 0x0d, 0x00,
]);

/** A message with every field set to something a lossy backend would change. */
export function fullMessage(channel: ChannelSettings): WebhookMessage {
  const receivedAt = Date.now();
  return create(WebhookMessageSchema, {
    messageId: randomUUID(),
    channel: channel.name,
    webhookId: "stripe.payments-1",
    receivedAt: { seconds: BigInt(Math.floor(receivedAt / 1000)), nanos: 123_456_789 },
    expiresAt: timestampFromMs(receivedAt + Math.round(channel.ttlSeconds * 1000)),
    method: "PATCH",
    path: "/webhook/stripe.payments-1",
    query: "b=2&a=1&a=%00&empty=&utf8=%C3%A9",
    headers: [
      { name: "Content-Type", value: "application/octet-stream" },
      { name: "X-Repeated", value: "first" },
      { name: "x-repeated", value: "second" },
      { name: "Stripe-Signature", value: "t=1700000000,v1=abc,v0=def" },
      { name: "X-Empty", value: "" },
      { name: "X-Unicode", value: "héllo ✓" },
    ],
    body: BINARY_BODY,
    contentType: "application/octet-stream",
    sourceIp: "2001:db8::1",
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
}

/** A fetch request with test defaults: default group, consumer `c1`, max 100, no wait. */
export function fetchRequest(
  channel: ChannelSettings,
  overrides: Partial<FetchRequest> = {},
): FetchRequest {
  return {
    channel: channel.name,
    group: DEFAULT_GROUP,
    consumerId: "c1",
    max: 100,
    waitMs: 0,
    ...overrides,
  };
}

/** Message ids of deliveries, in the order received. */
export function idsOf(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((delivery) => delivery.message.messageId);
}

/** Publishes `count` messages one after another; returns them in ingest order. */
export async function publishMany(
  buffer: Buffer,
  channel: ChannelSettings,
  count: number,
): Promise<WebhookMessage[]> {
  const messages: WebhookMessage[] = [];
  for (let index = 0; index < count; index++) {
    const message = testMessage(channel);
    await buffer.publish(channel.name, message);
    messages.push(message);
  }
  return messages;
}

/** Resolves once the wall clock shows a later millisecond than when called. */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets time pass on the real clock (for TTLs; never used to wait for an event). */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A run-unique name prefix, so backends sharing a server do not collide. */
export const RUN_ID = randomUUID().slice(0, 8);
