/**
 * The JSON framing of the WebSocket endpoint (seed-compatible frames, see
 * docs/protocol.md). A malformed frame is answered with an error frame and
 * the connection goes on processing acks.
 */
import type { RawData, WebSocket } from "ws";
import { type Admission, openAdmitted } from "./attach.js";
import {
  applyClientFrame,
  connectedFrame,
  errorFrame,
  heartbeatFrame,
  parseClientFrame,
  webhookFrameText,
} from "./json-frames.js";
import type { Session } from "./session.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { attachFailureOf, closeWebSocket, openErrorClose } from "./websocket-lifecycle.js";

function bytesOf(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Serves one accepted JSON WebSocket (its query string's Hello admitted) until either side closes it. */
export function serveJsonSocket(
  context: StreamContext,
  ws: WebSocket,
  admission: Admission,
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

  openAdmitted(context, admission, { protocol: "websocket", remoteAddress, liveness: true }).then(
    ({ session: opened, welcome }) => {
      session = opened;
      if (ws.readyState !== ws.OPEN) {
        opened.close("client disconnected");
        return;
      }
      send(connectedFrame(welcome));
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
      const failure = attachFailureOf(error);
      send(errorFrame(failure.code, failure.message));
      openErrorClose(ws, error);
    },
  );
}
