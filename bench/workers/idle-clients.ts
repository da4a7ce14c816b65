/**
 * Idle-connector process for the memory scenario: holds many idle streams
 * of one transport open against a receiver until told to close them.
 */
import type { IdleClientsApi, IdleResult } from "./api.js";
import { openIdleHttpStreams } from "./idle-http.js";
import { openIdleRpcStreams } from "./idle-rpc.js";
import { serveWorker } from "./serve.js";

let current: AbortController | undefined;

serveWorker<IdleClientsApi>(
  {
    async open(plan): Promise<IdleResult> {
      current?.abort();
      const controller = new AbortController();
      current = controller;
      const startedAt = performance.now();
      const rpc = plan.protocol === "grpc" || plan.protocol === "connect";
      const { opened, errors } = rpc
        ? await openIdleRpcStreams(plan, controller.signal)
        : await openIdleHttpStreams(plan, controller.signal);
      return {
        opened,
        failed: plan.count - opened,
        ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
        elapsedMs: performance.now() - startedAt,
      };
    },
    close() {
      current?.abort();
      current = undefined;
      return null;
    },
  },
  {},
);
