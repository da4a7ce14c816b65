/** `GET /metrics`: the Prometheus text format of one receiver's registry. */
import type { AnyRequest, AnyResponse } from "../server/index.js";
import type { ReceiverMetrics } from "./receiver-metrics.js";

/** Creates the handler for the router's `metrics` slot. */
export function createMetricsHandler(
  metrics: ReceiverMetrics,
): (req: AnyRequest, res: AnyResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end("method not allowed\n");
      return;
    }
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" });
    res.end(body);
  };
}
