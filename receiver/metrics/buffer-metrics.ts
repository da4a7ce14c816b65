/**
 * Channel numbers collected from `buffer.stats` at scrape time: the real
 * numbers of the backend (the same on every replica), not per-process
 * guesses. A channel whose stats cannot be read keeps its last known values
 * and `webhook_connect_buffer_up` drops to 0.
 */
import type { Buffer, ChannelStats } from "../buffer/index.js";
import type { MetricSet } from "./definitions.js";

/** Refreshes the buffer-derived metrics of `channels`. */
export function createBufferMetricsRefresher(
  metrics: MetricSet,
  buffer: Buffer,
  channels: readonly string[],
): () => Promise<void> {
  const last = new Map<string, ChannelStats>();
  return async () => {
    const results = await Promise.allSettled(channels.map((channel) => buffer.stats(channel)));
    let up = 1;
    results.forEach((result, i) => {
      if (result.status === "fulfilled") last.set(channels[i]!, result.value);
      else up = 0;
    });
    metrics.bufferUp.set(up);
    for (const metric of [
      metrics.queueDepth,
      metrics.inFlight,
      metrics.deadLetters,
      metrics.groupPending,
      metrics.groupInFlight,
      metrics.groupLag,
      metrics.delivered,
      metrics.expired,
      metrics.deadLettered,
    ]) {
      metric.reset();
    }
    for (const [channel, stats] of last) {
      metrics.queueDepth.set({ channel }, stats.queued);
      metrics.inFlight.set({ channel }, stats.inFlight);
      metrics.deadLetters.set({ channel }, stats.deadLetterQueued);
      for (const group of stats.groups) {
        const labels = { channel, group: group.group };
        metrics.groupPending.set(labels, group.pending);
        metrics.groupInFlight.set(labels, group.inFlight);
        metrics.groupLag.set(labels, group.oldestUnackedAgeMs / 1000);
      }
      // Cumulative totals kept by the backend: exported as counters.
      metrics.delivered.inc({ channel }, stats.delivered);
      metrics.expired.inc({ channel }, stats.expired);
      metrics.deadLettered.inc({ channel }, stats.deadLettered);
    }
  };
}
