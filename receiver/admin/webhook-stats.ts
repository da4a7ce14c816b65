/**
 * Ingest outcomes per webhook id since this receiver process started
 * (`GET /channels/{ch}/webhook-stats`). These are per replica by nature:
 * each replica answers its own senders. Only configured webhook ids are
 * counted, so random ids sent by strangers cannot grow the table.
 */

/** Counters of one webhook. */
export interface WebhookCounters {
  /** Requests answered 200 (stored). */
  accepted: number;
  /** Requests answered with an error, by HTTP status. */
  readonly rejected: Record<string, number>;
  /** Requests whose client went away before the answer. */
  aborted: number;
  /** Last 200 (ms since epoch). */
  lastAcceptedAt: number | undefined;
  /** Last error answer (ms since epoch). */
  lastRejectedAt: number | undefined;
}

/** The per-webhook ingest table. */
export interface WebhookStats {
  /** Records an accepted request. */
  accepted(webhookId: string): void;
  /** Records a rejected request with the status answered. */
  rejected(webhookId: string, status: number): void;
  /** Records an aborted request. */
  aborted(webhookId: string): void;
  /** A copy of the counters of one webhook (zeros when nothing happened yet). */
  get(webhookId: string): WebhookCounters;
  /** When counting started (ms since epoch). */
  readonly since: number;
}

/** Creates the table for the configured webhook ids. */
export function createWebhookStats(
  webhookIds: Iterable<string>,
  now: () => number = Date.now,
): WebhookStats {
  const table = new Map<string, WebhookCounters>();
  for (const id of webhookIds) {
    table.set(id, {
      accepted: 0,
      rejected: {},
      aborted: 0,
      lastAcceptedAt: undefined,
      lastRejectedAt: undefined,
    });
  }
  return {
    since: now(),
    accepted(webhookId) {
      const counters = table.get(webhookId);
      if (counters === undefined) return;
      counters.accepted += 1;
      counters.lastAcceptedAt = now();
    },
    rejected(webhookId, status) {
      const counters = table.get(webhookId);
      if (counters === undefined) return;
      counters.rejected[status] = (counters.rejected[status] ?? 0) + 1;
      counters.lastRejectedAt = now();
    },
    aborted(webhookId) {
      const counters = table.get(webhookId);
      if (counters !== undefined) counters.aborted += 1;
    },
    get(webhookId) {
      const counters = table.get(webhookId);
      return {
        accepted: counters?.accepted ?? 0,
        rejected: { ...counters?.rejected },
        aborted: counters?.aborted ?? 0,
        lastAcceptedAt: counters?.lastAcceptedAt,
        lastRejectedAt: counters?.lastRejectedAt,
      };
    },
  };
}
