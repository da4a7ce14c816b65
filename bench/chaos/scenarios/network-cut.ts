/**
 * The connector's network cut for 10 s: it reaches the receiver through a
 * TCP proxy, which drops every connection and refuses new ones for 10 s.
 * Ingest goes on directly; the receiver takes back the leases of the
 * vanished connection, and the connector delivers everything once it is
 * reconnected. Recovery is timed from the end of the cut.
 */
import { join } from "node:path";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { startTcpProxy } from "../tcp-proxy.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, stopAndDrain } from "./scenario.js";

const ROW = "connector's network cut for 10 s (TCP proxy stopped)";

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  const world = new ChaosWorld();
  const target = await startChaosTarget(ledger);
  try {
    const receiver = await world.receiver("receiver", `sqlite:${join(world.dir, "buffer.db")}`);
    const proxy = await startTcpProxy([receiver.port]);
    await world.connector("connector", proxy.url, target.url);
    ledger.row = ROW;
    const load = startLoad({ ledger, urls: () => [receiver.ingestUrl], rate: 60 });
    await hold(4_000);
    const fault = ledger.fault();
    await proxy.cut();
    log("network cut");
    await hold(10_000);
    await proxy.restore();
    fault.recoverFrom = Date.now();
    log("network restored");
    await hold(8_000);
    await stopAndDrain(ledger, load, log);
    await proxy.close();
  } finally {
    await world.close();
    await target.close();
  }
}

/** A network cut between connector and receiver (issue #18, item 5). */
export const networkCutScenario: ChaosScenario = { name: "network-cut", rows: [ROW], run };
