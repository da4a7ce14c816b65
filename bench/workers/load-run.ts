/**
 * One run of the load generator over an undici Pool: saturation (a fixed
 * number of requests outstanding), offered load (requests started on a
 * schedule, latency measured from the scheduled time so a stalled server
 * cannot hide its stall) or a fixed count.
 */
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { SampleBuffer, summarizeLatency } from "../lib/stats.js";
import type { LoadPlan, LoadProgress, LoadResult } from "./api.js";
import { nowMs, webhookBody, webhookHeaders } from "./webhook-body.js";

/** A request started this much after its scheduled time counts as late. */
const LATE_MS = 10;

/** A load run in progress. */
export interface LoadRun {
  progress(): LoadProgress;
  /** Resolves when the run is over. */
  readonly done: Promise<LoadResult>;
}

/** Starts a run of `plan`. */
export function startLoadRun(plan: LoadPlan): LoadRun {
  const url = new URL(plan.url);
  const path = url.pathname + url.search;
  const bodyBytes = plan.bodyBytes ?? 1024;
  const pool = new Pool(url.origin, {
    connections: plan.inFlight,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const runId = randomBytes(4).toString("hex");
  const latencies = new SampleBuffer();
  const statuses: Record<string, number> = {};
  const errors: string[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let late = 0;
  let outstanding = 0;
  let running = true;
  let lastAnswerAt = 0;
  const startedAt = nowMs();

  const one = async (scheduledAt: number): Promise<void> => {
    const body = webhookBody(`${runId}-${sent}`, bodyBytes);
    sent++;
    outstanding++;
    try {
      const response = await pool.request({
        path,
        method: "POST",
        headers: webhookHeaders(body, plan.signing),
        body,
      });
      await response.body.dump();
      const key = String(response.statusCode);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (response.statusCode >= 200 && response.statusCode < 300) {
        ok++;
        latencies.push(nowMs() - scheduledAt);
      } else failed++;
    } catch (error) {
      failed++;
      statuses["error"] = (statuses["error"] ?? 0) + 1;
      if (errors.length < 5) errors.push((error as Error).message);
    } finally {
      outstanding--;
      lastAnswerAt = nowMs();
    }
  };

  const loop = async (): Promise<void> => {
    if (plan.mode === "rate") await rateLoop();
    else await closedLoop();
  };

  // saturate/count: `inFlight` workers, each with one request outstanding.
  const closedLoop = async (): Promise<void> => {
    const endAt = startedAt + (plan.durationMs ?? 0);
    const total = plan.total ?? 0;
    const more = () => (plan.mode === "count" ? sent < total : nowMs() < endAt);
    const worker = async () => {
      while (more()) await one(nowMs());
    };
    await Promise.all(Array.from({ length: plan.inFlight }, worker));
  };

  const rateLoop = async (): Promise<void> => {
    const rate = plan.rate ?? 1;
    const durationMs = plan.durationMs ?? 0;
    const total = Math.floor((durationMs / 1000) * rate);
    const inFlight = new Set<Promise<void>>();
    while (sent < total) {
      const now = nowMs();
      const due = Math.min(total, Math.floor(((now - startedAt) / 1000) * rate));
      while (sent < due && outstanding < plan.inFlight) {
        const scheduledAt = startedAt + (sent / rate) * 1000;
        if (now - scheduledAt > LATE_MS) late++;
        const request = one(scheduledAt);
        inFlight.add(request);
        void request.then(() => inFlight.delete(request));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(inFlight);
  };

  const done = loop().then(async () => {
    running = false;
    await pool.close();
    const elapsedMs = Math.max(1, lastAnswerAt - startedAt);
    return {
      sent,
      ok,
      failed,
      statuses,
      late,
      elapsedMs,
      okPerSecond: (ok / elapsedMs) * 1000,
      latency: summarizeLatency(latencies.values()),
      errors,
    } satisfies LoadResult;
  });
  return {
    progress: () => ({ sent, ok, failed, running }),
    done,
  };
}
