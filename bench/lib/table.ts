/**
 * The one markdown table every scenario prints into: the figure, the
 * baseline it is compared with, the ratio, the issue #7 target, and CPU%
 * per process so a reader sees where the time goes.
 */
import { type CpuUsage, cpuRoles } from "./proc-stats.js";

/** One configuration's result. */
export interface Row {
  /** Scenario name (`ingest`, `backlog`, …). */
  readonly scenario: string;
  /** What was measured (`sqlite + HMAC`, `grpc`, `5000/s offered`, …). */
  readonly configuration: string;
  /** The figure with its unit (`28,400 req/s`). */
  readonly result: string;
  /** The baseline and its figure (`bare Node 45,100 req/s`), or `–`. */
  readonly baseline: string;
  /** result ÷ baseline, when there is one. */
  readonly ratio?: number;
  /** Lower bound the ratio should reach (issue #7). */
  readonly targetRatio?: number;
  /** Upper bound the result should stay under (issue #7), with its text. */
  readonly targetMax?: { readonly value: number; readonly actual: number; readonly text: string };
  /** Latencies, errors, skip reasons. */
  readonly notes: string;
  /** CPU% per process over the measured window. */
  readonly cpu: CpuUsage;
}

/** The table's header lines. */
export function tableHeader(): string {
  const columns = [
    "scenario",
    "configuration",
    "result",
    "baseline",
    "ratio",
    "target",
    "notes",
    ...cpuRoles.map((role) => `CPU% ${role}`),
  ];
  return `| ${columns.join(" | ")} |\n|${columns.map((_, i) => (i >= 2 && i !== 3 && i !== 6 ? "---:" : "---")).join("|")}|`;
}

/** Formats an integer-ish figure with thousands separators. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

/** Formats milliseconds compactly (`0.84 ms`, `12 ms`, `3.2 s`). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function targetCell(row: Row): string {
  if (row.targetRatio !== undefined) {
    const met = row.ratio !== undefined && row.ratio >= row.targetRatio;
    return `≥ ${row.targetRatio.toFixed(2)}× ${met ? "met" : "**missed**"}`;
  }
  if (row.targetMax !== undefined) {
    const met = row.targetMax.actual <= row.targetMax.value;
    return `${row.targetMax.text} ${met ? "met" : "**missed**"}`;
  }
  return "";
}

/** One markdown row. */
export function formatRow(row: Row): string {
  const cells = [
    row.scenario,
    row.configuration,
    row.result,
    row.baseline,
    row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`,
    targetCell(row),
    row.notes.replaceAll("|", "/"),
    ...cpuRoles.map((role) => {
      const value = row.cpu[role];
      return value === undefined ? "" : value.toFixed(0);
    }),
  ];
  return `| ${cells.join(" | ")} |`;
}
