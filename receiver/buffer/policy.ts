/** Delivery policy shared by every buffer backend (SPEC §4). */

/** First retry delay after a nack. */
export const NACK_BASE_DELAY_MS = 1_000;
/** Cap of the doubling retry delay. */
export const NACK_MAX_DELAY_MS = 60_000;

/**
 * Delay before a nacked message is redelivered: 1 s after the first
 * attempt, doubling per attempt, capped at 60 s. A longer delay asked for
 * by the connector (e.g. from a target's Retry-After) wins, up to one hour.
 */
export function nackDelayMs(attempt: number, requestedMs = 0): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 16));
  const backoff = Math.min(NACK_BASE_DELAY_MS * 2 ** exponent, NACK_MAX_DELAY_MS);
  const requested = Math.min(Math.max(0, requestedMs), 3_600_000);
  return Math.max(backoff, requested);
}
