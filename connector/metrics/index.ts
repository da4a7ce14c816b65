export { type ConnectorMetrics, createConnectorMetrics } from "./connector-metrics.js";
export { type MetricsServer, startMetricsServer } from "./metrics-server.js";
