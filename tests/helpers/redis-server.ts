/**
 * A private redis-server for tests that stop and start Redis (outages,
 * restarts). It listens on 127.0.0.1 and a port that was free, keeps its
 * files in its own temporary directory and sets its own persistence
 * (append-only file, fsync on every write, no RDB snapshots), so what it
 * proves does not depend on how the shared server on 6379 is configured.
 * It restarts on the same port and directory. The shared server is never
 * touched.
 */
import type { ChildProcess } from "node:child_process";
import { privateServer, serverBinary } from "./private-server.js";
import { freePort, tempDir } from "./processes.js";
import { launchUntilReady, type PrivateServer, restartable } from "./server-process.js";

/** A private redis-server process (restartable on the same port and files). */
export type PrivateRedisServer = PrivateServer;

/**
 * redisServerBinary(): the redis-server executable, REDIS_SERVER_BIN, else
 * a usual install path, else undefined. redisServerAvailable(): true when
 * it exists; when not, throws under CI=true, otherwise prints how to
 * provide one and returns false.
 */
export const { locate: redisServerBinary, installed: redisServerAvailable } = serverBinary({
  name: "redis-server",
  envVar: "REDIS_SERVER_BIN",
  defaults: ["/usr/bin/redis-server", "/usr/local/bin/redis-server"],
  installHint: "install it (apt-get install redis-server) or set REDIS_SERVER_BIN",
});

/**
 * Starts redis-server on 127.0.0.1:`port` with its files in `dir`, no RDB
 * snapshots and `extraArgs` (persistence, cluster mode); resolves once it
 * accepts clients.
 */
export function launchRedisServer(
  binary: string,
  port: number,
  dir: string,
  extraArgs: readonly string[],
): Promise<ChildProcess> {
  return launchUntilReady(
    binary,
    ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--save", "", ...extraArgs],
    "Ready to accept connections",
  );
}

/** Starts a private redis-server (AOF, `appendfsync always`) on a free port. */
export async function startRedisServer(): Promise<PrivateRedisServer> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error("redis-server is not installed");
  const port = await freePort();
  const dir = tempDir("wc-redis-");
  const args = ["--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"];
  const launch = () => launchRedisServer(binary, port, dir, args);
  const server = restartable(
    async () => {
      // Connections of the killed server linger until their clients notice;
      // until then the port may refuse a new listener.
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch();
        } catch (error) {
          if (attempt >= 50 || !String(error).includes("Address already in use")) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    await launch(),
  );
  return privateServer(`redis://127.0.0.1:${port}`, server, dir);
}
