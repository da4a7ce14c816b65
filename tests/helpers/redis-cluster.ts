/**
 * A private three-node Redis Cluster (three primaries, no replicas) on free
 * ports of 127.0.0.1, each node in its own temporary directory, for tests
 * of the Redis buffer's cluster mode. Made with `redis-cli --cluster
 * create`; ready once every node reports `cluster_state:ok`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, tempDir } from "./processes.js";

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

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      dir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, "nodes.conf"),
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)));
    child.once("error", reject);
  });
}

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
  return stdout.includes("cluster_state:ok");
}

/** Starts three nodes and joins them into one cluster. */
export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  const root = tempDir("wc-redis-cluster-");
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      const dir = join(root, String(port));
      mkdirSync(dir, { recursive: true });
      children.push(await launch(port, dir));
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
