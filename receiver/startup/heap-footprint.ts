/**
 * Keeps the receiver's V8 heap to what it uses. Three things grow it for
 * nothing:
 *
 * - The young generation. V8 doubles the semi-spaces each time a
 *   semi-space worth of objects survives scavenges. Loading the modules
 *   and opening the buffer does that, and so does every burst of long-lived
 *   objects (a thousand connectors attaching) and the slow trickle of an
 *   idle fleet's heartbeats: a receiver then kept a 16–32 MiB young
 *   generation, about 16 KiB per connector of a fleet, that only those
 *   survivors ever filled (and they go to the old generation either way).
 * - The old generation's headroom. V8 lets it grow to a multiple of what
 *   survived the last full collection before collecting again. Objects that
 *   live for seconds (a parked long-poll and its request, a fetch waiting
 *   for messages) are promoted and die there, so an idle fleet of pollers
 *   grew the heap by tens of MB of garbage between full collections. While
 *   the receiver moves few messages the headroom is 20 %: a full collection
 *   of an idle receiver's heap takes milliseconds, a few times a minute.
 * - Optimized code for start-up. Parsing the config, building the
 *   protobuf registry and the schemas run hot enough for TurboFan, whose
 *   code (and the compiler's memory) outlived start-up by some 10 MB. The
 *   optimizing compiler is off until the receiver listens; the request
 *   paths get hot, and optimized, only after that.
 *
 * Ingest and delivery under load are what a large young generation and
 * V8's own headroom are for: their garbage dies young instead of being
 * promoted. Holding the young generation cost about 20 % of signed ingest
 * on SQLite (medians of 6 interleaved wrk runs each). So the heap is held
 * while the receiver starts and whenever it moves few messages, and
 * released to V8's own policy while it moves many (`trackLoad`); V8 shrinks
 * the young generation back at a collection once allocation is low.
 *
 * All three are runtime forms of V8 flags (`--semi-space-growth-factor`,
 * `--heap-growing-percent`, `--opt`). V8 clamps the growth factor to 2
 * whenever it configures a heap (at process start and when a worker thread
 * starts), so the hold is set again after the storage worker is up. A flag
 * given on the command line wins (`node --semi-space-growth-factor=2 …`).
 */
import { setFlagsFromString } from "node:v8";

const GROWTH_FLAG = "--semi-space-growth-factor";
const HEADROOM_FLAG = "--heap-growing-percent";

function givenByUser(flag: string): boolean {
  return process.execArgv.some((argument) => argument.replaceAll("_", "-").startsWith(flag));
}

const userGrowth = givenByUser(GROWTH_FLAG);
const userHeadroom = givenByUser(HEADROOM_FLAG);
const userOptimizer = givenByUser("--opt") || givenByUser("--no-opt") || givenByUser("--turbofan");

/** V8's default growth factor of the semi-spaces. */
const DEFAULT_GROWTH_FACTOR = 2;
/** Old-generation headroom while held, percent of what survived the last full collection. */
const HELD_HEADROOM_PERCENT = 20;

/** Holds the heap: no young-generation growth, little old-generation headroom (again, after a worker thread started). */
export function holdHeap(): void {
  if (!userGrowth) setFlagsFromString(`${GROWTH_FLAG}=1`);
  if (!userHeadroom) setFlagsFromString(`${HEADROOM_FLAG}=${HELD_HEADROOM_PERCENT}`);
}

/** Gives the heap back to V8's own policy (0: V8 picks the headroom). */
function releaseHeap(): void {
  if (!userGrowth) setFlagsFromString(`${GROWTH_FLAG}=${DEFAULT_GROWTH_FACTOR}`);
  if (!userHeadroom) setFlagsFromString(`${HEADROOM_FLAG}=0`);
}

/** Messages per second (ingested plus delivered) from which the heap is released. */
export const BUSY_MESSAGES_PER_SECOND = 500;
/** Quiet seconds (below a tenth of that rate) after which the heap is held again. */
export const QUIET_SECONDS = 10;

/** Counts the messages a running receiver moves, and holds or releases the heap by the rate. */
export interface LoadTracker {
  /** One message ingested or delivered. */
  count(): void;
  /** Stops sampling (the heap is held). */
  stop(): void;
}

/**
 * Samples the message rate once a second: at `BUSY_MESSAGES_PER_SECOND`
 * or more the heap is released; after `QUIET_SECONDS` below a tenth of
 * it, held again. `apply` is for tests.
 */
export function trackLoad(
  apply: (release: boolean) => void = (release) => (release ? releaseHeap() : holdHeap()),
): LoadTracker {
  let messages = 0;
  let released = false;
  let quietSeconds = 0;
  const sampler = setInterval(() => {
    const rate = messages;
    messages = 0;
    if (rate >= BUSY_MESSAGES_PER_SECOND) {
      quietSeconds = 0;
      if (!released) {
        released = true;
        apply(true);
      }
      return;
    }
    quietSeconds = rate < BUSY_MESSAGES_PER_SECOND / 10 ? quietSeconds + 1 : 0;
    if (released && quietSeconds >= QUIET_SECONDS) {
      released = false;
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
      if (released) apply(false);
      released = false;
    },
  };
}

/**
 * Start-up begins: heap held, optimizing compiler off.
 * bin/webhook-connect.js calls it before it loads the receiver's modules;
 * the receiver command calls it again for in-process callers.
 */
export function startingUp(): void {
  holdHeap();
  if (!userOptimizer) setFlagsFromString("--no-opt");
}

/** Start-up is over (listening, or failed): what gets hot from now on is optimized. */
export function startupDone(): void {
  if (!userOptimizer) setFlagsFromString("--opt");
}
