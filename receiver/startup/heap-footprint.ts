/**
 * Keeps the receiver's V8 heap to what it uses. Two things grow it for
 * nothing:
 *
 * - The young generation. V8 doubles the semi-spaces each time a
 *   semi-space worth of objects survives scavenges. Loading the modules
 *   and opening the buffer does that, and so does every burst of long-lived
 *   objects (a thousand connectors attaching): a receiver then kept a
 *   16 MiB young generation, 14 MB of RSS, that only those bursts ever
 *   filled, about 16 KiB per connector of a fleet that attached at once.
 *   Survivors of a burst go to the old generation either way, and the
 *   short-lived garbage of ingest and delivery dies young in the initial
 *   semi-space as well: the growth is held for the process's life.
 * - Optimized code for start-up. Parsing the config, building the
 *   protobuf registry and the schemas run hot enough for TurboFan, whose
 *   code (and the compiler's memory) outlived start-up by some 10 MB. The
 *   optimizing compiler is off until the receiver listens; the request
 *   paths get hot, and optimized, only after that.
 *
 * Both are runtime forms of V8 flags (`--semi-space-growth-factor`,
 * `--opt`). V8 clamps the growth factor to 2 whenever it configures a heap
 * (at process start and when a worker thread starts), so it is set again
 * after the storage worker is up. A flag given on the command line wins
 * (`node --semi-space-growth-factor=2 …` restores V8's default growth).
 */
import { setFlagsFromString } from "node:v8";

const GROWTH_FLAG = "--semi-space-growth-factor";

function givenByUser(flag: string): boolean {
  return process.execArgv.some((argument) => argument.replaceAll("_", "-").startsWith(flag));
}

const userGrowth = givenByUser(GROWTH_FLAG);
const userOptimizer = givenByUser("--opt") || givenByUser("--no-opt") || givenByUser("--turbofan");

/** Stops the young generation from growing (again, after a worker thread started). */
export function holdYoungGeneration(): void {
  if (!userGrowth) setFlagsFromString(`${GROWTH_FLAG}=1`);
}

/**
 * Start-up begins: young generation held, optimizing compiler off.
 * bin/webhook-connect.js calls it before it loads the receiver's modules;
 * the receiver command calls it again for in-process callers.
 */
export function startingUp(): void {
  holdYoungGeneration();
  if (!userOptimizer) setFlagsFromString("--no-opt");
}

/** Start-up is over (listening, or failed): what gets hot from now on is optimized. */
export function startupDone(): void {
  if (!userOptimizer) setFlagsFromString("--opt");
}
