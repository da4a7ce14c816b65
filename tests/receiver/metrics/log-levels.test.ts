import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { WebhookMessageSchema } from "../../../gen/webhookconnect/v1/message_pb.js";
import type { ConnectionInfo } from "../../../receiver/channels/index.js";
import type { IngestEvent } from "../../../receiver/ingest/index.js";
import {
  acceptedLogLine,
  bufferLogRecord,
  ingestLogRecord,
  REDACTED_KEYS,
  sessionLogLevel,
  sessionLogRecord,
} from "../../../receiver/metrics/index.js";
import type { SessionEvent } from "../../../receiver/stream/session.js";

const info = {
  id: "conn",
  channel: "ch",
  group: "default",
  connectorId: "c",
  protocol: "grpc",
  maxInFlight: 10,
  connectedAt: 0,
  remoteAddress: "127.0.0.1",
} as ConnectionInfo;

const events: SessionEvent[] = [
  { type: "opened", info },
  { type: "closed", info, reason: "bye" },
  {
    type: "delivered",
    info,
    delivery: {
      messageId: "m",
      deliveryAttempt: 1,
      message: create(WebhookMessageSchema, { messageId: "m", deliveryAttempt: 1 }),
      group: "default",
      leaseExpiresAt: 0,
    },
  },
  ...(["acked", "not_found", "requeued", "dead_lettered", "error"] as const).map(
    (outcome): SessionEvent => ({ type: "settled", info, messageId: "m", action: "ack", outcome }),
  ),
];

describe("session log levels", () => {
  it("are known before the record is built, and match it", () => {
    expect(events.map(sessionLogLevel)).toEqual([
      "info",
      "info",
      "debug",
      "debug",
      "debug",
      "debug",
      "warn",
      "warn",
    ]);
    for (const event of events) expect(sessionLogRecord(event).level).toBe(sessionLogLevel(event));
  });
});

describe("plain (unredacted) log records", () => {
  const accepted: IngestEvent = {
    type: "accepted",
    requestId: "req",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    webhookId: "hook",
    channel: "ch",
    messageId: "m",
    sequence: 7n,
    bytes: 12,
    sourceIp: "203.0.113.9",
    durationMs: 1.234,
  };

  it("are only the accepted access line, whose fields are flat and never a redacted key", () => {
    const record = ingestLogRecord(accepted);
    expect(record.plain).toBe(true);
    for (const [key, value] of Object.entries(record.fields)) {
      expect(REDACTED_KEYS as readonly string[]).not.toContain(key);
      expect(["string", "number", "undefined"]).toContain(typeof value);
    }
  });

  it("never mark rejections, aborts or session events", () => {
    const rejected = ingestLogRecord({
      type: "rejected",
      requestId: "req",
      webhookId: "hook",
      channel: "ch",
      code: "WC_ERR_INGEST_SCHEMA",
      status: 422,
      reason: "bad signature",
      verifier: "hmac",
      cause: undefined,
      durationMs: 1,
    });
    const aborted = ingestLogRecord({
      type: "aborted",
      requestId: "req",
      webhookId: "hook",
      reason: "client went away",
      durationMs: 1,
    });
    expect([rejected, aborted, ...events.map(sessionLogRecord)].map((r) => r.plain)).toEqual(
      Array(2 + events.length).fill(undefined),
    );
  });
});

describe("the handshake record", () => {
  it("names the webhook, channel and provider at info level", () => {
    expect(
      ingestLogRecord({
        type: "handshake",
        requestId: "req-2",
        webhookId: "slack_events",
        channel: "slack",
        provider: "slack",
        durationMs: 1.23456,
      }),
    ).toEqual({
      level: "info",
      msg: "handshake answered",
      fields: {
        request_id: "req-2",
        webhook_id: "slack_events",
        channel: "slack",
        provider: "slack",
        duration_ms: expect.any(Number),
      },
    });
  });
});

describe("the accepted access line", () => {
  const event = {
    type: "accepted" as const,
    requestId: "req-1",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    webhookId: "stripe.payments-1",
    channel: "pay",
    messageId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    sequence: 12345678901n,
    bytes: 1024,
    sourceIp: '2001:db8::1 "quoted"',
    durationMs: 1.23456,
  };

  it("is the line pino writes for the same record, field for field", () => {
    const lines: string[] = [];
    const logger = pino(
      { base: { service: "webhook-connect-receiver" }, timestamp: () => ',"time":1700000000000' },
      { write: (line: string) => lines.push(line) },
    );
    const record = ingestLogRecord(event);
    logger.info(record.fields, record.msg);
    const fast = acceptedLogLine(event, 1_700_000_000_000, "webhook-connect-receiver");
    expect(fast.endsWith("\n")).toBe(true);
    expect(fast).toBe(lines[0]);
    expect(JSON.parse(fast)).toEqual(JSON.parse(lines[0]!));
  });
});

describe("buffer log records", () => {
  it("says what happened to the backend, at a level an operator alerts on", () => {
    expect(bufferLogRecord({ type: "disconnected" }, "nats")).toMatchObject({
      level: "warn",
      fields: { buffer: "nats" },
    });
    expect(bufferLogRecord({ type: "reconnected" }, "nats")).toMatchObject({
      level: "info",
      msg: "buffer reconnected",
    });
    expect(
      bufferLogRecord(
        { type: "backgroundError", task: "expiry sweep", error: new Error("disk I/O error") },
        "sqlite",
      ),
    ).toEqual({
      level: "error",
      msg: "buffer background task failed; it is retried",
      fields: { buffer: "sqlite", task: "expiry sweep", error: "Error: disk I/O error" },
    });
    expect(bufferLogRecord({ type: "undecodable", channel: "ch", streamSeq: 7 }, "nats")).toEqual({
      level: "error",
      msg: "undecodable message in the buffer skipped",
      fields: { buffer: "nats", channel: "ch", stream_seq: 7 },
    });
  });
});
