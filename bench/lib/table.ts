/**
 * The one markdown table every scenario prints into: the figure, the
 * baseline it is compared with, the ratio, the targets (issues #7, #12,
 * #13) met or missed, and CPU% per process so a reader sees where the
 * time goes.
 */
import { type CpuUsage, cpuRoles } from "./proc-stats.js";

/** One target a row is checked against. */
export interface Check {
  /** What is required, e.g. `≥ 0.55× bare` or `e2e p50 ≤ 3× direct (2.1 ms)`. */
  readonly text: string;
  /** Whether this run met it. */
  readonly met: boolean;
}

/** `ratio ≥ target`, labelled with what the ratio is against when a row has more than one. */
export function ratioAtLeast(ratio: number, target: number, against?: string): Check {
  return {
    text: `≥ ${target.toFixed(2)}×${against === undefined ? "" : ` ${against}`}`,
    met: ratio >= target,
  };
}

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
  /** result ÷ the backend's anchor (a minimal server doing the same durable work), when there is one. */
  readonly anchorRatio?: number;
  /** Targets of the row, each shown as met or missed. */
  readonly targets?: readonly Check[];
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
  return (row.targets ?? [])
    .map((check) => `${check.text} ${check.met ? "met" : "**missed**"}`)
    .join("; ");
}

function ratioCell(row: Row): string {
  const ratio = row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`;
  if (row.anchorRatio === undefined) return ratio;
  return `${ratio}; ${row.anchorRatio.toFixed(2)}× anchor`;
}

/** One markdown row. */
export function formatRow(row: Row): string {
  const cells = [
    row.scenario,
    row.configuration,
    row.result,
    row.baseline,
    ratioCell(row),
    targetCell(row),
    row.notes.replaceAll("|", "/"),
    ...cpuRoles.map((role) => {
      const value = row.cpu[role];
      return value === undefined ? "" : value.toFixed(0);
    }),
  ];
  return `| ${cells.join(" | ")} |`;
}
