/**
 * `protocol: websocket`: the bidi session over a WebSocket to
 * `/connect/stream/{channel}` with the `webhookconnect.v1.proto`
 * subprotocol — for networks that pass WebSocket upgrades but break
 * HTTP/2. Same frames and session logic as gRPC.
 */
import { DEFAULT_OPEN_TIMEOUT_MS, openWithTimeout } from "./open-timeout.js";
import { openRpcSession } from "./rpc-session.js";
import type { RpcRelayTransportOptions } from "./rpc-transport.js";
import { streamPath } from "./stream-query.js";
import type { Transport } from "./transport.js";
import { websocketBidiCall } from "./websocket-call.js";

/** Options of the WebSocket transport: the same as gRPC's, the session being the same. */
export type WebSocketTransportOptions = RpcRelayTransportOptions;

/** Maps a cloud URL to the WebSocket URL of a channel. */
export function websocketUrl(cloudUrl: string, channel: string): string {
  const url = new URL(cloudUrl);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  return `${url.toString().replace(/\/+$/, "")}${streamPath(channel)}`;
}

/** Creates the WebSocket transport. */
export function createWebSocketTransport(options: WebSocketTransportOptions): Transport {
  const name = "websocket";
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  return {
    name,
    open(openOptions) {
      return openWithTimeout(name, openTimeoutMs, openOptions, (withTimeout) =>
        openRpcSession({
          ...options.tuning,
          transport: name,
          call: websocketBidiCall(
            websocketUrl(options.cloudUrl, openOptions.hello.channel),
            options.tls,
            options.proxy,
          ),
          token: options.token,
          options: withTimeout,
        }),
      );
    },
    async close() {
      // Every session owns its WebSocket and closes it when it ends.
    },
  };
}
