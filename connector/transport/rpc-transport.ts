/**
 * The gRPC and Connect transports: the bidi `RelayService.Connect` call
 * over HTTP/2 — cleartext prior-knowledge h2c for `http://` cloud URLs,
 * TLS with ALPN for `https://`, through a CONNECT tunnel when a forward
 * proxy is configured. Each session gets its own HTTP/2 connection, so a
 * reconnect never reuses a half-dead one.
 */
import type { SecureClientSessionOptions } from "node:http2";
import { PassThrough } from "node:stream";
import { createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { LazyRelayService } from "../../wire/index.js";
import { probeHttp2 } from "./http2-probe.js";
import { DEFAULT_OPEN_TIMEOUT_MS, openWithTimeout } from "./open-timeout.js";
import { openTunnel, tlsOverTunnel } from "./proxy-tunnel.js";
import { openRpcSession, type RpcSessionTuning } from "./rpc-session.js";
import type { OpenSessionOptions, ReceiverOptions, Transport } from "./transport.js";

/** Options of the gRPC and Connect transports (and of WebSocket and Connect over HTTP/1.1). */
export interface RpcRelayTransportOptions extends ReceiverOptions {
  /** Ack batching and close timing. */
  readonly tuning?: RpcSessionTuning;
}

/** Maps a cloud URL to the HTTP base URL of RelayService. */
export function rpcBaseUrl(cloudUrl: string): string {
  const url = new URL(cloudUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  return url.toString().replace(/\/+$/, "");
}

function createRpcRelayTransport(
  name: "grpc" | "connect",
  options: RpcRelayTransportOptions,
): Transport {
  const baseUrl = rpcBaseUrl(options.cloudUrl);
  const nodeOptions = baseUrl.startsWith("https:") ? { ...options.tls } : {};
  return {
    name,
    open(outerOptions) {
      return openWithTimeout(
        name,
        options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS,
        outerOptions,
        (openOptions) => openOnce(openOptions),
      );
    },
    async close() {
      // Every session owns its connection and releases it when it ends.
    },
  };

  /**
   * Session options with a fresh tunnel through the proxy, when there is
   * one; `discard` closes the tunnel if the session never took it.
   */
  async function connectionOptions(
    signal: AbortSignal,
  ): Promise<{ sessionOptions: SecureClientSessionOptions; discard: () => void }> {
    const proxy = options.proxy;
    if (proxy === undefined) return { sessionOptions: nodeOptions, discard: () => undefined };
    const url = new URL(baseUrl);
    const secure = url.protocol === "https:";
    const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
    const tunnel = await openTunnel(proxy, url.hostname, port, signal);
    const socket = secure ? tlsOverTunnel(tunnel, url.hostname, options.tls, ["h2"]) : tunnel;
    let used = false;
    const sessionOptions: SecureClientSessionOptions = {
      ...nodeOptions,
      createConnection: () => {
        if (!used) {
          used = true;
          return socket;
        }
        // A tunnel carries one connection; the session reconnects with a new one.
        const spent = new PassThrough();
        queueMicrotask(() => spent.destroy(new Error(`tunnel through ${proxy.label} closed`)));
        return spent;
      },
    };
    return {
      sessionOptions,
      discard: () => {
        if (!used) socket.destroy();
      },
    };
  }

  async function openOnce(openOptions: OpenSessionOptions) {
    const probe = await connectionOptions(openOptions.signal);
    try {
      await probeHttp2(name, baseUrl, probe.sessionOptions, openOptions.signal);
    } finally {
      probe.discard();
    }
    const connection = await connectionOptions(openOptions.signal);
    const sessionManager = new Http2SessionManager(baseUrl, {}, connection.sessionOptions);
    const transport =
      name === "grpc"
        ? createGrpcTransport({ baseUrl, sessionManager })
        : createConnectTransport({ baseUrl, httpVersion: "2", sessionManager });
    return openRpcSession({
      ...options.tuning,
      transport: name,
      call: (requests, callOptions) =>
        createClient(LazyRelayService, transport).connect(requests, callOptions),
      token: options.token,
      options: openOptions,
      dispose: () => {
        sessionManager.abort();
        connection.discard();
      },
    });
  }
}

/** gRPC over HTTP/2 (`protocol: grpc`). */
export function createGrpcRelayTransport(options: RpcRelayTransportOptions): Transport {
  return createRpcRelayTransport("grpc", options);
}

/** The Connect protocol over HTTP/2 (`protocol: connect`). */
export function createConnectRelayTransport(options: RpcRelayTransportOptions): Transport {
  return createRpcRelayTransport("connect", options);
}
