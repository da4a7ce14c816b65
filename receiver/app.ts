/**
 * Assembles a receiver from a loaded config and a buffer: channels,
 * ingest, RelayService and the one-port listener. Used by main.ts and by
 * in-process tests.
 */
import { type AdminEvent, createAdminHandler, createWebhookStats } from "./admin/index.js";
import {
  type AuthThrottleEvent,
  type AuthThrottleLimits,
  createAuthThrottle,
  createVerifiers,
  loadVerifierBlocks,
  parseTrustedProxies,
} from "./auth/index.js";
import type { Buffer } from "./buffer/index.js";
import { ChannelRegistry, type ChannelTokenEvent, ChannelTokens } from "./channels/index.js";
import { ConfigError, type ReceiverConfig } from "./config/index.js";
import { createIngestHandler, type IngestEvent } from "./ingest/index.js";
import {
  createMetricsHandler,
  createReceiverMetrics,
  type ReceiverMetrics,
} from "./metrics/index.js";
import {
  createRouter,
  type InternalErrorEvent,
  type Listener,
  type ListenerLimits,
  startListener,
} from "./server/index.js";
import type { SessionEvent, StreamContext } from "./stream/index.js";
import {
  createConnectEndpoints,
  createRpcEndpoint,
  createWebSocketEndpoint,
  RELAY_SERVICE_PATH,
} from "./stream/index.js";

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
  /** Ingest events (accepted/rejected/aborted/handshake) with request id and traceparent. */
  readonly onIngestEvent?: (event: IngestEvent) => void;
  /** Stream session events. */
  readonly onSessionEvent?: (event: SessionEvent) => void;
  /** `WEBHOOK_CONNECT_ADMIN_TOKEN`; without it the admin API answers 403. */
  readonly adminToken?: string;
  /** Admin API events (requests, operator actions). */
  readonly onAdminEvent?: (event: AdminEvent) => void;
  /** Channel token events (rotations, state loaded or ignored, refused tokens). */
  readonly onTokenEvent?: (event: ChannelTokenEvent) => void;
  /**
   * Unexpected failures (answered with a generic 500, `Internal` or an
   * `internal_error` frame), with their cause, for the log.
   */
  readonly onInternalError?: (event: InternalErrorEvent) => void;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the
   * client, for counting failed authentications per client rather than per
   * proxy (`WEBHOOK_CONNECT_TRUSTED_PROXIES`). @default none
   */
  readonly trustedProxies?: readonly string[];
  /** Limits of the failed-authentication throttle. @default defaultAuthThrottleLimits */
  readonly authThrottle?: Partial<AuthThrottleLimits>;
  /** Throttle events: aggregated failure reports, clients refused from now on. */
  readonly onAuthThrottleEvent?: (event: AuthThrottleEvent) => void;
  /** Export Node.js process metrics on `/metrics` too. @default false */
  readonly processMetrics?: boolean;
  /**
   * Accept the channel token as `?token=` on the WebSocket, SSE, long-poll
   * and ack endpoints (for clients that cannot set headers). @default false
   */
  readonly allowQueryToken?: boolean;
}

/** A running receiver. */
export interface RunningReceiver {
  /** Base URL. */
  readonly url: string;
  /** Listener. */
  readonly listener: Listener;
  /** Channels and connections. */
  readonly registry: ChannelRegistry;
  /** Connector tokens, persisted in the buffer's state and shared by replicas. */
  readonly tokens: ChannelTokens;
  /** The receiver's metrics (also served on `/metrics`). */
  readonly metrics: ReceiverMetrics;
  /** Stops accepting, closes connections (leases return to the buffer), keeps the buffer open. */
  close(): Promise<void>;
}

