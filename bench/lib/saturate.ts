/**
 * The saturating load of the ingest rows and the bare baselines: wrk when
 * it is available (a C load generator on one thread leaves the server most
 * of the second core; the undici worker needs a whole core at ~40k req/s,
 * which capped the bare baseline), else the undici worker.
 */
import { randomBytes } from "node:crypto";
import type { LoadgenApi } from "../workers/api.js";
import { webhookBody, webhookHeaders } from "../workers/webhook-body.js";
import { type Loadgen, type Measured, measureLoad } from "./measure.js";
import type { LoadgenChoice } from "./options.js";
import type { CpuRole } from "./proc-stats.js";
import { SIGNING } from "./relay.js";
import { startWorker } from "./worker.js";
import { createWrk, findOnPath } from "./wrk.js";

/** A load generator that keeps a fixed number of connections busy. */
export interface Saturator {
  /** `wrk` or `undici`, for the notes. */
  readonly name: "wrk" | "undici";
  /** Saturates `url` for about `durationMs`, with a CPU window over `pids` and the load generator. */
  run(url: string, durationMs: number, pids: Partial<Record<CpuRole, number>>): Promise<Measured>;
}

/** What a saturator needs. */
export interface SaturatorOptions {
  readonly loadgen: LoadgenChoice;
  /** Connections kept busy. */
  readonly connections: number;
  /** Size of each JSON body. @default 1024 */
  readonly bodyBytes?: number;
  /** Progress lines (the fallback note). */
  readonly log: (message: string) => void;
  /** An undici load generator already running, reused instead of starting one. */
  readonly undici?: Loadgen;
}

let fallbackNoted = false;

/** The saturator `options.loadgen` asks for; `auto` falls back to undici without wrk, with a note. */
export async function startSaturator(options: SaturatorOptions): Promise<Saturator> {
  const wrk = options.loadgen === "undici" ? undefined : findOnPath("wrk");
  if (wrk === undefined && options.loadgen === "wrk") {
    throw new Error("--loadgen wrk: no wrk on PATH (apt-get install wrk)");
  }
  if (wrk !== undefined) {
    // One fixed body per run: its signature is computed once, here.
    const body = webhookBody(`wrk-${randomBytes(4).toString("hex")}`, options.bodyBytes ?? 1024);
    const runner = createWrk(wrk, { body, headers: webhookHeaders(body, SIGNING) });
    return {
      name: "wrk",
      run: (url, durationMs, pids) => runner.run(url, options.connections, durationMs, pids),
    };
  }
  if (options.loadgen === "auto" && !fallbackNoted) {
    fallbackNoted = true;
    options.log(
      "no wrk on PATH: saturating with the undici worker, which may cap the bare baseline (apt-get install wrk)",
    );
  }
  const loadgen = options.undici ?? (await startWorker<LoadgenApi>("loadgen"));
  return {
    name: "undici",
    run: (url, durationMs, pids) =>
      measureLoad(
        loadgen,
        {
          url,
          mode: "saturate",
          inFlight: options.connections,
          durationMs,
          signing: SIGNING,
          ...(options.bodyBytes === undefined ? {} : { bodyBytes: options.bodyBytes }),
        },
        pids,
      ),
  };
}
