/**
 * The app behind the connector answers 500 for 10 s, then 200 again
 * (embedded buffer). The connector retries, nacks with backoff, and
 * delivers everything once the app recovers; recovery is timed from then.
 */
import { join } from "node:path";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, stopAndDrain } from "./scenario.js";

const ROW = "target answers 500 for 10 s, then recovers";

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  const world = new ChaosWorld();
  const target = await startChaosTarget(ledger);
  try {
    const receiver = await world.receiver("receiver", `sqlite:${join(world.dir, "buffer.db")}`);
    await world.connector("connector", receiver.url, target.url);
    ledger.row = ROW;
    const load = startLoad({ ledger, urls: () => [receiver.ingestUrl], rate: 60 });
    await hold(4_000);
    const fault = ledger.fault();
    target.failing = true;
    await hold(10_000);
    target.failing = false;
    fault.recoverFrom = Date.now();
    log(`target answered 500 to ${target.failed()} deliveries; answering 200 again`);
    await hold(8_000);
    await stopAndDrain(ledger, load, log);
  } finally {
    await world.close();
    await target.close();
  }
}

/** A failing target (issue #18, item 4). */
export const targetErrorsScenario: ChaosScenario = { name: "target-500", rows: [ROW], run };
