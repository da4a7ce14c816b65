/**
 * Every process a benchmark starts goes through here, so that a normal end,
 * an error and Ctrl-C all stop the same set of processes and run the same
 * clean-up hooks (NATS streams, temporary directories).
 */
import { type ChildProcess, spawn } from "node:child_process";

/** A process started by the benchmark, with its output collected. */
export interface BenchChild {
  /** Name used in progress lines and errors. */
  readonly name: string;
  /** The Node child process. */
  readonly process: ChildProcess;
  /** Process id (known once spawned). */
  readonly pid: number;
  /** Everything written to stdout and stderr so far (last 1 MiB). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code, or the signal name. */
  readonly exited: Promise<number | string>;
  /** Sends `signal`, escalates to SIGKILL after `graceMs`, resolves on exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/** How to start a child. */
export interface SpawnOptions {
  /** Arguments after the executable (for Node: node flags, script, script args). */
  readonly args: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Open an IPC channel (workers). @default false */
  readonly ipc?: boolean;
  /** Working directory. @default process.cwd() */
  readonly cwd?: string;
}

const OUTPUT_LIMIT = 1 << 20;
const running = new Set<BenchChild>();
const cleanups: Array<() => Promise<void>> = [];

/** Starts `node <args>` and tracks it until it exits. */
export function spawnNode(name: string, options: SpawnOptions): BenchChild {
  return spawnProcess(name, process.execPath, options);
}

/** Starts `command <args>` (a load generator such as wrk) and tracks it until it exits. */
export function spawnProcess(name: string, command: string, options: SpawnOptions): BenchChild {
  const child = spawn(command, [...options.args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: options.ipc === true ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2);
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const handle: BenchChild = {
    name,
    process: child,
    pid: child.pid,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let done = false;
        const finish = (error: Error | undefined, value = "") => {
          if (done) return;
          done = true;
          listeners.delete(check);
          clearTimeout(timer);
          if (error === undefined) resolve(value);
          else reject(error);
        };
        const check = () => {
          const match = pattern.exec(output);
          if (match !== null) finish(undefined, match[0]);
        };
        const timer = setTimeout(
          () => finish(new Error(`${name}: no output matching ${pattern}:\n${tail(output)}`)),
          timeoutMs,
        );
        listeners.add(check);
        void exited.then((code) =>
          finish(new Error(`${name} exited (${code}) before ${pattern}:\n${tail(output)}`)),
        );
        check();
      });
    },
    async stop(signal = "SIGTERM", graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** The last lines of a process's output, for error messages. */
export function tail(output: string, lines = 15): string {
  return output.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Registers a clean-up run once by `stopEverything` (last registered runs first). */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** Stops every running child (SIGTERM, then SIGKILL) and runs the clean-up hooks. */
export async function stopEverything(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop("SIGTERM", 3_000)));
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    await fn().catch((error: unknown) => {
      process.stderr.write(`bench: clean-up failed: ${(error as Error).message}\n`);
    });
  }
}

/** On SIGINT/SIGTERM: stop everything, then exit 130. */
export function stopEverythingOnSignals(): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\nbench: ${signal}, stopping every process it started…\n`);
    void stopEverything().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
