/**
 * Assembles a receiver from a loaded config and a buffer: channels,
 * ingest, RelayService and the one-port listener. Used by main.ts and by
 * in-process tests.
 */
import { createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createVerifiers } from "./auth/index.js";
import type { Buffer } from "./buffer/buffer.js";
import { ChannelRegistry } from "./channels/index.js";
import type { ReceiverConfig } from "./config/index.js";
import {
  createIngestHandler,
  type IngestAcceptedEvent,
  type IngestRejectedEvent,
  remoteAddressOf,
} from "./ingest/index.js";
import { type Listener, type ListenerLimits, startListener } from "./server/listener.js";
import { createRouter } from "./server/router.js";
import { registerRelayService, remoteAddressKey } from "./stream/relay-service.js";
import type { SessionEvent } from "./stream/session.js";
import type { StreamContext } from "./stream/stream-context.js";

/** Options of a receiver. */
export interface ReceiverOptions {
  /** The loaded webhooks.json. */
  readonly config: ReceiverConfig;
  /** The buffer backend (channels are created on it at start). */
  readonly buffer: Buffer;
  /** Interface to bind. @default "0.0.0.0" */
  readonly host?: string;
  /** Port; 0 picks a free one. @default 8000 */
  readonly port?: number;
  /** TLS certificate and key files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Server heartbeat interval. @default 15000 */
  readonly heartbeatIntervalMs?: number;
  /** Redis URL for state shared between replicas (rate limits), if any. */
  readonly redisUrl?: string;
  /** Listener limits. */
  readonly limits?: Partial<ListenerLimits>;
  /** Ingest events (accepted/rejected). */
  readonly onIngestEvent?: (
    event:
      | ({ readonly type: "accepted" } & IngestAcceptedEvent)
      | ({ readonly type: "rejected" } & IngestRejectedEvent),
  ) => void;
  /** Stream session events. */
  readonly onSessionEvent?: (event: SessionEvent) => void;
}

/** A running receiver. */
export interface RunningReceiver {
  /** Base URL. */
  readonly url: string;
  /** Listener. */
  readonly listener: Listener;
  /** Channels and connections. */
  readonly registry: ChannelRegistry;
  /** Stops accepting, closes connections (leases return to the buffer), keeps the buffer open. */
  close(): Promise<void>;
}

/** Creates every channel on the buffer, then starts listening. */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const { config, buffer } = options;
  for (const channel of config.channels.values()) await buffer.ensureChannel(channel);
  const registry = new ChannelRegistry(
    [...config.channels.values()].map((channel) => ({ settings: channel, token: channel.token })),
  );
  const context: StreamContext = {
    buffer,
    registry,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    ...(options.onSessionEvent === undefined ? {} : { onEvent: options.onSessionEvent }),
  };
  let polls: ReturnType<typeof registerRelayService> | undefined;
  const rpc = connectNodeAdapter({
    routes: (router) => {
      polls = registerRelayService(router, context);
    },
    contextValues: (req) => createContextValues().set(remoteAddressKey, remoteAddressOf(req)),
  });
  const ingest = createIngestHandler({
    config,
    buffer,
    createVerifiers,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
  });
  const onIngest = options.onIngestEvent;
  if (onIngest !== undefined) {
    ingest.events.on("accepted", (event) => onIngest({ type: "accepted", ...event }));
    ingest.events.on("rejected", (event) => onIngest({ type: "rejected", ...event }));
  }
  const router = createRouter({
    ingest: (req, res, webhookId) => ingest.handle(req, res, webhookId),
    rpc,
    ready: async () => {
      try {
        await buffer.ping();
        return true;
      } catch {
        return false;
      }
    },
  });
  const listener = await startListener({
    host: options.host ?? "0.0.0.0",
    port: options.port ?? 8000,
    onRequest: router,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    url: listener.url,
    listener,
    registry,
    async close() {
      polls?.closeAll("receiver shutting down");
      registry.evictAll("receiver shutting down");
      await listener.close();
      await ingest.close();
    },
  };
}
