/**
 * The lines of the `pretty` log format: one per delivery (like
 * `stripe listen`), a summary while a backlog drains, and the connector's
 * other log records as `time LEVEL message key=value …`.
 */
import type { ConnectorEvent } from "../runner/index.js";
import type { Palette } from "./ansi.js";

type DeliveryEvent = Extract<ConnectorEvent, { type: "delivered" | "failed" }>;

const two = (n: number) => String(n).padStart(2, "0");

/** `HH:MM:SS` in local time. */
export function clock(at: Date): string {
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/**
 * One delivery: time, method, original path and query, the target's
 * status, duration and message id, coloured by outcome (green delivered,
 * yellow to be redelivered, red dead-lettered); a failure adds why.
 */
export function deliveryLine(event: DeliveryEvent, palette: Palette, at: Date): string {
  const target = event.query === "" ? event.path : `${event.path}?${event.query}`;
  const colour =
    event.type === "delivered" ? palette.green : event.retry ? palette.yellow : palette.red;
  const status = event.status === undefined ? "---" : String(event.status);
  const parts = [
    palette.dim(clock(at)),
    colour(`${(event.method || "POST").padEnd(5)} ${target}`),
    colour(`→ ${status}`),
    `${String(event.durationMs).padStart(5)} ms`,
    palette.dim(event.messageId),
  ];
  if (event.deliveryAttempt > 1) parts.push(palette.dim(`attempt ${event.deliveryAttempt}`));
  if (event.type === "failed") {
    const tries =
      event.attempts !== undefined && event.attempts > 1 ? ` (${event.attempts} tries)` : "";
    const verdict = event.retry ? "will be redelivered" : "dead-lettered";
    parts.push(colour(`${verdict}: ${event.reason}${tries}`));
  }
  return `${parts.join("  ")}\n`;
}

/** Counts shown by the drain summary. */
export interface DrainCounts {
  readonly delivered: number;
  readonly failed: number;
  /** Messages received and not yet settled. */
  readonly inFlight: number;
  /** Messages of the backlog not yet finished (see remaining.ts); left out when unknown. */
  readonly remaining?: number | undefined;
  /** Deliveries settled per second over the last interval. */
  readonly perSecond: number;
}

const count = new Intl.NumberFormat("en-US");

/** The summary line printed while a backlog drains. */
export function summaryLine(counts: DrainCounts, palette: Palette, at: Date): string {
  const failed = counts.failed === 0 ? "" : `, ${count.format(counts.failed)} failed`;
  const remaining =
    counts.remaining === undefined ? "" : ` · ${count.format(counts.remaining)} remaining`;
  return `${palette.dim(clock(at))}  ${palette.cyan(
    `⋯ ${count.format(counts.delivered)} delivered${failed}${remaining} · ${count.format(counts.inFlight)} in flight · ${count.format(Math.round(counts.perSecond))} msg/s`,
  )}\n`;
}

const levels: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Fields every pino record has, left out of the key=value list. */
const skipped = new Set(["level", "time", "pid", "hostname", "service", "msg"]);

/** A pino record (parsed JSON) as one readable line. */
export function logRecordLine(record: Record<string, unknown>, palette: Palette): string {
  const level = typeof record["level"] === "number" ? record["level"] : 30;
  const time = typeof record["time"] === "number" ? new Date(record["time"]) : new Date();
  const name = (levels[level] ?? "INFO").padEnd(5);
  const colour = level >= 50 ? palette.red : level >= 40 ? palette.yellow : palette.dim;
  const fields: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (skipped.has(key) || value === undefined) continue;
    if (key === "err" && value !== null && typeof value === "object") {
      fields.push(`error=${JSON.stringify((value as { message?: unknown }).message ?? value)}`);
      continue;
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    fields.push(`${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
  }
  const message = typeof record["msg"] === "string" ? record["msg"] : "";
  const tail = fields.length === 0 ? "" : `  ${palette.dim(fields.join(" "))}`;
  return `${palette.dim(clock(time))}  ${colour(name)} ${message}${tail}\n`;
}
