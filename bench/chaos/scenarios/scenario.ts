/** What a chaos scenario is, and the steps they share. */
import { onCleanup } from "../../lib/children.js";
import type { Ledger } from "../ledger.js";
import type { Load } from "../load.js";

/** One scenario: its rows of the table, in order, and how to run it. */
export interface ChaosScenario {
  /** Name for `--only`. */
  readonly name: string;
  /** Row names (faults), in the order they are injected. */
  readonly rows: readonly string[];
  /**
   * Runs the scenario: starts its processes and the load, sets
   * `ledger.row` before each fault, records faults, and returns once
   * every accepted webhook was delivered or the drain timed out.
   */
  run(ledger: Ledger, log: (message: string) => void): Promise<void>;
}

/** Thrown by a scenario that cannot run here (shown as skipped, with the reason). */
export class ScenarioSkipped extends Error {
  override readonly name = "ScenarioSkipped";
}

/** Longest wait for the last accepted webhooks after the load stops. */
const DRAIN_TIMEOUT_MS = 90_000;

/**
 * Stops the load and waits for every accepted webhook to arrive; then a
 * moment longer so late duplicates are counted too.
 */
export async function stopAndDrain(
  ledger: Ledger,
  load: Load,
  log: (message: string) => void,
): Promise<void> {
  await load.stop();
  log(`load stopped after ${load.sent()} webhooks; draining`);
  const drained = await ledger.drained(DRAIN_TIMEOUT_MS);
  if (!drained) log(`${ledger.missing().length} accepted webhooks still missing after the drain`);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}

/**
 * Makes `close` run once, now or when the suite is interrupted (Ctrl-C):
 * servers and mounts the scenario made outlive it otherwise.
 */
export function closeOnExit(close: () => Promise<void> | void): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => {
    done ??= Promise.resolve().then(close);
    return done;
  };
  onCleanup(once);
  return once;
}
