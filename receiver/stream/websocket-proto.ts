/**
 * The `webhookconnect.v1.proto` subprotocol of the WebSocket endpoint:
 * binary ConnectRequest frames in, binary ConnectResponse frames out —
 * the bidi Connect call of relay.proto carried over a WebSocket for
 * networks that pass WebSockets but break HTTP/2.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationMs, timestampNow } from "@bufbuild/protobuf/wkt";
import type { RawData, WebSocket } from "ws";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  HeartbeatSchema,
  Notice_Level,
  NoticeSchema,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { connectMessageFrameBytes } from "../../wire/index.js";
import { WebhookConnectError } from "../errors.js";
import { applyClientFrame, type ClientFrame } from "./json-frames.js";
import { openSession, type Session } from "./session.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { wsCloseCodes } from "./websocket-close.js";
import { closeWebSocket, openErrorClose } from "./websocket-lifecycle.js";
import { welcomeOf } from "./welcome.js";

/** How long a client may take to send Hello. */
const HELLO_TIMEOUT_MS = 10_000;

function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function notice(level: Notice_Level, code: string, message: string, messageId = "") {
  return create(ConnectResponseSchema, {
    frame: { case: "notice", value: create(NoticeSchema, { level, code, message, messageId }) },
  });
}

function clientFrameOf(request: ConnectRequest): ClientFrame | undefined {
  const frame = request.frame;
  switch (frame.case) {
    case "ack":
      return { kind: "ack", messageIds: frame.value.messageIds };
    case "nack": {
      const delay = frame.value.delay;
      return {
        kind: "nack",
        messageId: frame.value.messageId,
        retry: frame.value.retry,
        reason: frame.value.reason,
        ...(delay === undefined ? {} : { delayMs: durationMs(delay) }),
      };
    }
    case "heartbeat":
      return { kind: "heartbeat" };
    default:
      return undefined;
  }
}

/** Serves one accepted protobuf WebSocket until either side closes it. */
export function serveProtoSocket(
  context: StreamContext,
  ws: WebSocket,
  channel: string,
  remoteAddress: string,
): void {
  const send = (response: ConnectResponse) => {
    if (ws.readyState === ws.OPEN) ws.send(toBinary(ConnectResponseSchema, response));
  };
  let session: Session | undefined;
  let helloSeen = false;
  const helloTimer = setTimeout(() => {
    send(notice(Notice_Level.ERROR, "WC_ERR_STREAM_PROTOCOL", "no Hello received in time"));
    closeWebSocket(ws, "no Hello received in time", wsCloseCodes.policyViolation);
  }, HELLO_TIMEOUT_MS);
  helloTimer.unref();

  const onFrame = async (data: RawData, isBinary: boolean) => {
    let request: ConnectRequest;
    try {
      if (!isBinary) throw new Error("text frame on the protobuf subprotocol");
      request = fromBinary(ConnectRequestSchema, bytesOf(data));
    } catch (error) {
      session?.touch();
      send(
        notice(
          Notice_Level.WARNING,
          "WC_ERR_STREAM_PROTOCOL",
          `malformed frame ignored: ${(error as Error).message}`,
        ),
      );
      return;
    }
    if (!helloSeen) {
      helloSeen = true;
      clearTimeout(helloTimer);
      await start(request);
      return;
    }
    if (session === undefined) return;
    const frame = clientFrameOf(request);
    if (frame === undefined) {
      session.touch();
      send(
        notice(
          Notice_Level.WARNING,
          "WC_ERR_STREAM_PROTOCOL",
          `unexpected frame '${request.frame.case ?? "empty"}' ignored`,
        ),
      );
      return;
    }
    const applied = await applyClientFrame(session, frame);
    for (const failure of applied.failures) {
      send(
        notice(Notice_Level.WARNING, "WC_ERR_STREAM_NOT_LEASED", failure.error, failure.messageId),
      );
    }
  };

  const start = async (request: ConnectRequest) => {
    const hello = request.frame.case === "hello" ? request.frame.value : undefined;
    if (hello === undefined || (hello.channel !== "" && hello.channel !== channel)) {
      const text =
        hello === undefined
          ? "the first frame must be a Hello"
          : "the Hello names another channel than the URL";
      send(notice(Notice_Level.ERROR, "WC_ERR_STREAM_PROTOCOL", text));
      closeWebSocket(ws, text, wsCloseCodes.policyViolation);
      return;
    }
    if (hello.group !== "" && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(hello.group)) {
      const text = "group must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
      send(notice(Notice_Level.ERROR, "WC_ERR_STREAM_PROTOCOL", text));
      closeWebSocket(ws, text, wsCloseCodes.policyViolation);
      return;
    }
    let opened: Session;
    try {
      opened = await openSession({
        buffer: context.buffer,
        registry: context.registry,
        channel,
        group: hello.group,
        connectorId: hello.connectorId,
        protocol: "websocket",
        remoteAddress,
        maxInFlight: hello.maxInFlight,
        heartbeatIntervalMs: context.heartbeatIntervalMs,
        livenessTimeoutMs: 3 * context.heartbeatIntervalMs,
        ...(context.onEvent === undefined ? {} : { onEvent: context.onEvent }),
      });
    } catch (error) {
      reportInternalError(context, "websocket open", error);
      const known = error instanceof WebhookConnectError;
      send(
        notice(
          Notice_Level.ERROR,
          known ? error.code : "WC_ERR_INTERNAL",
          known ? error.message : "internal error",
        ),
      );
      openErrorClose(ws, error);
      return;
    }
    session = opened;
    if (ws.readyState !== ws.OPEN) {
      opened.close("client disconnected");
      return;
    }
    send(
      create(ConnectResponseSchema, {
        frame: { case: "welcome", value: await welcomeOf(context, opened) },
      }),
    );
    void opened.closed.then((reason) => {
      const closed = opened.serverClose;
      if (closed !== undefined) send(notice(Notice_Level.ERROR, closed.code, closed.message));
      closeWebSocket(ws, reason, closed?.wsCode);
    });
    for await (const frame of opened.frames()) {
      if (frame.kind === "message") {
        // Pre-encoded by the direct codec: the same bytes toBinary would write.
        if (ws.readyState === ws.OPEN) ws.send(connectMessageFrameBytes(frame.delivery));
        continue;
      }
      send(
        create(ConnectResponseSchema, {
          frame: { case: "heartbeat", value: create(HeartbeatSchema, { sentAt: timestampNow() }) },
        }),
      );
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  };

  ws.on("message", (data, isBinary) => {
    onFrame(data, isBinary).catch((error: unknown) => {
      reportInternalError(context, "websocket frame", error);
      send(notice(Notice_Level.WARNING, "WC_ERR_INTERNAL", "internal error"));
    });
  });
  ws.on("pong", () => session?.touch());
  ws.on("close", () => {
    clearTimeout(helloTimer);
    session?.close("client disconnected");
  });
  ws.on("error", () => ws.terminate());
}
