/**
 * The JSON framing of the WebSocket endpoint (seed-compatible frames, see
 * docs/protocol.md). A malformed frame is answered with an error frame and
 * the connection goes on processing acks.
 */
import type { RawData, WebSocket } from "ws";
import { WebhookConnectError } from "../errors.js";
import type { StreamParams } from "./connect-request.js";
import {
  applyClientFrame,
  connectedFrame,
  errorFrame,
  heartbeatFrame,
  parseClientFrame,
  webhookFrameText,
} from "./json-frames.js";
import { openSession, type Session } from "./session.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { closeWebSocket, openErrorClose } from "./websocket-lifecycle.js";
import { backlogOf } from "./welcome.js";

function bytesOf(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Serves one accepted JSON WebSocket until either side closes it. */
export function serveJsonSocket(
  context: StreamContext,
  ws: WebSocket,
  channel: string,
  params: StreamParams,
  remoteAddress: string,
): void {
  const sendText = (text: string) => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const send = (value: unknown) => sendText(JSON.stringify(value));
  let session: Session | undefined;

  const onFrame = async (data: RawData, isBinary: boolean) => {
    if (session === undefined) return;
    if (isBinary) {
      send(
        errorFrame(
          "WC_ERR_STREAM_PROTOCOL",
          "binary frames need the webhookconnect.v1.proto subprotocol; send JSON text frames",
        ),
      );
      return;
    }
    const frame = parseClientFrame(bytesOf(data));
    if (frame.kind === "invalid") {
      session.touch();
      send(errorFrame("WC_ERR_STREAM_PROTOCOL", frame.reason, frame.messageId));
      return;
    }
    const applied = await applyClientFrame(session, frame);
    for (const failure of applied.failures) {
      send(errorFrame("WC_ERR_STREAM_NOT_LEASED", failure.error, failure.messageId));
    }
  };
  ws.on("message", (data, isBinary) => {
    onFrame(data, isBinary).catch((error: unknown) => {
      reportInternalError(context, "websocket frame", error);
      send(errorFrame("WC_ERR_INTERNAL", "internal error"));
    });
  });
  ws.on("pong", () => session?.touch());
  ws.on("close", () => session?.close("client disconnected"));
  ws.on("error", () => ws.terminate());

  openSession({
    buffer: context.buffer,
    registry: context.registry,
    channel,
    group: params.group,
    connectorId: params.connectorId,
    protocol: "websocket",
    remoteAddress,
    maxInFlight: params.maxInFlight,
    heartbeatIntervalMs: context.heartbeatIntervalMs,
    livenessTimeoutMs: 3 * context.heartbeatIntervalMs,
    ...(context.onEvent === undefined ? {} : { onEvent: context.onEvent }),
  }).then(
    async (opened) => {
      session = opened;
      if (ws.readyState !== ws.OPEN) {
        opened.close("client disconnected");
        return;
      }
      const ackTimeoutMs = (context.registry.get(channel)?.settings.ackTimeoutSeconds ?? 30) * 1000;
      const backlog = await backlogOf(context, opened);
      send(connectedFrame(opened, context.heartbeatIntervalMs, ackTimeoutMs, backlog));
      void opened.closed.then((reason) => {
        const closed = opened.serverClose;
        if (closed !== undefined) send(errorFrame(closed.code, closed.message));
        closeWebSocket(ws, reason, closed?.wsCode);
      });
      void (async () => {
        for await (const frame of opened.frames()) {
          if (frame.kind === "message") sendText(webhookFrameText(frame.delivery.message));
          else {
            send(heartbeatFrame(frame.at));
            if (ws.readyState === ws.OPEN) ws.ping();
          }
        }
      })();
    },
    (error: unknown) => {
      reportInternalError(context, "websocket open", error);
      const known = error instanceof WebhookConnectError;
      send(
        errorFrame(
          known ? error.code : "WC_ERR_INTERNAL",
          known ? error.message : "internal error",
        ),
      );
      openErrorClose(ws, error);
    },
  );
}
