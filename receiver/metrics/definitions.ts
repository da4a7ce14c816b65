/**
 * Every metric a receiver exports, registered on one prom-client Registry
 * per receiver (never the global one, so several receivers in one process
 * do not collide). Names and labels are listed in docs/metrics.md.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Buckets of the publish latency histogram, in seconds. */
export const PUBLISH_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Creates the receiver's metrics on `registry`. */
export function defineMetrics(registry: Registry) {
  const registers = [registry];
  return {
    ingestRequests: new Counter({
      name: "webhook_connect_ingest_requests_total",
      help: "Ingest requests answered, by webhook id and HTTP status (unconfigured ids: _unknown).",
      labelNames: ["webhook_id", "status"] as const,
      registers,
    }),
    ingestRejections: new Counter({
      name: "webhook_connect_ingest_rejections_total",
      help: "Ingest requests rejected, by webhook id and error code.",
      labelNames: ["webhook_id", "code"] as const,
      registers,
    }),
    ingestAborted: new Counter({
      name: "webhook_connect_ingest_aborted_total",
      help: "Ingest requests whose client went away before the answer.",
      labelNames: ["webhook_id"] as const,
      registers,
    }),
    handshakes: new Counter({
      name: "webhook_connect_handshakes_total",
      help: "Provider handshakes answered by the receiver (not stored), by webhook id and provider.",
      labelNames: ["webhook_id", "provider"] as const,
      registers,
    }),
    ingestBytes: new Counter({
      name: "webhook_connect_ingest_bytes_total",
      help: "Body bytes of accepted webhooks.",
      labelNames: ["webhook_id"] as const,
      registers,
    }),
    authFailures: new Counter({
      name: "webhook_connect_auth_failures_total",
      help: "Authentication failures by method (sender verifiers, channel_token, admin_token).",
      labelNames: ["method"] as const,
      registers,
    }),
    authRefused: new Counter({
      name: "webhook_connect_auth_refused_total",
      help: "Requests refused (429) without checking credentials: too many failed authentications, by scope.",
      labelNames: ["scope"] as const,
      registers,
    }),
    authBlocks: new Counter({
      name: "webhook_connect_auth_blocks_total",
      help: "Clients that started being refused, by the threshold that was crossed (client, scope).",
      labelNames: ["reason"] as const,
      registers,
    }),
    internalErrors: new Counter({
      name: "webhook_connect_internal_errors_total",
      help: "Unexpected failures answered with a generic 500 or Internal (the cause is logged).",
      registers,
    }),
    publishDuration: new Histogram({
      name: "webhook_connect_publish_duration_seconds",
      help: "Time the buffer took to store a message durably, by channel and outcome.",
      labelNames: ["channel", "outcome"] as const,
      buckets: PUBLISH_BUCKETS,
      registers,
    }),
    deliveries: new Counter({
      name: "webhook_connect_deliveries_total",
      help: "Messages handed to connectors, by channel and protocol.",
      labelNames: ["channel", "protocol"] as const,
      registers,
    }),
    redeliveries: new Counter({
      name: "webhook_connect_redeliveries_total",
      help: "Deliveries with delivery_attempt > 1.",
      labelNames: ["channel"] as const,
      registers,
    }),
    acks: new Counter({
      name: "webhook_connect_acks_total",
      help: "Acks received, by channel and what the buffer did (acked, not_found, error).",
      labelNames: ["channel", "outcome"] as const,
      registers,
    }),
    nacks: new Counter({
      name: "webhook_connect_nacks_total",
      help: "Nacks received, by channel and what the buffer did (requeued, dead_lettered, …).",
      labelNames: ["channel", "outcome"] as const,
      registers,
    }),
    connectionsOpened: new Counter({
      name: "webhook_connect_connections_opened_total",
      help: "Connector connections opened, by channel and protocol.",
      labelNames: ["channel", "protocol"] as const,
      registers,
    }),
    connections: new Gauge({
      name: "webhook_connect_connections",
      help: "Connector connections attached to this receiver now, by channel and protocol.",
      labelNames: ["channel", "protocol"] as const,
      registers,
    }),
    tokenRotations: new Counter({
      name: "webhook_connect_token_rotations_total",
      help: "Channel token rotations made through this receiver.",
      labelNames: ["channel"] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: "webhook_connect_queue_depth",
      help: "Messages stored and not yet acked by every group (from the buffer at scrape time).",
      labelNames: ["channel"] as const,
      registers,
    }),
    inFlight: new Gauge({
      name: "webhook_connect_in_flight",
      help: "Deliveries leased and not yet settled (from the buffer at scrape time).",
      labelNames: ["channel"] as const,
      registers,
    }),
    groupPending: new Gauge({
      name: "webhook_connect_group_pending",
      help: "Messages waiting for a group (from the buffer at scrape time).",
      labelNames: ["channel", "group"] as const,
      registers,
    }),
    groupInFlight: new Gauge({
      name: "webhook_connect_group_in_flight",
      help: "Messages leased to a group's connections and not yet settled (from the buffer at scrape time).",
      labelNames: ["channel", "group"] as const,
      registers,
    }),
    groupLag: new Gauge({
      name: "webhook_connect_group_oldest_unacked_seconds",
      help: "Age of the oldest message a group has not finished, pending or in flight; 0 when caught up (from the buffer at scrape time).",
      labelNames: ["channel", "group"] as const,
      registers,
    }),
    deadLetters: new Gauge({
      name: "webhook_connect_dead_letters",
      help: "Messages in the dead-letter queue now (from the buffer at scrape time).",
      labelNames: ["channel"] as const,
      registers,
    }),
    delivered: new Counter({
      name: "webhook_connect_delivered_total",
      help: "Acks applied by the buffer since the channel was created (all replicas).",
      labelNames: ["channel"] as const,
      registers,
    }),
    expired: new Counter({
      name: "webhook_connect_expired_total",
      help: "Messages dropped because their TTL passed (all replicas).",
      labelNames: ["channel"] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: "webhook_connect_dead_lettered_total",
      help: "Messages moved to the dead-letter queue since the channel was created (all replicas).",
      labelNames: ["channel"] as const,
      registers,
    }),
    bufferUp: new Gauge({
      name: "webhook_connect_buffer_up",
      help: "1 when the buffer answered the last scrape's stats requests, else 0.",
      registers,
    }),
  };
}

/** The metric set of one receiver. */
export type MetricSet = ReturnType<typeof defineMetrics>;
