/**
 * The observability room: Prometheus metrics of a receiver, the publish
 * observer that feeds publish latency, and the log records of events.
 */
export { createMetricsHandler } from "./handler.js";
/** Log records of events: LogRecord, REDACTED_KEYS and one builder per event family. */
export * from "./log-records.js";
export {
  createReceiverMetrics,
  type ReceiverMetrics,
  type ReceiverMetricsOptions,
  UNKNOWN_WEBHOOK_LABEL,
} from "./receiver-metrics.js";
