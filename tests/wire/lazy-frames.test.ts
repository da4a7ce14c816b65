import { create, equals, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { HeaderSchema, WebhookMessageSchema } from "../../gen/webhookconnect/v1/message_pb.js";
import {
  ConnectResponseSchema,
  Notice_Level,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { decodeConnectResponse, LazyRelayService, messageOf } from "../../wire/lazy-frames.js";

const message = create(WebhookMessageSchema, {
  messageId: "msg-1",
  channel: "ch",
  webhookId: "hook",
  receivedAt: timestampFromMs(1_764_000_000_123),
  expiresAt: timestampFromMs(1_764_086_400_123),
  sequence: 42n,
  deliveryAttempt: 3,
  method: "POST",
  path: "/webhook/hook",
  headers: [create(HeaderSchema, { name: "X-Sig", value: "sha256=ab" })],
  body: new Uint8Array([0, 255, 123, 34]),
  contentType: "application/json",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
});

describe("lazy server frames", () => {
  it("leave the message as bytes that decode to the message sent", () => {
    const bytes = toBinary(
      ConnectResponseSchema,
      create(ConnectResponseSchema, { frame: { case: "message", value: message } }),
    );
    const frame = decodeConnectResponse(bytes).frame;
    expect(frame.case).toBe("message");
    if (frame.case !== "message") return;
    expect(frame.value).toBeInstanceOf(Uint8Array);
    expect(equals(WebhookMessageSchema, messageOf(frame.value), message)).toBe(true);
    // An already decoded message passes through.
    expect(messageOf(message)).toBe(message);
  });

  it("decode welcome, heartbeat and notice frames as usual", () => {
    const welcome = decodeConnectResponse(
      toBinary(
        ConnectResponseSchema,
        create(ConnectResponseSchema, {
          frame: {
            case: "welcome",
            value: { connectionId: "c1", channel: "ch", heartbeatInterval: durationFromMs(1500) },
          },
        }),
      ),
    ).frame;
    expect(welcome.case).toBe("welcome");
    if (welcome.case === "welcome") {
      expect(welcome.value.connectionId).toBe("c1");
      expect(welcome.value.heartbeatInterval?.seconds).toBe(1n);
    }
    const notice = decodeConnectResponse(
      toBinary(
        ConnectResponseSchema,
        create(ConnectResponseSchema, {
          frame: {
            case: "notice",
            value: { level: Notice_Level.WARNING, code: "X", message: "m" },
          },
        }),
      ),
    ).frame;
    expect(notice).toMatchObject({ case: "notice", value: { code: "X", message: "m" } });
    const heartbeat = decodeConnectResponse(
      toBinary(
        ConnectResponseSchema,
        create(ConnectResponseSchema, { frame: { case: "heartbeat", value: {} } }),
      ),
    ).frame;
    expect(heartbeat.case).toBe("heartbeat");
  });

  it("keep the service's names, kinds and request types", () => {
    expect(LazyRelayService.typeName).toBe(RelayService.typeName);
    expect(LazyRelayService.methods.map((m) => [m.name, m.methodKind, m.input.typeName])).toEqual(
      RelayService.methods.map((m) => [m.name, m.methodKind, m.input.typeName]),
    );
    expect(LazyRelayService.methods.every((m) => m.parent === RelayService)).toBe(true);
  });
});
