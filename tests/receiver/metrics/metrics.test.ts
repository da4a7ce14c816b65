/**
 * `GET /metrics` of a running receiver after real traffic: every counter
 * checked against the requests sent and the buffer's own numbers.
 */
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import {
  channelDocument,
  GrpcConsumer,
  type ReceiverUnderTest,
  startUnderTest,
} from "../admin/fixture.js";
import { consumerForTest, startOnFreshSqlite } from "../admin/per-test.js";

/** The value of one sample, or undefined when it is absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      if (Object.keys(found).length === Object.keys(labels).length) return Number(match[3]);
    }
  }
  return undefined;
}

describe("/metrics", () => {
  let buffer: SqliteBuffer;
  let rx: ReceiverUnderTest;
  const channel = "metered";
  const token = `tok-${randomUUID()}`;
  const admin = `adm-${randomUUID()}`;

  beforeEach(async () => {
    ({ rx, buffer } = await startOnFreshSqlite(channelDocument(channel, token), {
      adminToken: admin,
    }));
  });

  it("uses a registry per receiver (two receivers in one process do not collide)", async () => {
    const other = await startUnderTest(channelDocument("second", "tok-2"), buffer);
    try {
      expect((await other.send("second-plain", "{}")).status).toBe(200);
      const text = await rx.metrics();
      expect(
        sample(text, "webhook_connect_ingest_requests_total", {
          webhook_id: "second-plain",
          status: "200",
        }),
      ).toBeUndefined();
      expect(
        sample(await other.metrics(), "webhook_connect_ingest_requests_total", {
          webhook_id: "second-plain",
          status: "200",
        }),
      ).toBe(1);
    } finally {
      await other.receiver.close();
    }
  });

  it("counts ingest by webhook and status, and auth failures by method", async () => {
    for (let i = 0; i < 3; i++)
      expect((await rx.send("metered-plain", `{"i":${i}}`)).status).toBe(200);
    expect((await rx.send("metered-plain", "{oops")).status).toBe(400);
    expect((await rx.sendSigned("metered-signed", "{}", "wrong-secret")).status).toBe(401);
    expect((await rx.sendSigned("metered-signed", "{}")).status).toBe(200);
    expect((await rx.send(`random-${randomUUID()}`, "{}")).status).toBe(404);
    expect((await rx.admin("GET", "/overview", { token: "wrong" })).status).toBe(401);
    const refused = new GrpcConsumer(rx.url, channel, "wrong-token");
    await expect(refused.welcome).rejects.toThrow();
    await refused.close();

    const text = await rx.metrics();
    const ingest = (webhook_id: string, status: string) =>
      sample(text, "webhook_connect_ingest_requests_total", { webhook_id, status });
    expect(ingest("metered-plain", "200")).toBe(3);
    expect(ingest("metered-plain", "400")).toBe(1);
    expect(ingest("metered-signed", "401")).toBe(1);
    expect(ingest("metered-signed", "200")).toBe(1);
    expect(ingest("_unknown", "404")).toBe(1);
    expect(
      sample(text, "webhook_connect_ingest_rejections_total", {
        webhook_id: "metered-plain",
        code: "WC_ERR_INGEST_MALFORMED_JSON",
      }),
    ).toBe(1);
    expect(sample(text, "webhook_connect_auth_failures_total", { method: "hmac" })).toBe(1);
    expect(sample(text, "webhook_connect_auth_failures_total", { method: "admin_token" })).toBe(1);
    expect(sample(text, "webhook_connect_auth_failures_total", { method: "channel_token" })).toBe(
      1,
    );
    expect(
      sample(text, "webhook_connect_publish_duration_seconds_count", {
        channel,
        outcome: "stored",
      }),
    ).toBe(4);
    expect(sample(text, "webhook_connect_queue_depth", { channel })).toBe(4);
  });

  it("counts deliveries, redeliveries, acks, nacks, dead letters and connections", async () => {
    for (let i = 0; i < 3; i++)
      expect((await rx.send("metered-plain", `{"i":${i}}`)).status).toBe(200);
    const consumer = consumerForTest(rx.url, channel, token, { maxInFlight: 10 });
    const [a, b, c] = await consumer.waitForMessages(3);
    consumer.ack(a!.messageId);
    consumer.nack(b!.messageId, false, "HTTP 400");
    consumer.nack(c!.messageId, true, "HTTP 503");
    // The retried message comes back (backoff 1 s) with delivery_attempt 2.
    const again = await consumer.waitForMessages(4);
    expect(again[3]!.deliveryAttempt).toBe(2);
    consumer.ack(again[3]!.messageId);
    await expect.poll(async () => (await buffer.stats(channel)).delivered).toBe(2);

    const text = await rx.metrics();
    const stats = await buffer.stats(channel);
    expect(sample(text, "webhook_connect_deliveries_total", { channel, protocol: "grpc" })).toBe(4);
    expect(sample(text, "webhook_connect_redeliveries_total", { channel })).toBe(1);
    expect(sample(text, "webhook_connect_acks_total", { channel, outcome: "acked" })).toBe(2);
    expect(sample(text, "webhook_connect_nacks_total", { channel, outcome: "dead_lettered" })).toBe(
      1,
    );
    expect(sample(text, "webhook_connect_nacks_total", { channel, outcome: "requeued" })).toBe(1);
    expect(sample(text, "webhook_connect_connections", { channel, protocol: "grpc" })).toBe(1);
    expect(
      sample(text, "webhook_connect_connections_opened_total", { channel, protocol: "grpc" }),
    ).toBe(1);
    expect(sample(text, "webhook_connect_delivered_total", { channel })).toBe(stats.delivered);
    expect(sample(text, "webhook_connect_dead_lettered_total", { channel })).toBe(
      stats.deadLettered,
    );
    expect(stats.deadLettered).toBe(1);
    expect(sample(text, "webhook_connect_dead_letters", { channel })).toBe(stats.deadLetterQueued);
    expect(sample(text, "webhook_connect_queue_depth", { channel })).toBe(stats.queued);
    expect(sample(text, "webhook_connect_in_flight", { channel })).toBe(stats.inFlight);
    expect(sample(text, "webhook_connect_buffer_up")).toBe(1);
  });

  it("counts expired messages from the buffer", async () => {
    const short = await startUnderTest(
      channelDocument("short", "tok-s", { ttl_seconds: 1 }),
      buffer,
    );
    try {
      expect((await short.send("short-plain", '{"stale":true}')).status).toBe(200);
      // ttl_seconds is 1: wait for the buffer itself to report the expiry.
      await expect
        .poll(async () => (await buffer.stats("short")).expired, { timeout: 5_000, interval: 200 })
        .toBe(1);
      const text = await short.metrics();
      expect(sample(text, "webhook_connect_expired_total", { channel: "short" })).toBe(1);
      expect(sample(text, "webhook_connect_queue_depth", { channel: "short" })).toBe(0);
    } finally {
      await short.receiver.close();
    }
  });
});
