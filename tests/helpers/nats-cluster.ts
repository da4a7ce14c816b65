/**
 * A private JetStream cluster for tests and the chaos suite: `size`
 * nats-server processes on 127.0.0.1, each with its own free client and
 * route port, server name (`n1`, `n2`, …) and store directory, routed to
 * each other. A node restarts on the same ports and store, so it rejoins
 * the cluster with its streams like a real node coming back.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { launchNatsServer, natsServerBinary } from "./nats-server.js";
import { freePort, tempDir } from "./processes.js";
import { type RestartableProcess, restartable } from "./server-process.js";

/** One node of a private cluster. */
export interface ClusterNode extends RestartableProcess {
  /** Server name (`n1`, `n2`, …), as JetStream reports stream leaders. */
  readonly name: string;
  /** Client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Client port. */
  readonly port: number;
}

/** A private JetStream cluster. */
export interface PrivateNatsCluster {
  /** The nodes, `n1` first. */
  readonly nodes: readonly ClusterNode[];
  /** Every client URL, comma-separated (a buffer URL without options). */
  readonly url: string;
  /** The node called `name`; throws for an unknown name. */
  node(name: string): ClusterNode;
  /** Resolves once the JetStream API answers through a running node (a metadata leader exists). */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills every node and deletes the stores. */
  close(): Promise<void>;
}

const CLUSTER_NAME = "wc-test";

/** Starts a cluster of `size` nodes and waits until JetStream is ready. */
export async function startNatsCluster(size = 3): Promise<PrivateNatsCluster> {
  const binary = natsServerBinary();
  if (binary === undefined)
    throw new Error("nats-server is not installed (see natsServerAvailable)");
  const root = tempDir("wc-nats-cluster-");
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      route: await freePort(),
    })),
  );
  const nodes = ports.map((port, index): ClusterNode => {
    const name = `n${index + 1}`;
    const storeDir = join(root, name);
    const routes = ports
      .filter((other) => other !== port)
      .map((other) => `nats://127.0.0.1:${other.route}`)
      .join(",");
    const args = [
      "--server_name",
      name,
      "--cluster_name",
      CLUSTER_NAME,
      "--cluster",
      `nats://127.0.0.1:${port.route}`,
      "--routes",
      routes,
    ];
    return {
      name,
      url: `nats://127.0.0.1:${port.client}`,
      port: port.client,
      ...restartable(() => launchNatsServer(binary, port.client, storeDir, args)),
    };
  });

  const cluster: PrivateNatsCluster = {
    nodes,
    url: nodes.map((node) => node.url).join(","),
    node(name) {
      const found = nodes.find((node) => node.name === name);
      if (found === undefined) throw new Error(`no cluster node called '${name}'`);
      return found;
    },
    async ready(timeoutMs = 20_000) {
      const servers = nodes.filter((node) => node.running()).map((node) => node.url);
      const nc = await connect({ servers, timeout: 2_000 });
      const deadline = Date.now() + timeoutMs;
      try {
        for (;;) {
          // No event announces a metadata leader to clients: ask until the API answers.
          const answer = await nc
            .request("$JS.API.INFO", "", { timeout: 1_000 })
            .then((msg) => msg.json<{ error?: unknown }>())
            .catch(() => ({ error: "no answer" }));
          if (answer.error === undefined) return;
          if (Date.now() > deadline) {
            throw new Error(`JetStream cluster not ready within ${timeoutMs} ms`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await nc.close();
      }
    },
    async close() {
      await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((node) => node.start()));
    await cluster.ready();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
