/**
 * The observability room: Prometheus metrics of a receiver, the publish
 * observer that feeds publish latency, and the log records of events.
 */
export { createMetricsHandler } from "./handler.js";
export {
  acceptedLogLine,
  adminLogRecord,
  authThrottleLogRecord,
  bufferLogRecord,
  ingestLogRecord,
  internalErrorLogRecord,
  type LogRecord,
  REDACTED_KEYS,
  sessionLogLevel,
  sessionLogRecord,
  tokenLogRecord,
} from "./log-records.js";
export {
  createReceiverMetrics,
  type ReceiverMetrics,
  type ReceiverMetricsOptions,
  UNKNOWN_WEBHOOK_LABEL,
} from "./receiver-metrics.js";
