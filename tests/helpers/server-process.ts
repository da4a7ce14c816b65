/**
 * What the private broker helpers (nats-server, redis-server, their
 * clusters) share: finding the executable, starting it and waiting for the
 * line that says it accepts clients, and a process that stops and starts
 * again on the same port and files.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** How long a start may take before it counts as failed. */
const START_TIMEOUT_MS = 15_000;

/** The first executable of `candidates` (unset and empty entries skipped), else undefined. */
export function findBinary(candidates: readonly (string | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there; try the next one.
    }
  }
  return undefined;
}

/**
 * true when `binary` is defined. When it is not: throws `message` under
 * CI=true, otherwise prints it and returns false, so the caller can skip.
 */
export function binaryAvailable(
  binary: string | undefined,
  what: string,
  message: string,
): boolean {
  if (binary !== undefined) return true;
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping ${what} tests: ${message}`);
  return false;
}

/**
 * Spawns `binary args` and resolves once its output contains `readyText`;
 * rejects if it exits first or takes longer than 15 s (then it is killed).
 * The output keeps draining afterwards so a chatty server never blocks.
 */
export function launchUntilReady(
  binary: string,
  args: readonly string[],
  readyText: string,
): Promise<ChildProcess> {
  const name = binary.split("/").pop() ?? binary;
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not become ready in time; output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes(readyText)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Resolves when `child` has exited. */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A server process that stops and starts again on the same port and files. */
export interface RestartableProcess {
  /** Process id of the running server, undefined while stopped. */
  pid(): number | undefined;
  /** true while a server process runs. */
  running(): boolean;
  /** Starts the server again; resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops the server with `signal` and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A RestartableProcess whose every start is `launch()`; `child` is one already running. */
export function restartable(
  launch: () => Promise<ChildProcess>,
  child?: ChildProcess,
): RestartableProcess {
  let current = child;
  const server: RestartableProcess = {
    pid: () => (server.running() ? current?.pid : undefined),
    running: () =>
      current !== undefined && current.exitCode === null && current.signalCode === null,
    async start() {
      if (server.running()) return;
      current = await launch();
    },
    async stop(signal = "SIGTERM") {
      const stopping = current;
      current = undefined;
      if (stopping === undefined) return;
      const exited = exitOf(stopping);
      if (stopping.exitCode === null && stopping.signalCode === null) stopping.kill(signal);
      await exited;
    },
  };
  return server;
}

/** A private server a test starts, stops and starts again, then deletes with its files. */
export interface PrivateServer {
  /** Client URL. */
  readonly url: string;
  /** true while a server process runs. */
  running(): boolean;
  /** Starts the server again (same port, same files); resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops the server with `signal` and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server and deletes its files. */
  close(): Promise<void>;
}
