/**
 * Local retries of one chain item (`retry` block): exponential backoff,
 * only for retryable failures, each attempt bounded by the chain timeout.
 */
import type { ChainRetry } from "../config/webhooks-schema.js";
import { toDeliveryError, withTimeout } from "../message/failure.js";
import { abortable, abortableDelay } from "../outcome.js";

/** Called before waiting for the next attempt. */
export type RetryListener = (attempt: number, delayMs: number, reason: string) => void;

/** Delay before retry number `attempt` (1 = first retry), capped at `max_delay`. */
export function retryDelayMs(retry: ChainRetry, attempt: number): number {
  const seconds = retry.initial_delay * retry.backoff_multiplier ** (attempt - 1);
  return Math.round(Math.min(seconds, retry.max_delay) * 1000);
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the attempts
 * are used up; rethrows the last failure as a ModuleDeliveryError.
 */
export async function runWithRetry(
  attempt: () => Promise<void>,
  options: {
    readonly retry: ChainRetry | undefined;
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
    readonly what: string;
    readonly onRetry: RetryListener;
  },
): Promise<void> {
  const maxAttempts = options.retry?.enabled === true ? options.retry.max_attempts : 1;
  for (let n = 1; ; n++) {
    try {
      await abortable(withTimeout(attempt(), options.timeoutMs, options.what), options.signal);
      return;
    } catch (error) {
      const failure = toDeliveryError(options.what, error);
      if (!failure.retryable || n >= maxAttempts || options.signal.aborted || !options.retry) {
        throw failure;
      }
      const delayMs = retryDelayMs(options.retry, n);
      options.onRetry(n, delayMs, failure.message);
      await abortableDelay(delayMs, options.signal);
    }
  }
}
