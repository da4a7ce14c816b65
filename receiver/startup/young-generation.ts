/**
 * Keeps V8's young generation at its initial size while the receiver
 * starts. Loading the modules, parsing the config and opening the buffer
 * leave megabytes of objects that survive their first scavenge, and V8
 * doubles the semi-spaces for each semi-space worth of survivors: an idle
 * receiver kept a 16 MiB young generation (about 14 MB of RSS) that only
 * start-up ever used. Growth is allowed again once the receiver listens,
 * so ingest under load grows it exactly as before.
 *
 * This is the runtime form of `--semi-space-growth-factor`: V8 clamps the
 * flag to 2 whenever it configures a heap (at process start and when a
 * worker thread starts), so it is set again after the storage worker is
 * up. A growth factor given on the command line is left alone (Node
 * does not accept it in NODE_OPTIONS).
 */
import { setFlagsFromString } from "node:v8";

/** V8's default growth factor of the semi-spaces. */
const DEFAULT_GROWTH_FACTOR = 2;

const FLAG = "--semi-space-growth-factor";

function givenByUser(): boolean {
  return process.execArgv.some((argument) => argument.replaceAll("_", "-").startsWith(FLAG));
}

const userFlag = givenByUser();

/** Stops the young generation from growing (again, after a worker thread started). */
export function holdYoungGeneration(): void {
  if (!userFlag) setFlagsFromString(`${FLAG}=1`);
}

/** Lets the young generation grow under load again. */
export function releaseYoungGeneration(): void {
  if (!userFlag) setFlagsFromString(`${FLAG}=${DEFAULT_GROWTH_FACTOR}`);
}

// At evaluation: bin/webhook-connect.js evaluates this module first, before
// the modules whose start-up allocations would grow the young generation
// (in-process callers of main.ts get it through startup/index.ts).
holdYoungGeneration();
