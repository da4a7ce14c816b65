/**
 * The connector's one backoff policy: exponential from `initialMs` by
 * `multiplier`, capped at `maxMs`, each delay spread by ±`jitter` (never
 * above the cap). HTTP-mode local retries, chain-item retries and
 * reconnects all wait by it, so many deliveries failing together (a
 * target restarting, a receiver restarting under a fleet) do not retry in
 * lockstep.
 */

/** A backoff policy. */
export interface BackoffPolicy {
  /** Nominal delay before the first retry, in ms. */
  readonly initialMs: number;
  /** Factor between consecutive nominal delays (at least 1). */
  readonly multiplier: number;
  /** Longest delay, jitter included, in ms. */
  readonly maxMs: number;
  /** Relative spread around the nominal delay, 0..1. @default 0.2 */
  readonly jitter?: number;
  /** Source of randomness in [0, 1); injected by tests. @default Math.random */
  readonly random?: () => number;
}

/** Default relative spread of {@link BackoffPolicy.jitter}. */
export const DEFAULT_JITTER = 0.2;

/**
 * The nominal delay before retry number `retry` (1 = the first retry):
 * `initialMs × multiplier^(retry − 1)`, capped at `maxMs`.
 */
export function nominalDelayMs(policy: BackoffPolicy, retry: number): number {
  const grown = policy.initialMs * policy.multiplier ** Math.max(0, retry - 1);
  // 0 × Infinity (a zero initial delay after ~1000 retries) is NaN: still zero.
  return Number.isNaN(grown) ? 0 : Math.min(policy.maxMs, grown);
}

/**
 * Spreads `nominalMs` uniformly over [nominal × (1 − jitter), nominal ×
 * (1 + jitter)], then caps it at `maxMs`: with `random` = 0.5 it is the
 * nominal delay exactly.
 */
export function jitterDelayMs(policy: BackoffPolicy, nominalMs: number): number {
  const jitter = policy.jitter ?? DEFAULT_JITTER;
  const random = (policy.random ?? Math.random)();
  const spread = nominalMs * (1 - jitter + 2 * jitter * random);
  return Math.min(policy.maxMs, Math.max(0, Math.round(spread)));
}

/** The jittered delay before retry number `retry` (1 = the first retry). */
export function backoffDelayMs(policy: BackoffPolicy, retry: number): number {
  return jitterDelayMs(policy, nominalDelayMs(policy, retry));
}
