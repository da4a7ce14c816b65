/**
 * A private redis-server for tests that stop and start Redis (outages,
 * restarts). It listens on 127.0.0.1 and a port that was free, keeps its
 * files in its own temporary directory and sets its own persistence
 * (append-only file, fsync on every write, no RDB snapshots), so what it
 * proves does not depend on how the shared server on 6379 is configured.
 * It restarts on the same port and directory. The shared server is never
 * touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, rmSync } from "node:fs";
import { freePort, tempDir } from "./processes.js";

/** Where redis-server is looked for when REDIS_SERVER_BIN is not set. */
const DEFAULT_BINARIES = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

/** How long a start may take before it counts as failed. */
const START_TIMEOUT_MS = 15_000;

/** A private redis-server process (restartable on the same port and files). */
export interface PrivateRedisServer {
  /** Client URL, `redis://127.0.0.1:<port>`. */
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

/** The redis-server executable: REDIS_SERVER_BIN, else a usual install path, else undefined. */
function redisServerBinary(): string | undefined {
  for (const candidate of [process.env["REDIS_SERVER_BIN"], ...DEFAULT_BINARIES]) {
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
 * true when a redis-server executable exists. When none does: throws under
 * CI=true, otherwise prints how to provide one and returns false.
 */
export function redisServerAvailable(): boolean {
  if (redisServerBinary() !== undefined) return true;
  const message =
    "redis-server is not installed; install it (apt-get install redis-server) or set REDIS_SERVER_BIN";
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping private redis-server tests: ${message}`);
  return false;
}

function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const args = [
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not become ready in time; output:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
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
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts a private redis-server (AOF, `appendfsync always`) on a free port. */
export async function startRedisServer(): Promise<PrivateRedisServer> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error("redis-server is not installed");
  const port = await freePort();
  const dir = tempDir("wc-redis-");
  let child: ChildProcess | undefined = await launch(binary, port, dir);

  const server: PrivateRedisServer = {
    url: `redis://127.0.0.1:${port}`,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      if (server.running()) return;
      // Connections of the killed server linger until their clients notice;
      // until then the port may refuse a new listener.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(binary, port, dir);
          return;
        } catch (error) {
          if (attempt >= 50 || !String(error).includes("Address already in use")) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
