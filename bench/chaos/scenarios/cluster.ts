/**
 * A 3-node JetStream cluster with replicas=3, two receivers and two
 * connectors (attached through a load-balancing TCP proxy, one on each
 * receiver), under steady ingest spread over both receivers. One after the
 * other: `kill -9` of the stream leader's node (restarted once the cluster
 * recovered without it), of a node that leads nothing of the stream, of one
 * receiver and of one connector (each restarted afterwards).
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { channelStream } from "../../../receiver/buffer/jetstream/index.js";
import { startNatsCluster } from "../../../tests/helpers/nats-cluster.js";
import { natsServerBinary } from "../../../tests/helpers/nats-server.js";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { startTcpProxy } from "../tcp-proxy.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, closeOnExit, ScenarioSkipped, stopAndDrain } from "./scenario.js";

const ROWS = [
  "NATS cluster (R3): kill -9 the stream leader's node, restart it",
  "NATS cluster (R3): kill -9 a non-leader node, restart it",
  "NATS cluster (R3): kill -9 one of two receivers, restart it",
  "NATS cluster (R3): kill -9 one of two connectors, restart it",
] as const;

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  if (natsServerBinary() === undefined) {
    throw new ScenarioSkipped("nats-server is not installed (apt-get install nats-server)");
  }
  const cluster = await startNatsCluster(3);
  const closeCluster = closeOnExit(() => cluster.close());
  const world = new ChaosWorld();
  const inspector = await connect({ servers: cluster.url.split(","), name: "chaos-inspector" });
  const target = await startChaosTarget(ledger);
  try {
    const bufferUrl = `${cluster.url}?replicas=3`;
    const [a, b] = await Promise.all([
      world.receiver("receiver-a", bufferUrl),
      world.receiver("receiver-b", bufferUrl),
    ]);
    const balancer = await startTcpProxy([a.port, b.port]);
    const connectorA = await world.connector("connector-a", balancer.url, target.url);
    await world.connector("connector-b", balancer.url, target.url);
    const jsm = await jetstreamManager(inspector);
    const stream = channelStream(world.channel);
    const leaderOfStream = async (): Promise<string> => {
      for (;;) {
        const leader = await jsm.streams
          .info(stream)
          .then((info) => info.cluster?.leader)
          .catch(() => undefined);
        if (leader !== undefined) return leader;
        await hold(200);
      }
    };
    log(`cluster ${cluster.url}, receivers ${a.url} ${b.url}, balancer ${balancer.url}`);

    ledger.row = ROWS[0];
    const load = startLoad({ ledger, urls: () => [a.ingestUrl, b.ingestUrl], rate: 60 });
    await hold(4_000);

    const leader = cluster.node(await leaderOfStream());
    log(`kill -9 ${leader.name} (leads ${stream})`);
    ledger.fault();
    await leader.stop("SIGKILL");
    await hold(15_000);
    log(`new leader ${await leaderOfStream()}; restarting ${leader.name}`);
    await leader.start();
    await hold(6_000);

    ledger.row = ROWS[1];
    const current = await leaderOfStream();
    const follower = cluster.nodes.find((node) => node.name !== current)!;
    log(`kill -9 ${follower.name} (stream leader is ${current})`);
    ledger.fault();
    await follower.stop("SIGKILL");
    await hold(10_000);
    await follower.start();
    await hold(5_000);

    ledger.row = ROWS[2];
    log(`kill -9 ${a.name}`);
    ledger.fault();
    await a.kill();
    await hold(8_000);
    await a.start();
    await hold(4_000);

    ledger.row = ROWS[3];
    log(`kill -9 ${connectorA.name}`);
    ledger.fault();
    await connectorA.kill();
    await hold(8_000);
    await connectorA.start();
    await hold(4_000);

    await stopAndDrain(ledger, load, log);
    await balancer.close();
  } finally {
    await world.close();
    await target.close();
    await inspector.close();
    await closeCluster();
  }
}

/** The replicated cluster scenario (issue #18, item 1). */
export const clusterScenario: ChaosScenario = { name: "cluster", rows: ROWS, run };
