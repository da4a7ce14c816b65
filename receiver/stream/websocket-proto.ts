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
import { type Attachment, attach, type Credentials } from "./attach.js";
import { withHelloTimeout } from "./hello.js";
import { applyClientFrame, type ClientFrame } from "./json-frames.js";
import type { Session } from "./session.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { wsCloseCodes } from "./websocket-close.js";
import { attachFailureOf, closeWebSocket, openErrorClose } from "./websocket-lifecycle.js";

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

/**
 * Serves one accepted protobuf WebSocket until either side closes it. The
 * client attaches with the Hello it sends first (`credentials` are the
 * upgrade request's, already good for `channel`).
 */
export function serveProtoSocket(
  context: StreamContext,
  ws: WebSocket,
  channel: string,
  credentials: Credentials,
  remoteAddress: string,
): void {
  const send = (response: ConnectResponse) => {
    if (ws.readyState === ws.OPEN) ws.send(toBinary(ConnectResponseSchema, response));
  };
  let session: Session | undefined;
  /** Hands over the first well-formed frame (undefined: the socket closed before one). */
  let takeFirst: ((request: ConnectRequest | undefined) => void) | undefined;
  const first = new Promise<ConnectRequest | undefined>((resolve) => {
    takeFirst = resolve;
  });

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
    if (takeFirst !== undefined) {
      takeFirst(request);
      takeFirst = undefined;
      return;
    }
    // Frames sent before the Welcome (the session is still opening) are dropped.
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

  const start = async () => {
    let attached: Attachment;
    try {
      const request = await withHelloTimeout(first);
      if (request === undefined) return;
      attached = await attach(context, {
        hello: request.frame.case === "hello" ? request.frame.value : undefined,
        urlChannel: channel,
        ...credentials,
        protocol: "websocket",
        remoteAddress,
        liveness: true,
      });
    } catch (error) {
      reportInternalError(context, "websocket open", error);
      const failure = attachFailureOf(error);
      send(notice(Notice_Level.ERROR, failure.code, failure.message));
      openErrorClose(ws, error);
      return;
    }
    const opened = attached.session;
    session = opened;
    if (ws.readyState !== ws.OPEN) {
      opened.close("client disconnected");
      return;
    }
    send(create(ConnectResponseSchema, { frame: { case: "welcome", value: attached.welcome } }));
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
  start().catch((error: unknown) => {
    reportInternalError(context, "websocket stream", error);
    closeWebSocket(ws, "internal error", wsCloseCodes.internalError);
  });

  ws.on("message", (data, isBinary) => {
    onFrame(data, isBinary).catch((error: unknown) => {
      reportInternalError(context, "websocket frame", error);
      send(notice(Notice_Level.WARNING, "WC_ERR_INTERNAL", "internal error"));
    });
  });
  ws.on("pong", () => session?.touch());
  ws.on("close", () => {
    takeFirst?.(undefined);
    takeFirst = undefined;
    session?.close("client disconnected");
  });
  ws.on("error", () => ws.terminate());
}
