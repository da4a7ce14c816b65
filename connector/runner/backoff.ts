/**
 * Reconnect delays: exponential from `initialMs` by `multiplier` up to
 * `maxMs`, each with ±`jitter` so a fleet of connectors does not
 * reconnect in lockstep after a receiver restart.
 */

/** Options of createBackoff. */
export interface BackoffOptions {
  /** First delay. */
  readonly initialMs: number;
  /** Longest delay. */
  readonly maxMs: number;
  /** Factor after each failure. */
  readonly multiplier: number;
  /** Relative spread, 0..1. @default 0.2 */
  readonly jitter?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** A sequence of reconnect delays. */
export interface Backoff {
  /** The next delay, in milliseconds; grows until reset(). */
  next(): number;
  /** The longest delay, jittered (for fatal errors). */
  longest(): number;
  /** Starts over at `initialMs` (after a healthy session). */
  reset(): void;
  /** Failures since the last reset. */
  readonly attempts: number;
}

/** Creates a Backoff. */
export function createBackoff(options: BackoffOptions): Backoff {
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  let attempts = 0;
  const spread = (ms: number) =>
    Math.min(options.maxMs, Math.max(0, Math.round(ms * (1 - jitter + 2 * jitter * random()))));
  return {
    next() {
      const base = Math.min(options.maxMs, options.initialMs * options.multiplier ** attempts);
      attempts++;
      return spread(base);
    },
    longest() {
      attempts++;
      return spread(options.maxMs);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
