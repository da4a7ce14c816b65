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
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets: number[],
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers });
  return {
    ingestRequests: counter(
      "webhook_connect_ingest_requests_total",
      "Ingest requests answered, by webhook id and HTTP status (unconfigured ids: _unknown).",
      ["webhook_id", "status"],
    ),
    ingestRejections: counter(
      "webhook_connect_ingest_rejections_total",
      "Ingest requests rejected, by webhook id and error code.",
      ["webhook_id", "code"],
    ),
    ingestAborted: counter(
      "webhook_connect_ingest_aborted_total",
      "Ingest requests whose client went away before the answer.",
      ["webhook_id"],
    ),
    handshakes: counter(
      "webhook_connect_handshakes_total",
      "Provider handshakes answered by the receiver (not stored), by webhook id and provider.",
      ["webhook_id", "provider"],
    ),
    ingestBytes: counter("webhook_connect_ingest_bytes_total", "Body bytes of accepted webhooks.", [
      "webhook_id",
    ]),
    authFailures: counter(
      "webhook_connect_auth_failures_total",
      "Authentication failures by method (sender verifiers, channel_token, admin_token).",
      ["method"],
    ),
    authRefused: counter(
      "webhook_connect_auth_refused_total",
      "Requests refused (429) without checking credentials: too many failed authentications, by scope.",
      ["scope"],
    ),
    authBlocks: counter(
      "webhook_connect_auth_blocks_total",
      "Clients that started being refused, by the threshold that was crossed (client, scope).",
      ["reason"],
    ),
    internalErrors: counter(
      "webhook_connect_internal_errors_total",
      "Unexpected failures answered with a generic 500 or Internal (the cause is logged).",
    ),
    publishDuration: histogram(
      "webhook_connect_publish_duration_seconds",
      "Time the buffer took to store a message durably, by channel and outcome.",
      ["channel", "outcome"],
      PUBLISH_BUCKETS,
    ),
    deliveries: counter(
      "webhook_connect_deliveries_total",
      "Messages handed to connectors, by channel and protocol.",
      ["channel", "protocol"],
    ),
    redeliveries: counter(
      "webhook_connect_redeliveries_total",
      "Deliveries with delivery_attempt > 1.",
      ["channel"],
    ),
    acks: counter(
      "webhook_connect_acks_total",
      "Acks received, by channel and what the buffer did (acked, not_found, error).",
      ["channel", "outcome"],
    ),
    nacks: counter(
      "webhook_connect_nacks_total",
      "Nacks received, by channel and what the buffer did (requeued, dead_lettered, …).",
      ["channel", "outcome"],
    ),
    connectionsOpened: counter(
      "webhook_connect_connections_opened_total",
      "Connector connections opened, by channel and protocol.",
      ["channel", "protocol"],
    ),
    connections: gauge(
      "webhook_connect_connections",
      "Connector connections attached to this receiver now, by channel and protocol.",
      ["channel", "protocol"],
    ),
    tokenRotations: counter(
      "webhook_connect_token_rotations_total",
      "Channel token rotations made through this receiver.",
      ["channel"],
    ),
    queueDepth: gauge(
      "webhook_connect_queue_depth",
      "Messages stored and not yet acked by every group (from the buffer at scrape time).",
      ["channel"],
    ),
    inFlight: gauge(
      "webhook_connect_in_flight",
      "Deliveries leased and not yet settled (from the buffer at scrape time).",
      ["channel"],
    ),
    groupPending: gauge(
      "webhook_connect_group_pending",
      "Messages waiting for a group (from the buffer at scrape time).",
      ["channel", "group"],
    ),
    groupInFlight: gauge(
      "webhook_connect_group_in_flight",
      "Messages leased to a group's connections and not yet settled (from the buffer at scrape time).",
      ["channel", "group"],
    ),
    groupLag: gauge(
      "webhook_connect_group_oldest_unacked_seconds",
      "Age of the oldest message a group has not finished, pending or in flight; 0 when caught up (from the buffer at scrape time).",
      ["channel", "group"],
    ),
    deadLetters: gauge(
      "webhook_connect_dead_letters",
      "Messages in the dead-letter queue now (from the buffer at scrape time).",
      ["channel"],
    ),
    delivered: counter(
      "webhook_connect_delivered_total",
      "Acks applied by the buffer since the channel was created (all replicas).",
      ["channel"],
    ),
    expired: counter(
      "webhook_connect_expired_total",
      "Messages dropped because their TTL passed (all replicas).",
      ["channel"],
    ),
    deadLettered: counter(
      "webhook_connect_dead_lettered_total",
      "Messages moved to the dead-letter queue since the channel was created (all replicas).",
      ["channel"],
    ),
    bufferUp: gauge(
      "webhook_connect_buffer_up",
      "1 when the buffer answered the last scrape's stats requests, else 0.",
    ),
  };
}

/** The metric set of one receiver. */
export type MetricSet = ReturnType<typeof defineMetrics>;
