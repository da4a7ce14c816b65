/**
 * Idle-connector process for the memory scenario: holds many idle streams
 * of one transport open against a receiver until told to close them.
 */
import type { IdleClientsApi, IdleResult } from "./api.js";
import { openIdleHttpStreams } from "./idle-http.js";
import { openIdleRpcStreams } from "./idle-rpc.js";
import { Liveness } from "./liveness.js";
import { serveWorker } from "./serve.js";

let current: AbortController | undefined;
const liveness = new Liveness();
let open: readonly number[] = [];

serveWorker<IdleClientsApi>(
  {
    async open(plan): Promise<IdleResult> {
      current?.abort();
      const controller = new AbortController();
      current = controller;
      liveness.clear();
      const startedAt = performance.now();
      const rpc = plan.protocol === "grpc" || plan.protocol === "connect";
      const { opened, errors } = rpc
        ? await openIdleRpcStreams(plan, controller.signal, liveness)
        : await openIdleHttpStreams(plan, controller.signal, liveness);
      open = opened;
      return {
        opened: opened.length,
        failed: plan.count - opened.length,
        ...(errors[0] === undefined ? {} : { firstError: errors[0] }),
        elapsedMs: performance.now() - startedAt,
      };
    },
    async alive(timeoutMs) {
      return { alive: await liveness.check(open, timeoutMs), of: open.length };
    },
    close() {
      current?.abort();
      current = undefined;
      open = [];
      return null;
    },
  },
  {},
);
