import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WebhookMessageSchema } from "../../../gen/webhookconnect/v1/message_pb.js";
import type { ConnectionInfo } from "../../../receiver/channels/index.js";
import { sessionLogLevel, sessionLogRecord } from "../../../receiver/metrics/index.js";
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
  { type: "delivered", info, message: create(WebhookMessageSchema, { messageId: "m" }) },
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
