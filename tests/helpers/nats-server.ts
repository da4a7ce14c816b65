/**
 * A private nats-server with JetStream for tests that stop and start the
 * broker (outages). It listens on 127.0.0.1 and a port that was free, keeps
 * its store in its own temporary directory, and restarts on the same port
 * and store, so stored streams and consumers survive a stop/start like a
 * real broker restart. The shared server on 4222 is never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir } from "./processes.js";

/** Where nats-server is looked for when NATS_SERVER_BIN is not set. */
const DEFAULT_BINARIES = [
  "/usr/sbin/nats-server",
  "/usr/local/bin/nats-server",
  "/usr/bin/nats-server",
];

/** How long a start may take before it counts as failed. */
const START_TIMEOUT_MS = 15_000;

/** A private nats-server process (restartable on the same port and store). */
export interface PrivateNatsServer {
  /** Client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** TCP port (the same after every restart). */
  readonly port: number;
  /** JetStream store directory (the same after every restart). */
  readonly storeDir: string;
  /** true while a server process runs. */
  running(): boolean;
  /** Starts the server again (same port, same store); resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops the server with `signal` and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server and deletes its store. */
  close(): Promise<void>;
}

/** The nats-server executable: NATS_SERVER_BIN, else a usual install path, else undefined. */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env["NATS_SERVER_BIN"], ...DEFAULT_BINARIES];
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
 * true when a nats-server executable exists. When none does: throws under
 * CI=true, otherwise prints how to provide one and returns false, so the
 * caller can skip.
 */
export function natsServerAvailable(): boolean {
  if (natsServerBinary() !== undefined) return true;
  const message =
    "nats-server is not installed; install it (e.g. apt-get install nats-server) or set NATS_SERVER_BIN";
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping private nats-server tests: ${message}`);
  return false;
}

/**
 * Starts nats-server with JetStream on 127.0.0.1:`port`, its store in
 * `storeDir` and `extraArgs` (cluster settings); resolves once it accepts
 * clients.
 */
export function launchNatsServer(
  binary: string,
  port: number,
  storeDir: string,
  extraArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server did not become ready in time; output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Server is ready")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${output}`));
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

/** Starts a private nats-server with JetStream on a free port and a fresh store directory. */
export async function startNatsServer(): Promise<PrivateNatsServer> {
  const binary = natsServerBinary();
  if (binary === undefined)
    throw new Error("nats-server is not installed (see natsServerAvailable)");
  const port = await freePort();
  const root = tempDir("wc-nats-");
  const storeDir = join(root, "store");
  let child: ChildProcess | undefined = await launchNatsServer(binary, port, storeDir);

  const server: PrivateNatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) return;
      child = await launchNatsServer(binary, port, storeDir);
    },
    async stop(signal = "SIGTERM") {
      const current = child;
      child = undefined;
      if (current === undefined) return;
      const exited = exitOf(current);
      if (current.exitCode === null && current.signalCode === null) current.kill(signal);
      await exited;
    },
    async close() {
      await server.stop("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
  return server;
}
