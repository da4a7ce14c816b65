/**
 * Local retries of one chain item (`retry` block): only for retryable
 * failures, each attempt bounded by the chain timeout, waiting by the
 * connector's backoff policy — or, when the destination asked for a delay
 * (Retry-After), by that delay, as HTTP mode does.
 */
import { type BackoffPolicy, backoffDelayMs } from "../../delivery/index.js";
import type { ChainRetry } from "../config/webhooks-schema.js";
import { toDeliveryError, withTimeout } from "../message/failure.js";
import { abortable, abortableDelay } from "../outcome.js";

/** Called before waiting for the next attempt. */
export type RetryListener = (attempt: number, delayMs: number, reason: string) => void;

/**
 * The backoff of a `retry` block: `initial_delay` × `backoff_multiplier`
 * per retry, every delay (jitter included) at most `max_delay`.
 */
export function chainRetryPolicy(retry: ChainRetry, random?: () => number): BackoffPolicy {
  return {
    initialMs: retry.initial_delay * 1000,
    multiplier: retry.backoff_multiplier,
    maxMs: retry.max_delay * 1000,
    ...(random === undefined ? {} : { random }),
  };
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the attempts
 * are used up; rethrows the last failure as a ModuleDeliveryError. A
 * failure asking for a delay longer than `max_delay` ends the retries at
 * once: its delay becomes the nack's, so the slot is not held that long.
 */
export async function runWithRetry(
  attempt: (signal: AbortSignal) => Promise<void>,
  options: {
    readonly retry: ChainRetry | undefined;
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
    readonly what: string;
    readonly onRetry: RetryListener;
    /** Randomness of the backoff's jitter. @default Math.random */
    readonly random?: (() => number) | undefined;
  },
): Promise<void> {
  const retry = options.retry;
  const maxAttempts = retry?.enabled === true ? retry.max_attempts : 1;
  const policy = retry === undefined ? undefined : chainRetryPolicy(retry, options.random);
  for (let n = 1; ; n++) {
    try {
      await abortable(
        withTimeout(attempt(options.signal), options.timeoutMs, options.what),
        options.signal,
      );
      return;
    } catch (error) {
      const failure = toDeliveryError(options.what, error);
      if (!failure.retryable || n >= maxAttempts || options.signal.aborted || !policy) {
        throw failure;
      }
      const asked = failure.retryAfterMs;
      if (asked !== undefined && asked > policy.maxMs) throw failure;
      const delayMs = asked ?? backoffDelayMs(policy, n);
      options.onRetry(n, delayMs, failure.message);
      await abortableDelay(delayMs, options.signal);
    }
  }
}
