/**
 * CPU time and memory of a process from /proc (Linux). CPU% is the CPU
 * time a process used over a wall-clock window: 100 % is one full core, so
 * on a 2-core machine the processes of one row add up to at most 200 %.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS = 100;

/** utime + stime of a process in seconds, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces; fields restart after its ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
}

/** Resident set size of a process in bytes, or undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Roles whose CPU is reported in every row. */
export const cpuRoles = ["receiver", "connector", "loadgen", "target"] as const;

/** One of `cpuRoles`. */
export type CpuRole = (typeof cpuRoles)[number];

/** CPU% by role; a role without a process in the row is absent. */
export type CpuUsage = Partial<Record<CpuRole, number>>;

/** Measures the CPU% of some processes over a window started by `startCpuMeter`. */
export interface CpuMeter {
  /** Ends the window and returns CPU% per role. */
  stop(): CpuUsage;
}

/** Starts a CPU window over the processes given by role. */
export function startCpuMeter(pids: Partial<Record<CpuRole, number | undefined>>): CpuMeter {
  const startedAt = performance.now();
  const start = new Map<CpuRole, number>();
  for (const role of cpuRoles) {
    const pid = pids[role];
    const seconds = pid === undefined ? undefined : cpuSeconds(pid);
    if (seconds !== undefined) start.set(role, seconds);
  }
  return {
    stop() {
      const wall = (performance.now() - startedAt) / 1000;
      const usage: CpuUsage = {};
      for (const [role, before] of start) {
        const after = cpuSeconds(pids[role]!);
        if (after !== undefined && wall > 0) usage[role] = ((after - before) / wall) * 100;
      }
      return usage;
    },
  };
}
