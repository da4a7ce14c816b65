/**
 * Keeps the receiver's V8 heap to what it uses. Two things grow it for
 * nothing:
 *
 * - The young generation. V8 doubles the semi-spaces each time a
 *   semi-space worth of objects survives scavenges. Loading the modules
 *   and opening the buffer does that, and so does every burst of long-lived
 *   objects (a thousand connectors attaching) and the slow trickle of an
 *   idle fleet's heartbeats: a receiver then kept a 16–32 MiB young
 *   generation, about 16 KiB per connector of a fleet, that only those
 *   survivors ever filled (and they go to the old generation either way).
 *   Ingest and delivery under load are what a large young generation is
 *   for: their garbage dies young instead of being promoted: holding it
 *   cost about 20 % of signed ingest on SQLite (medians of 6 interleaved
 *   wrk runs each). So the growth is held
 *   while the receiver starts and whenever it moves few messages, and
 *   allowed while it moves many (`trackLoad`); V8 itself shrinks the young
 *   generation back at a garbage collection once allocation is low.
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
 * (`node --semi-space-growth-factor=2 …` keeps V8's own policy).
 */
import { setFlagsFromString } from "node:v8";

const GROWTH_FLAG = "--semi-space-growth-factor";

function givenByUser(flag: string): boolean {
  return process.execArgv.some((argument) => argument.replaceAll("_", "-").startsWith(flag));
}

const userGrowth = givenByUser(GROWTH_FLAG);
const userOptimizer = givenByUser("--opt") || givenByUser("--no-opt") || givenByUser("--turbofan");

/** V8's default growth factor of the semi-spaces. */
const DEFAULT_GROWTH_FACTOR = 2;

/** Stops the young generation from growing (again, after a worker thread started). */
export function holdYoungGeneration(): void {
  if (!userGrowth) setFlagsFromString(`${GROWTH_FLAG}=1`);
}

/** Lets the young generation grow as V8 sees fit. */
function releaseYoungGeneration(): void {
  if (!userGrowth) setFlagsFromString(`${GROWTH_FLAG}=${DEFAULT_GROWTH_FACTOR}`);
}

/** Messages per second (ingested plus delivered) from which the young generation may grow. */
export const BUSY_MESSAGES_PER_SECOND = 500;
/** Quiet seconds (below a tenth of that rate) after which growth is held again. */
export const QUIET_SECONDS = 10;

/** Counts the messages a running receiver moves, and sets the young generation's growth from the rate. */
export interface LoadTracker {
  /** One message ingested or delivered. */
  count(): void;
  /** Stops sampling (the growth is held). */
  stop(): void;
}

/**
 * Samples the message rate once a second: at `BUSY_MESSAGES_PER_SECOND`
 * or more the young generation may grow; after `QUIET_SECONDS` below a
 * tenth of it, growth is held again. `apply` is for tests.
 */
export function trackLoad(
  apply: (grow: boolean) => void = (grow) =>
    grow ? releaseYoungGeneration() : holdYoungGeneration(),
): LoadTracker {
  let messages = 0;
  let growing = false;
  let quietSeconds = 0;
  const sampler = setInterval(() => {
    const rate = messages;
    messages = 0;
    if (rate >= BUSY_MESSAGES_PER_SECOND) {
      quietSeconds = 0;
      if (!growing) {
        growing = true;
        apply(true);
      }
      return;
    }
    quietSeconds = rate < BUSY_MESSAGES_PER_SECOND / 10 ? quietSeconds + 1 : 0;
    if (growing && quietSeconds >= QUIET_SECONDS) {
      growing = false;
      apply(false);
    }
  }, 1000);
  sampler.unref();
  return {
    count() {
      messages += 1;
    },
    stop() {
      clearInterval(sampler);
      if (growing) apply(false);
      growing = false;
    },
  };
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
