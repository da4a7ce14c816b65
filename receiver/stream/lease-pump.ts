/**
 * The stream pump of a session: keeps a streaming connection's credit
 * filled with leased messages, pushing them to its frame queue, until the
 * session closes or the buffer fails.
 */
import type { Delivery } from "../buffer/index.js";
import type { CreditWindow } from "./credit-window.js";
import type { FrameQueue } from "./frame-queue.js";
import type { SessionFrame } from "./session-events.js";

/** Fetches the stream pump keeps out at once. */
const MAX_FETCHES = 4;

/** What the pump needs of its session. */
export interface PumpedSession {
  /** The session's credit. */
  readonly window: CreditWindow;
  /** Whether the session is closed. */
  readonly isClosed: boolean;
  /** One buffer fetch of up to `credit` messages, recorded as in flight. */
  fetchLeases(credit: number, waitMs: number): Promise<Delivery[]>;
  /** The buffer failed under the pump: the session closes. */
  pumpFailed(error: Error): void;
}

/** Timing of the pump. */
export interface PumpOptions {
  /**
   * Longest wait of one fetch: the heartbeat interval, or Infinity where the
   * buffer wakes waiting fetches in-process (an idle session then allocates
   * nothing between heartbeats).
   */
  readonly fetchWaitMs: number;
  /** Longest wait for an eighth of the window to come back before fetching less. */
  readonly refillWaitMs: number;
}

/** The pump's fetches still out, and the failure that stopped it. */
interface PumpState {
  fetching: number;
  failure: Error | undefined;
}

/**
 * Feeds `queue` with leased messages until the session closes, then ends
 * the queue. Up to MAX_FETCHES fetches run at once: a fetch waits for a
 * buffer round (a commit behind busy ingest), and a connection whose next
 * batch was only asked for once the last one came back spent most of each
 * round trip without work (about 2,000 msg/s delivered beside 5,000/s of
 * ingest). An idle connection spends its life with one fetch waiting on
 * the buffer. `heartbeat`, the timer beside the pump, is cleared when it ends.
 */
export async function pumpLeases(
  session: PumpedSession,
  queue: FrameQueue<SessionFrame>,
  options: PumpOptions,
  heartbeat: NodeJS.Timeout,
): Promise<void> {
  const { window } = session;
  const state: PumpState = { fetching: 0, failure: undefined };
  const batch = Math.ceil(window.max / 8);
  const running = () => !session.isClosed && state.failure === undefined;
  try {
    while (running()) {
      if (window.available() <= 0 || state.fetching >= MAX_FETCHES) {
        await waitFor(session, state, () => {
          return window.available() > 0 && state.fetching < MAX_FETCHES;
        });
        continue;
      }
      // Let every ack settled by the same commit free its credit first, so
      // one fetch leases a batch rather than one message per ack. A tick
      // runs once the pending promise callbacks are done (those acks'
      // included), and the fetch still joins the next group commit.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // Under load acks come back a few at a time while a fetch costs a
      // round to the buffer: fetching for every freed slot leased one or
      // two messages per round trip. Until an eighth of the window is
      // free, wait a moment for more of it to come back.
      if (window.inFlight.size + window.reserved > 0 && window.available() < batch) {
        await waitFor(session, state, () => window.available() >= batch, options.refillWaitMs);
      }
      if (session.isClosed) break;
      const credit = window.available();
      if (credit <= 0 || state.fetching >= MAX_FETCHES) continue;
      startFetch(session, state, queue, credit, options.fetchWaitMs);
    }
  } finally {
    clearInterval(heartbeat);
    // Frames of fetches still out are dropped with the queue; their leases
    // go back with the session's release.
    if (!session.isClosed && state.failure !== undefined) session.pumpFailed(state.failure);
    queue.end();
  }
}

/** One fetch of the pump, with `credit` reserved until it is back. */
function startFetch(
  session: PumpedSession,
  state: PumpState,
  queue: FrameQueue<SessionFrame>,
  credit: number,
  waitMs: number,
): void {
  const { window } = session;
  window.reserved += credit;
  state.fetching += 1;
  // Closing aborts the fetch; credit freed meanwhile starts another one.
  session
    .fetchLeases(credit, waitMs)
    .then(
      (deliveries) => {
        for (const delivery of deliveries) queue.push({ kind: "message", delivery });
      },
      (error: unknown) => {
        state.failure ??= error instanceof Error ? error : new Error(String(error));
      },
    )
    .finally(() => {
      window.reserved -= credit;
      state.fetching -= 1;
      window.wake();
    });
}

/**
 * Waits until `ready()` holds (credit freed, a fetch back, the session
 * closed: each of them wakes the window), at most `maxWaitMs`. Without a
 * limit no timer is armed: a lease that runs out does not free credit (the
 * delivery counts until the client settles it), so only a wake can.
 */
async function waitFor(
  session: PumpedSession,
  state: PumpState,
  ready: () => boolean,
  maxWaitMs?: number,
): Promise<void> {
  const until = maxWaitMs === undefined ? undefined : performance.now() + maxWaitMs;
  while (!session.isClosed && state.failure === undefined && !ready()) {
    if (until === undefined) {
      await session.window.changed();
      continue;
    }
    const wait = until - performance.now();
    if (wait <= 0) return;
    await session.window.changed(wait);
  }
}
