/**
 * Reads what `wrk --latency` prints, plus the lines our Lua script adds
 * (`wc-status <code> <count>` per non-2xx status), into figures. Every
 * failure wrk can report is kept: a run with non-2xx answers or socket
 * errors must show them, never count them as success.
 */

/** One wrk run as wrk reported it. */
export interface WrkReport {
  /** Responses received (any status). */
  readonly requests: number;
  /** Length of the run in ms, as wrk measured it. */
  readonly durationMs: number;
  /** wrk's `Requests/sec` (responses of any status per second). */
  readonly requestsPerSecond: number;
  /** Latency of all responses, ms. */
  readonly latency: {
    readonly p50: number;
    readonly p75: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** `Socket errors:` line; all zero when wrk printed none. */
  readonly socketErrors: {
    readonly connect: number;
    readonly read: number;
    readonly write: number;
    readonly timeout: number;
  };
  /** wrk's own `Non-2xx or 3xx responses` (it counts status ≥ 400); 0 when absent. */
  readonly errorResponses: number;
  /** Non-2xx answers by status, from the script's `wc-status` lines. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Whether the script's `wc-done` line was seen (so `statuses` is complete). */
  readonly scriptReported: boolean;
}

const TIME_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a wrk time such as `701.00us`, `1.59ms`, `3.00s` or `1.00m` into ms. */
export function parseWrkTime(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)$/.exec(text.trim());
  if (match === null) throw new Error(`wrk: unreadable time '${text}'`);
  return Number(match[1]) * TIME_UNITS_MS[match[2]!]!;
}

function required(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (match === null) {
    throw new Error(`wrk printed no ${what}:\n${output.trim().split("\n").slice(-12).join("\n")}`);
  }
  return match;
}

/** Parses the complete output of one `wrk --latency -s <our script>` run. */
export function parseWrkOutput(output: string): WrkReport {
  const total = required(
    output,
    /^\s*(\d+) requests in ([0-9.]+(?:us|ms|s|m|h)),/m,
    "'N requests in T' line",
  );
  const rate = required(output, /^Requests\/sec:\s+([0-9.]+)/m, "Requests/sec line");
  const latencyLine = required(
    output,
    /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+%/m,
    "thread latency line",
  );
  const percentile = (p: number) =>
    parseWrkTime(
      required(
        output,
        new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+(\\S+)`, "m"),
        `${p}% latency (was --latency given?)`,
      )[1]!,
    );
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const errorResponses = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const statuses: Record<string, number> = {};
  for (const match of output.matchAll(/^wc-status (\d+) (\d+)$/gm)) {
    statuses[match[1]!] = (statuses[match[1]!] ?? 0) + Number(match[2]);
  }
  return {
    requests: Number(total[1]),
    durationMs: parseWrkTime(total[2]!),
    requestsPerSecond: Number(rate[1]),
    latency: {
      p50: percentile(50),
      p75: percentile(75),
      p90: percentile(90),
      p99: percentile(99),
      max: parseWrkTime(latencyLine[3]!),
    },
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    errorResponses: Number(errorResponses?.[1] ?? 0),
    statuses,
    scriptReported: /^wc-done$/m.test(output),
  };
}
