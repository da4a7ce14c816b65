/** Channel numbers read from the database, so they survive restarts. */
import type { ChannelStats, GroupStats } from "../buffer.js";
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";
import { sweepExpired } from "./expiry.js";
import { returnExpiredLeases } from "./settle.js";

/**
 * Brings a channel up to date (expired messages dropped, run-out leases
 * returned) so the numbers that follow are exact. Runs in a transaction.
 */
export function settleChannel(ctx: BufferContext, scope: BatchScope, channel: string): void {
  sweepExpired(ctx, scope, channel);
  returnExpiredLeases(ctx, scope, channel);
}

/** Reads the numbers of a channel. */
export function readStats(ctx: BufferContext, channel: string): ChannelStats {
  const { store } = ctx;
  const record = ctx.channels.require(channel);
  const counters = store
    .stmt("SELECT delivered, expired, dead_lettered FROM channels WHERE name = ?")
    .get(channel) as { delivered: number; expired: number; dead_lettered: number };
  const queued = store.stmt("SELECT queued AS n FROM channels WHERE name = ?").get(channel) as {
    n: number;
  };
  const deadLetterQueued = store
    .stmt("SELECT COUNT(*) AS n FROM dead_letters WHERE channel = ?")
    .get(channel) as { n: number };
  const rows = store
    .stmt(
      `SELECT grp, SUM(consumer IS NULL) AS pending, SUM(consumer IS NOT NULL) AS in_flight
       FROM deliveries WHERE channel = ? GROUP BY grp`,
    )
    .all(channel) as { grp: string; pending: number; in_flight: number }[];
  const byGroup = new Map(rows.map((row) => [row.grp, row]));
  const groups: GroupStats[] = [...record.groups].sort().map((group) => ({
    group,
    pending: byGroup.get(group)?.pending ?? 0,
    inFlight: byGroup.get(group)?.in_flight ?? 0,
  }));
  return {
    channel,
    queued: queued.n,
    inFlight: groups.reduce((sum, group) => sum + group.inFlight, 0),
    delivered: counters.delivered,
    expired: counters.expired,
    deadLettered: counters.dead_lettered,
    deadLetterQueued: deadLetterQueued.n,
    groups,
  };
}
