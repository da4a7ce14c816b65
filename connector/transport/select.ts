/**
 * Picks the transport(s) for the configured `protocol`. Transports
 * register here by protocol name; `auto` tries the registered ones in the
 * order of `protocols` (gRPC, Connect, WebSocket, SSE, long-poll).
 */
import { ConfigError } from "../../receiver/config/config-error.js";
import { protocols, type StreamProtocol } from "../config/schema.js";
import { createAutoTransport } from "./auto-transport.js";
import type { RpcSessionTuning } from "./rpc-session.js";
import { createConnectRelayTransport, createGrpcRelayTransport } from "./rpc-transport.js";
import type { TlsOptions } from "./tls.js";
import type { Transport } from "./transport.js";

/** What every transport factory receives. */
export interface TransportFactoryOptions {
  /** Receiver base URL from `cloud_url`. */
  readonly cloudUrl: string;
  /** Channel token. */
  readonly token: string;
  /** TLS options for every connection, acks included. */
  readonly tls?: TlsOptions;
  /** Ack batching and close timing of bidi sessions. */
  readonly tuning?: RpcSessionTuning;
}

/** Creates one transport. */
export type TransportFactory = (options: TransportFactoryOptions) => Transport;

/** Transports available in this build, by protocol name. */
export const transportFactories: Readonly<Partial<Record<StreamProtocol, TransportFactory>>> = {
  grpc: createGrpcRelayTransport,
  connect: createConnectRelayTransport,
};

/**
 * Creates the transport for `protocol`. Throws ConfigError when the
 * protocol is not available in this build.
 */
export function createTransportForProtocol(
  protocol: StreamProtocol | "auto",
  options: TransportFactoryOptions,
  factories: Readonly<Partial<Record<StreamProtocol, TransportFactory>>> = transportFactories,
): Transport {
  if (protocol === "auto") {
    const available = protocols.flatMap((p) => {
      const factory = factories[p];
      return factory === undefined ? [] : [factory(options)];
    });
    return createAutoTransport(available);
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
