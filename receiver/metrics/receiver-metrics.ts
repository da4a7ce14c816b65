/**
 * The metrics of one receiver: fed by the typed events of ingest, sessions,
 * publishes, tokens and the admin API; channel depths collected from the
 * buffer and connection counts from the registry at scrape time.
 */
import { type Counter, collectDefaultMetrics, type Histogram, Registry } from "prom-client";
import type { Buffer } from "../buffer/index.js";
import type { ChannelRegistry } from "../channels/index.js";
import type { ReceiverConfig } from "../config/index.js";
import type {
  IngestAbortedEvent,
  IngestAcceptedEvent,
  IngestHandshakeEvent,
  IngestRejectedEvent,
  PublishObservation,
} from "../ingest/index.js";
import type { SessionEvent } from "../stream/index.js";
import { createBufferMetricsRefresher } from "./buffer-metrics.js";
import { defineMetrics } from "./definitions.js";

/** Label used for webhook ids that are not configured (keeps label cardinality bounded). */
export const UNKNOWN_WEBHOOK_LABEL = "_unknown";

/** Options of createReceiverMetrics. */
export interface ReceiverMetricsOptions {
  /** The loaded config (known webhook ids and channels). */
  readonly config: ReceiverConfig;
  /** Buffer whose stats are exported. */
  readonly buffer: Buffer;
  /** Registry whose connections are counted. */
  readonly registry: ChannelRegistry;
  /** Also export Node.js process metrics (`process_*`, `nodejs_*`). @default false */
  readonly processMetrics?: boolean;
}

/** The metrics of a receiver. */
export interface ReceiverMetrics {
  /** The prom-client registry (one per receiver). */
  readonly registry: Registry;
  /** Records an ingest answer 200. */
  ingestAccepted(event: IngestAcceptedEvent): void;
  /** Records an ingest error answer (and an auth failure for 401/403). */
  ingestRejected(event: IngestRejectedEvent): void;
  /** Records a provider handshake answered by the receiver. */
  ingestHandshake(event: IngestHandshakeEvent): void;
  /** Records an ingest request the client abandoned. */
  ingestAborted(event: IngestAbortedEvent): void;
  /** Records one publish to the buffer. */
  published(observation: PublishObservation): void;
  /** Records a session event (deliveries, acks, nacks, connections). */
  session(event: SessionEvent): void;
  /** Records an authentication failure of a method. */
  authFailure(method: string): void;
  /** Records a request refused (429) for too many failed authentications. */
  authRefused(scope: string): void;
  /** Records a client that starts being refused (`client` or `scope` threshold). */
  authBlocked(reason: string): void;
  /** Records an unexpected failure answered as an internal error. */
  internalError(): void;
  /** Records a token rotation. */
  tokenRotated(channel: string): void;
  /** Collects scrape-time values and renders the Prometheus text format. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Creates the metrics of a receiver on a fresh registry. */
export function createReceiverMetrics(options: ReceiverMetricsOptions): ReceiverMetrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const metrics = defineMetrics(registry);
  const channels = [...options.config.channels.keys()];
  const refreshBuffer = createBufferMetricsRefresher(metrics, options.buffer, channels);
  const webhookLabel = (id: string) =>
    options.config.webhooks.has(id) ? id : UNKNOWN_WEBHOOK_LABEL;

  // Children bound to their labels once: a labelled inc/observe hashes its
  // labels on every call, and these run once per accepted webhook.
  const accepted = new Map<string, { requests: Counter.Internal; bytes: Counter.Internal }>();
  function acceptedCounters(id: string) {
    const webhookId = webhookLabel(id);
    let counters = accepted.get(webhookId);
    if (counters === undefined) {
      counters = {
        requests: metrics.ingestRequests.labels({ webhook_id: webhookId, status: "200" }),
        bytes: metrics.ingestBytes.labels({ webhook_id: webhookId }),
      };
      accepted.set(webhookId, counters);
    }
    return counters;
  }
  const publishes = new Map<string, Histogram.Internal<string>>();
  function publishHistogram(channel: string, outcome: string): Histogram.Internal<string> {
    const key = `${channel}\u0000${outcome}`;
    let histogram = publishes.get(key);
    if (histogram === undefined) {
      histogram = metrics.publishDuration.labels({ channel, outcome });
      publishes.set(key, histogram);
    }
    return histogram;
  }

  // Per-delivery and per-ack counters, bound to their labels once.
  const children = new Map<Counter, Map<string, Counter.Internal>>();
  function bound(counter: Counter, key: string, labels: Record<string, string>): Counter.Internal {
    let byKey = children.get(counter);
    if (byKey === undefined) {
      byKey = new Map();
      children.set(counter, byKey);
    }
    let child = byKey.get(key);
    if (child === undefined) {
      child = counter.labels(labels);
      byKey.set(key, child);
    }
    return child;
  }

  function countConnections(): void {
    metrics.connections.reset();
    for (const channel of channels) {
      for (const connection of options.registry.list(channel)) {
        metrics.connections.inc({ channel, protocol: connection.info.protocol });
      }
    }
  }

  return {
    registry,
    ingestAccepted(event) {
      const counters = acceptedCounters(event.webhookId);
      counters.requests.inc();
      counters.bytes.inc(event.bytes);
    },
    ingestRejected(event) {
      const webhookId = webhookLabel(event.webhookId);
      metrics.ingestRequests.inc({ webhook_id: webhookId, status: String(event.status) });
      metrics.ingestRejections.inc({ webhook_id: webhookId, code: event.code });
      if (event.code === "WC_ERR_AUTH_FAILED" || event.code === "WC_ERR_AUTH_FORBIDDEN") {
        metrics.authFailures.inc({ method: event.verifier ?? "unknown" });
      }
    },
    ingestHandshake(event) {
      // Only configured webhooks answer handshakes: the label set stays bounded.
      metrics.handshakes.inc({ webhook_id: event.webhookId, provider: event.provider });
    },
    ingestAborted(event) {
      metrics.ingestAborted.inc({ webhook_id: webhookLabel(event.webhookId) });
    },
    published(observation) {
      publishHistogram(observation.channel, observation.outcome).observe(
        observation.durationMs / 1000,
      );
    },
    session(event) {
      const { channel, protocol } = event.info;
      switch (event.type) {
        case "opened":
          metrics.connectionsOpened.inc({ channel, protocol });
          break;
        case "delivered":
          bound(metrics.deliveries, `${channel}\u0000${protocol}`, { channel, protocol }).inc();
          if (event.delivery.deliveryAttempt > 1) metrics.redeliveries.inc({ channel });
          break;
        case "settled":
          bound(
            event.action === "ack" ? metrics.acks : metrics.nacks,
            `${channel}\u0000${event.outcome}`,
            { channel, outcome: event.outcome },
          ).inc();
          break;
        case "closed":
          break;
      }
    },
    authFailure(method) {
      metrics.authFailures.inc({ method });
    },
    authRefused(scope) {
      metrics.authRefused.inc({ scope });
    },
    authBlocked(reason) {
      metrics.authBlocks.inc({ reason });
    },
    internalError() {
      metrics.internalErrors.inc();
    },
    tokenRotated(channel) {
      metrics.tokenRotations.inc({ channel });
    },
    async render() {
      await refreshBuffer();
      countConnections();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