/** Creates every channel on the buffer, then starts listening. */
export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const { config, buffer } = options;
  // Only the verifier modules this config's webhooks use (jose, Ajv).
  await loadVerifierBlocks([...config.webhooks.values()].map((entry) => entry.raw));
  for (const channel of config.channels.values()) await buffer.ensureChannel(channel);
  const registry = new ChannelRegistry(
    [...config.channels.values()].map((channel) => ({ settings: channel, token: channel.token })),
  );
  const metrics = createReceiverMetrics({
    config,
    buffer,
    registry,
    ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
  });
  const trusted = parseTrustedProxies(options.trustedProxies ?? []);
  if ("invalid" in trusted) {
    throw new ConfigError(
      "WEBHOOK_CONNECT_TRUSTED_PROXIES",
      "",
      `'${trusted.invalid}' is not an IP address or CIDR range`,
    );
  }
  const throttle = createAuthThrottle({
    ...(options.authThrottle === undefined ? {} : { limits: options.authThrottle }),
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    trustedProxies: trusted.ranges,
    onEvent: (event) => {
      if (event.type === "refused") metrics.authRefused(event.scope);
      if (event.type === "blocked") metrics.authBlocked(event.reason);
      options.onAuthThrottleEvent?.(event);
    },
  });
  const tokens = new ChannelTokens({
    buffer,
    registry,
    configured: new Map([...config.channels.values()].map((c) => [c.name, c.token])),
    onEvent: (event) => {
      if (event.type === "rotated") metrics.tokenRotated(event.channel);
      options.onTokenEvent?.(event);
    },
  });
  await tokens.load();
  const stopRefreshing = tokens.startRefreshing();
  const onInternalError = (event: InternalErrorEvent) => {
    metrics.internalError();
    options.onInternalError?.(event);
  };
  const onSessionEvent = options.onSessionEvent;
  const context: StreamContext = {
    buffer,
    registry,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    onEvent: (event) => {
      metrics.session(event);
      onSessionEvent?.(event);
    },
    checkToken: (channel, token) => tokens.check(channel, token),
    onInternalError,
    throttle,
    onAuthFailure: () => metrics.authFailure("channel_token"),
  };
  const rpc = createRpcEndpoint(context);
  const polls = rpc.polls;
  const webhookStats = createWebhookStats(config.webhooks.keys());
  const onIngest = options.onIngestEvent;
  const ingest = createIngestHandler({
    config,
    // Observed so publish latency is measured.
    buffer,
    onPublish: (observation) => metrics.published(observation),
    createVerifiers,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    throttle,
    trustedProxies: trusted.ranges,
    onEvent: (event) => {
      switch (event.type) {
        case "accepted":
          metrics.ingestAccepted(event);
          webhookStats.accepted(event.webhookId);
          break;
        case "rejected":
          metrics.ingestRejected(event);
          webhookStats.rejected(event.webhookId, event.status);
          break;
        case "aborted":
          metrics.ingestAborted(event);
          webhookStats.aborted(event.webhookId);
          break;
        case "handshake":
          metrics.ingestHandshake(event);
          break;
      }
      // The handler's own event object, passed on as is: nothing is copied per webhook.
      onIngest?.(event);
    },
  });
  const onAdminEvent = options.onAdminEvent;
  const admin = createAdminHandler({
    adminToken: options.adminToken,
    config,
    buffer,
    registry,
    tokens,
    webhookStats,
    now: Date.now,
    startedAt: Date.now(),
    onEvent: (event) => {
      if (event.type === "request" && event.status === 401) metrics.authFailure("admin_token");
      onAdminEvent?.(event);
    },
    onInternalError,
    throttle,
  });
  const connectOptions = { allowQueryToken: options.allowQueryToken ?? false };
  const connect = createConnectEndpoints(context, polls, connectOptions);
  const websocket = createWebSocketEndpoint(context, connectOptions);
  const router = createRouter(
    {
      ingest: (req, res, webhookId) => ingest.handle(req, res, webhookId),
      rpc: (req, res) => rpc.handle(req, res),
      admin,
      metrics: createMetricsHandler(metrics),
      connect,
      ready: async () => {
        try {
          await buffer.ping();
          return true;
        } catch {
          return false;
        }
      },
    },
    { onInternalError },
  );
  const listener = await startListener({
    host: options.host ?? "0.0.0.0",
    port: options.port ?? 8000,
    onRequest: router,
    onUpgrade: (req, socket, head) => websocket.handleUpgrade(req, socket, head),
    // The bidi Connect call's request body is open for the whole stream.
    openEndedRequest: (req) => (req.url ?? "").startsWith(`${RELAY_SERVICE_PATH}Connect`),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    url: listener.url,
    listener,
    registry,
    tokens,
    metrics,
    async close() {
      stopRefreshing();
      polls.closeAll("receiver shutting down");
      await registry.evictAll("receiver shutting down");
      await websocket.close();
      await listener.close();
      await ingest.close();
      await throttle.close();
    },
  };
}
