/**
 * Saturating load from wrk: one thread, a fixed 1 KiB HMAC-signed JSON
 * body per run (written into a small Lua script with its signature), and
 * the CPU% of the wrk process itself, so the table shows whether the load
 * generator or the server was the limit.
 */
import { accessSync, constants, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { tempDir } from "../../tests/helpers/processes.js";
import type { LoadResult } from "../workers/api.js";
import { onCleanup, spawnProcess } from "./children.js";
import type { Measured } from "./measure.js";
import { type CpuRole, cpuSeconds, startCpuMeter } from "./proc-stats.js";
import { parseWrkOutput, type WrkReport } from "./wrk-output.js";

/** The absolute path of `binary` on PATH, or undefined. */
export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, binary);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What every request of a wrk run carries. */
export interface WrkRequest {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

function luaString(text: string): string {
  // A long bracket needs no escaping; pick a level the text does not close.
  let level = "";
  while (text.includes(`]${level}]`)) level += "=";
  return `[${level}[${text}]${level}]`;
}

/**
 * The Lua script: POST with the fixed body and headers, non-2xx answers
 * counted by status in the thread and printed by `done` as
 * `wc-status <code> <count>`, then `wc-done`.
 */
export function wrkScript(request: WrkRequest): string {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
    .join("\n");
  return `wrk.method = "POST"
wrk.body = ${luaString(request.body.toString("latin1"))}
${headers}

local threads = {}
function setup(thread) table.insert(threads, thread) end

statuses = {}
function response(status, headers, body)
  if status < 200 or status > 299 then statuses[status] = (statuses[status] or 0) + 1 end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      io.write(string.format("wc-status %d %d\\n", code, count))
    end
  end
  io.write("wc-done\\n")
end
`;
}

/** The figures of a wrk run in the load generator's result shape. */
export function wrkLoadResult(report: WrkReport): LoadResult {
  const non2xx = report.scriptReported
    ? Object.values(report.statuses).reduce((sum, n) => sum + n, 0)
    : report.errorResponses;
  const { connect, read, write, timeout } = report.socketErrors;
  const socketErrors = connect + read + write + timeout;
  const ok = report.requests - non2xx;
  const statuses: Record<string, number> = { "2xx": ok };
  if (report.scriptReported) Object.assign(statuses, report.statuses);
  else if (non2xx > 0) statuses["≥400"] = non2xx;
  if (socketErrors > 0) statuses["socket error"] = socketErrors;
  const errors: string[] = [];
  if (socketErrors > 0) {
    errors.push(
      `socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}`,
    );
  }
  if (!report.scriptReported) {
    errors.push("the wrk script reported no statuses; only wrk's own ≥400 count is known");
  }
  return {
    sent: report.requests + socketErrors,
    ok,
    failed: non2xx + socketErrors,
    statuses,
    late: 0,
    elapsedMs: report.durationMs,
    okPerSecond: (ok / report.durationMs) * 1000,
    latency: { count: report.requests, ...report.latency },
    errors,
  };
}

/** A wrk binary with its script for one request shape. */
export interface Wrk {
  /** Saturates `url` for `durationMs` (whole seconds, at least 1) with a CPU window over `pids` and wrk. */
  run(
    url: string,
    connections: number,
    durationMs: number,
    pids: Partial<Record<CpuRole, number>>,
  ): Promise<Measured>;
}

/** CPU% of a process over its life, sampled from /proc while it runs. */
function sampleCpu(pid: number, everyMs = 100): { stop(): number | undefined } {
  const first = { at: performance.now(), cpu: cpuSeconds(pid) };
  let last = first;
  const timer = setInterval(() => {
    const cpu = cpuSeconds(pid);
    if (cpu !== undefined) last = { at: performance.now(), cpu };
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      if (first.cpu === undefined || last.cpu === undefined || last.at === first.at) {
        return undefined;
      }
      return ((last.cpu - first.cpu) / ((last.at - first.at) / 1000)) * 100;
    },
  };
}

/** Prepares wrk at `binary` to send `request`. */
export function createWrk(binary: string, request: WrkRequest): Wrk {
  const dir = tempDir("wc-bench-wrk-");
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "post.lua");
  writeFileSync(script, wrkScript(request));
  return {
    async run(url, connections, durationMs, pids) {
      const seconds = Math.max(1, Math.round(durationMs / 1000));
      const child = spawnProcess("wrk", binary, {
        args: [
          ...["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "--latency"],
          ...["-s", script, url],
        ],
      });
      const meter = startCpuMeter(pids);
      const wrkCpu = sampleCpu(child.pid);
      const code = await child.exited;
      const loadgen = wrkCpu.stop();
      const cpu = meter.stop();
      if (code !== 0) throw new Error(`wrk exited (${code}):\n${child.output().trim()}`);
      const load = wrkLoadResult(parseWrkOutput(child.output()));
      return { load, cpu: loadgen === undefined ? cpu : { ...cpu, loadgen } };
    },
  };
}
