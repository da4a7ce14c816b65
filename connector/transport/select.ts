/**
 * Picks the transport(s) for the configured `protocol`. Transports
 * register here by protocol name:
 * - `grpc`: bidi `Connect` over HTTP/2 (gRPC framing);
 * - `connect`: bidi `Connect` over HTTP/2 (Connect framing), falling back
 *   to `Subscribe` + unary `Ack` over HTTP/1.1 when HTTP/2 fails;
 * - `websocket`: the bidi frames over a WebSocket (protobuf subprotocol);
 * - `sse`: server-sent events plus `POST /connect/ack`;
 * - `long_poll`: polls plus `POST /connect/ack`.
 * `auto` tries gRPC (HTTP/2 bidi), Connect over HTTP/1.1, WebSocket, SSE,
 * then long-poll.
 */
import { ConfigError } from "../../config-file/index.js";
import type { StreamProtocol } from "../config/index.js";
import { createAutoTransport } from "./auto-transport.js";
import { createLongPollTransport } from "./long-poll-transport.js";
import type { ForwardProxy } from "./proxy.js";
import type { RpcSessionTuning } from "./rpc-session.js";
import { createConnectRelayTransport, createGrpcRelayTransport } from "./rpc-transport.js";
import { createSseTransport } from "./sse-transport.js";
import { createConnectHttp1Transport } from "./subscribe-transport.js";
import type { TlsOptions } from "./tls.js";
import type { Transport } from "./transport.js";
import { createWebSocketTransport } from "./websocket-transport.js";

/** What every transport factory receives. */
export interface TransportFactoryOptions {
  /** Receiver base URL from `cloud_url`. */
  readonly cloudUrl: string;
  /** Channel token. */
  readonly token: string;
  /** TLS options for every connection, acks included. */
  readonly tls?: TlsOptions;
  /** Forward proxy of every connection to the receiver. @default none (direct) */
  readonly proxy?: ForwardProxy | undefined;
  /** Ack batching and close timing of bidi sessions. */
  readonly tuning?: RpcSessionTuning;
  /** Longest wait for a Welcome on each transport. @default 10000 */
  readonly openTimeoutMs?: number;
  /** `auto`: time on a fallback before the preferred transports are retried. @default 600000 */
  readonly retryPreferredAfterMs?: number;
}

/** Creates one transport. */
export type TransportFactory = (options: TransportFactoryOptions) => Transport;

/** `connect`: HTTP/2 bidi, falling back to Subscribe + Ack over HTTP/1.1. */
function createConnectWithFallback(options: TransportFactoryOptions): Transport {
  return createAutoTransport(
    [createConnectRelayTransport(options), createConnectHttp1Transport(options)],
    {
      name: "connect",
      ...(options.retryPreferredAfterMs === undefined
        ? {}
        : { retryPreferredAfterMs: options.retryPreferredAfterMs }),
    },
  );
}

/** Transports available in this build, by protocol name. */
export const transportFactories: Readonly<Partial<Record<StreamProtocol, TransportFactory>>> = {
  grpc: createGrpcRelayTransport,
  connect: createConnectWithFallback,
  websocket: createWebSocketTransport,
  sse: createSseTransport,
  long_poll: createLongPollTransport,
};

/** What `auto` tries, in order: HTTP/2 bidi first, long-poll last. */
export const autoTransportFactories: readonly TransportFactory[] = [
  createGrpcRelayTransport,
  createConnectHttp1Transport,
  createWebSocketTransport,
  createSseTransport,
  createLongPollTransport,
];

/**
 * Creates the transport for `protocol`. Throws ConfigError when the
 * protocol is not available in this build.
 */
export function createTransportForProtocol(
  protocol: StreamProtocol | "auto",
  options: TransportFactoryOptions,
  factories: Readonly<Partial<Record<StreamProtocol, TransportFactory>>> = transportFactories,
  autoFactories: readonly TransportFactory[] = autoTransportFactories,
): Transport {
  if (protocol === "auto") {
    return createAutoTransport(
      autoFactories.map((factory) => factory(options)),
      options.retryPreferredAfterMs === undefined
        ? {}
        : { retryPreferredAfterMs: options.retryPreferredAfterMs },
    );
  }
  const factory = factories[protocol];
  if (factory === undefined) {
    const names = Object.keys(factories).join(", ");
    throw new ConfigError(
      "connector config",
      "protocol",
      `'${protocol}' is not available in this build (available: auto, ${names})`,
    );
  }
  return factory(options);
}
