/**
 * WebSocket `GET /connect/stream/{channel}` on the listener's upgrade hook.
 * Without a subprotocol (or with `webhookconnect.v1.json`) it speaks the
 * seed-compatible JSON frames; with `webhookconnect.v1.proto` it carries
 * binary ConnectRequest/ConnectResponse frames, exactly the bidi Connect
 * call. Both wrap the shared Session: this file only frames.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { closedWithin } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";
import { destroySocket } from "../server/index.js";
import { type Admission, admit, type Credentials } from "./attach.js";
import {
  authorizationOf,
  type ConnectEndpointOptions,
  helloOfRequest,
  originOfRequest,
  splitUrl,
  streamPathOf,
} from "./connect-request.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { remoteAddressOfSocket, writeUpgradeError } from "./upgrade-response.js";
import { serveJsonSocket } from "./websocket-json.js";
import { serveProtoSocket } from "./websocket-proto.js";

/** Subprotocol of the binary protobuf frames (our connector). */
export const PROTO_SUBPROTOCOL = "webhookconnect.v1.proto";
/** Subprotocol of the JSON frames (also the default without a subprotocol). */
export const JSON_SUBPROTOCOL = "webhookconnect.v1.json";

/** The WebSocket endpoint. */
export interface WebSocketEndpoint {
  /** Handles one HTTP/1.1 upgrade request (the listener's `onUpgrade`). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Ends every WebSocket (sessions are closed by the registry): those
   * already closing get `graceMs` to finish their closing handshake.
   */
  close(graceMs?: number): Promise<void>;
}

/** Largest client frame accepted (acks are small). */
const MAX_CLIENT_FRAME_BYTES = 1 << 20;

/** Creates the WebSocket endpoint. */
export function createWebSocketEndpoint(
  context: StreamContext,
  options: ConnectEndpointOptions = {},
): WebSocketEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => {
      if (offered.has(PROTO_SUBPROTOCOL)) return PROTO_SUBPROTOCOL;
      if (offered.has(JSON_SUBPROTOCOL)) return JSON_SUBPROTOCOL;
      return false;
    },
  });

  return {
    handleUpgrade(req, socket, head) {
      // A shared function, not a closure: the listener stays on the socket for
      // the WebSocket's life, and a closure here would keep this call's
      // context (the upgrade request, its headers and `head`) alive with it.
      socket.on("error", destroySocket);
      const { path, query } = splitUrl(req.url);
      const target = streamPathOf(path);
      if (target === undefined || target.kind !== "websocket") {
        writeUpgradeError(
          socket,
          new WebhookConnectError("WC_ERR_NOT_FOUND", `no WebSocket endpoint at ${path}`),
        );
        return;
      }
      // Checked before the upgrade, so a bad token never sees a WebSocket.
      const credentials = {
        authorization: authorizationOf(req.headers, query, options),
        origin: originOfRequest(req),
      };
      admit(
        context,
        helloOfRequest(target.channel, query, req.headers),
        credentials,
        target.channel,
      ).then(
        (admission) => upgrade(req, socket, head, admission, credentials),
        (error: unknown) => {
          reportInternalError(context, `GET ${path} (upgrade)`, error);
          writeUpgradeError(socket, error);
        },
      );
    },
    async close(graceMs = 1_000) {
      // Sockets already closing (their session was evicted) get `graceMs`
      // to finish the closing handshake; the rest go at once.
      const closing: Promise<void>[] = [];
      for (const client of wss.clients) {
        if (client.readyState !== client.CLOSING) {
          client.terminate();
          continue;
        }
        closing.push(new Promise((resolve) => client.once("close", () => resolve())));
      }
      await closedWithin(closing, graceMs);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };

  function upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    admission: Admission,
    credentials: Credentials,
  ): void {
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const remoteAddress = remoteAddressOfSocket(req);
      if (ws.protocol === PROTO_SUBPROTOCOL) {
        // The query string's Hello only got it this far; the protobuf
        // client attaches with the Hello it sends first.
        serveProtoSocket(context, ws, admission.channel, credentials, remoteAddress);
      } else {
        serveJsonSocket(context, ws, admission, remoteAddress);
      }
    });
  }
}
