/**
 * How much of a backlog is left, for the drain summary: the group's
 * backlog the receiver reported when the session opened (Welcome
 * `backlog`), less the messages this connector finished since (delivered,
 * or dead-lettered by a nack without retry). A nack with retry leaves the
 * message in the backlog. Each new session brings a fresh count; messages
 * that arrive meanwhile, or that other connectors of the group settle, are
 * not seen until then.
 */

/** The remaining count of the current session. */
export interface RemainingCount {
  /** A session opened; `backlog` undefined: the receiver did not say. */
  opened(backlog: number | undefined): void;
  /** A delivery settled; `finished`: the message left the group (acked or dead-lettered). */
  settled(finished: boolean): void;
  /** Messages not yet finished (in flight included), or undefined when unknown. */
  value(): number | undefined;
}

/** Creates a count with nothing known yet. */
export function createRemainingCount(): RemainingCount {
  let backlog: number | undefined;
  let finished = 0;
  return {
    opened(reported) {
      backlog = reported;
      finished = 0;
    },
    settled(done) {
      if (done) finished++;
    },
    value() {
      return backlog === undefined ? undefined : Math.max(0, backlog - finished);
    },
  };
}
