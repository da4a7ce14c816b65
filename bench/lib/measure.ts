/**
 * Shared measuring steps: a load run with a CPU window around it, the
 * worker handles, and small waits.
 */
import type { LoadgenApi, LoadPlan, LoadResult, TargetApi } from "../workers/api.js";
import { type CpuRole, type CpuUsage, startCpuMeter } from "./proc-stats.js";
import { formatCount, formatMs } from "./table.js";
import type { Worker } from "./worker.js";

/** The load generator worker. */
export type Loadgen = Worker<LoadgenApi>;

/** The target worker. */
export type TargetWorker = Worker<TargetApi>;

/** A load run and the CPU% of the processes involved. */
export interface Measured {
  readonly load: LoadResult;
  readonly cpu: CpuUsage;
}

/** Runs `plan` on the load generator with a CPU window over `pids` (loadgen included). */
export async function measureLoad(
  loadgen: Loadgen,
  plan: LoadPlan,
  pids: Partial<Record<CpuRole, number>>,
): Promise<Measured> {
  const meter = startCpuMeter({ ...pids, loadgen: loadgen.pid });
  const load = await loadgen.call("run", plan);
  return { load, cpu: meter.stop() };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `p50 0.84 ms, p99 3.1 ms` of a load run, plus non-2xx counts when there were any. */
export function describeLoad(load: LoadResult): string {
  const parts = [`p50 ${formatMs(load.latency.p50)}`, `p99 ${formatMs(load.latency.p99)}`];
  if (load.failed > 0) {
    const statuses = Object.entries(load.statuses)
      .filter(([status]) => !status.startsWith("2"))
      .map(([status, count]) => `${formatCount(count)}×${status}`);
    parts.push(`**failed ${statuses.join(", ")}**`);
  }
  if (load.late > 0) parts.push(`${formatCount(load.late)} started late`);
  return parts.join(", ");
}
