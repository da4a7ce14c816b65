/**
 * A NATS outage of 10 s on a single node: one nats-server (R1), one
 * receiver and one connector under steady ingest; the server is killed
 * with `kill -9`, and started again on the same store 10 s later. Ingest
 * answers 503 meanwhile; recovery is timed from the restart.
 */
import { natsServerBinary, startNatsServer } from "../../../tests/helpers/nats-server.js";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, closeOnExit, ScenarioSkipped, stopAndDrain } from "./scenario.js";

const ROW = "NATS single node: down 10 s (kill -9, then restart)";

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  if (natsServerBinary() === undefined) {
    throw new ScenarioSkipped("nats-server is not installed (apt-get install nats-server)");
  }
  const nats = await startNatsServer();
  const closeNats = closeOnExit(() => nats.close());
  const world = new ChaosWorld();
  const target = await startChaosTarget(ledger);
  try {
    const receiver = await world.receiver("receiver", nats.url);
    await world.connector("connector", receiver.url, target.url);
    ledger.row = ROW;
    const load = startLoad({ ledger, urls: () => [receiver.ingestUrl], rate: 60 });
    await hold(4_000);
    log(`kill -9 nats-server ${nats.url}`);
    const fault = ledger.fault();
    await nats.stop("SIGKILL");
    await hold(10_000);
    await nats.start();
    fault.recoverFrom = Date.now();
    log("nats-server back");
    await hold(8_000);
    await stopAndDrain(ledger, load, log);
  } finally {
    await world.close();
    await target.close();
    await closeNats();
  }
}

/** A 10 s NATS outage (issue #18, item 3). */
export const natsOutageScenario: ChaosScenario = { name: "nats-outage", rows: [ROW], run };
