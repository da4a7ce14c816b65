/**
 * Reconnect delays: the connector's backoff policy (delivery's
 * backoff-policy.ts: exponential, capped, ±jitter) with a count of
 * failures since the last healthy session, so a fleet of connectors does
 * not reconnect in lockstep after a receiver restart.
 */
import { type BackoffPolicy, backoffDelayMs, jitterDelayMs } from "../delivery/index.js";

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
  const policy: BackoffPolicy = options;
  let attempts = 0;
  return {
    next() {
      attempts++;
      return backoffDelayMs(policy, attempts);
    },
    longest() {
      attempts++;
      return jitterDelayMs(policy, options.maxMs);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
