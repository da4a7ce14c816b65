/**
 * A private three-node Redis Cluster (three primaries, no replicas) on free
 * ports of 127.0.0.1, each node in its own temporary directory, for tests
 * of the Redis buffer's cluster mode. Made with `redis-cli --cluster
 * create`; ready once every node reports `cluster_state:ok`.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, tempDir } from "./processes.js";
import { launchRedisServer, redisServerBinary } from "./redis-server.js";
import { exitOf } from "./server-process.js";

const run = promisify(execFile);

/** How long forming the cluster may take. */
const READY_TIMEOUT_MS = 20_000;

/** A running private cluster. */
export interface PrivateRedisCluster {
  /** One node's URL, `redis://127.0.0.1:<port>`; the client discovers the others. */
  readonly url: string;
  /** Every node's port. */
  readonly ports: readonly number[];
  /** Stops every node and deletes their files. */
  close(): Promise<void>;
}

function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  return launchRedisServer(binary, port, dir, [
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, "nodes.conf"),
    "--appendonly",
    "no",
  ]);
}

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
  return stdout.includes("cluster_state:ok");
}

/** Starts three nodes and joins them into one cluster. */
export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error("redis-server is not installed");
  const root = tempDir("wc-redis-cluster-");
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(
      children.map((child) => {
        const exited = exitOf(child);
        child.kill("SIGKILL");
        return exited;
      }),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      const dir = join(root, String(port));
      mkdirSync(dir, { recursive: true });
      children.push(await launch(binary, port, dir));
      ports.push(port);
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    // Nothing announces a formed cluster: ask each node until all agree.
    for (;;) {
      const states = await Promise.all(ports.map((port) => clusterOk(port).catch(() => false)));
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error("the Redis Cluster did not form in time");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, close };
}
