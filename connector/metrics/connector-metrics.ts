/**
 * Prometheus metrics of a connector, fed by the runner's typed events:
 * deliveries by target and outcome, delivery latency, reconnects, connect
 * failures and the transport in use. Each connector has its own registry.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ConnectorEvent } from "../runner/index.js";

/** The metrics of one connector. */
export interface ConnectorMetrics {
  /** The registry to serve. */
  readonly registry: Registry;
  /** Updates the metrics from one runner event. */
  observe(event: ConnectorEvent): void;
}

/**
 * Creates the metrics. `targetOf` names the target a webhook id is
 * delivered to (`default`, the `targets` key, or `modules`).
 */
export function createConnectorMetrics(targetOf: (webhookId: string) => string): ConnectorMetrics {
  const registry = new Registry();
  const deliveries = new Counter({
    name: "webhook_connect_connector_deliveries_total",
    help: "Deliveries by target and outcome (ack, retry = nack for redelivery, reject = dead letter).",
    labelNames: ["target", "outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "webhook_connect_connector_delivery_duration_seconds",
    help: "Time from taking a message to its successful delivery, local retries included.",
    labelNames: ["target"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const redeliveries = new Counter({
    name: "webhook_connect_connector_redeliveries_total",
    help: "Messages received with delivery_attempt > 1.",
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "webhook_connect_connector_duplicates_total",
    help: "Redelivered messages acked without delivering again (already delivered or running).",
    registers: [registry],
  });
  const reconnects = new Counter({
    name: "webhook_connect_connector_reconnects_total",
    help: "Reconnect attempts scheduled after a session ended or failed to open.",
    registers: [registry],
  });
  const connectFailures = new Counter({
    name: "webhook_connect_connector_connect_failures_total",
    help: "Sessions that could not be opened, by error code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const connected = new Gauge({
    name: "webhook_connect_connector_connected",
    help: "1 for the transport of the open session, 0 otherwise.",
    labelNames: ["transport"] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(event) {
      switch (event.type) {
        case "delivered":
          deliveries.inc({ target: targetOf(event.webhookId), outcome: "ack" });
          latency.observe({ target: targetOf(event.webhookId) }, event.durationMs / 1000);
          if (event.deliveryAttempt > 1) redeliveries.inc();
          break;
        case "failed":
          deliveries.inc({
            target: targetOf(event.webhookId),
            outcome: event.retry ? "retry" : "reject",
          });
          if (event.deliveryAttempt > 1) redeliveries.inc();
          break;
        case "duplicate":
          duplicates.inc();
          break;
        case "reconnecting":
          reconnects.inc();
          break;
        case "connect_failed":
          connectFailures.inc({ code: event.code });
          break;
        case "connected":
          connected.reset();
          connected.set({ transport: event.transport }, 1);
          break;
        case "disconnected":
          connected.set({ transport: event.transport }, 0);
          break;
        default:
          break;
      }
    },
  };
}
