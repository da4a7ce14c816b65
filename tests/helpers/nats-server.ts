/**
 * A private nats-server with JetStream for tests that stop and start the
 * broker (outages). It listens on 127.0.0.1 and a port that was free, keeps
 * its store in its own temporary directory, and restarts on the same port
 * and store, so stored streams and consumers survive a stop/start like a
 * real broker restart. The shared server on 4222 is never touched.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { privateServer, serverBinary } from "./private-server.js";
import { freePort, tempDir } from "./processes.js";
import { launchUntilReady, type PrivateServer, restartable } from "./server-process.js";

/** A private nats-server process (restartable on the same port and store). */
export interface PrivateNatsServer extends PrivateServer {
  /** TCP port (the same after every restart). */
  readonly port: number;
  /** JetStream store directory (the same after every restart). */
  readonly storeDir: string;
}

/**
 * natsServerBinary(): the nats-server executable, NATS_SERVER_BIN, else a
 * usual install path, else undefined. natsServerAvailable(): true when it
 * exists; when not, throws under CI=true, otherwise prints how to provide
 * one and returns false, so the caller can skip.
 */
export const { locate: natsServerBinary, installed: natsServerAvailable } = serverBinary({
  name: "nats-server",
  envVar: "NATS_SERVER_BIN",
  defaults: ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"],
  installHint: "install it (e.g. apt-get install nats-server) or set NATS_SERVER_BIN",
});

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
  return launchUntilReady(
    binary,
    ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...extraArgs],
    "Server is ready",
  );
}

/** Starts a private nats-server with JetStream on a free port and a fresh store directory. */
export async function startNatsServer(): Promise<PrivateNatsServer> {
  const binary = natsServerBinary();
  if (binary === undefined)
    throw new Error("nats-server is not installed (see natsServerAvailable)");
  const port = await freePort();
  const root = tempDir("wc-nats-");
  const storeDir = join(root, "store");
  const launch = () => launchNatsServer(binary, port, storeDir);
  const server = restartable(launch, await launch());
  return { ...privateServer(`nats://127.0.0.1:${port}`, server, root), port, storeDir };
}
