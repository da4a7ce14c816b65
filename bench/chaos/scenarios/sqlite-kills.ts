/**
 * The embedded SQLite buffer: one receiver and one connector under steady
 * ingest and drain, the receiver killed with `kill -9` and started again
 * on the same file, 20 times. Recovery of each round is timed from the kill
 * (the restart is part of it).
 */
import { join } from "node:path";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, stopAndDrain } from "./scenario.js";

const ROW = "SQLite: kill -9 the receiver under ingest and drain, 20 rounds";
const ROUNDS = 20;

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  const world = new ChaosWorld();
  const target = await startChaosTarget(ledger);
  try {
    const receiver = await world.receiver("receiver", `sqlite:${join(world.dir, "buffer.db")}`);
    await world.connector("connector", receiver.url, target.url);
    ledger.row = ROW;
    const load = startLoad({ ledger, urls: () => [receiver.ingestUrl], rate: 100 });
    await hold(2_000);
    for (let round = 1; round <= ROUNDS; round++) {
      ledger.fault();
      await receiver.kill();
      await receiver.start();
      await hold(1_500);
      if (round % 5 === 0) log(`round ${round} of ${ROUNDS}`);
    }
    await stopAndDrain(ledger, load, log);
  } finally {
    await world.close();
    await target.close();
  }
}

/** Repeated kills of the receiver on the embedded buffer (issue #18, item 2). */
export const sqliteKillsScenario: ChaosScenario = { name: "sqlite", rows: [ROW], run };
