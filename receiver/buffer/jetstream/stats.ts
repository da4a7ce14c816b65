/**
 * Channel numbers from JetStream itself, the same on every replica:
 * - `queued`: messages in the channel stream (interest retention keeps a
 *   message until every group acked or terminated it);
 * - per group `pending` / `inFlight`: the consumer's `num_pending` and
 *   `num_ack_pending`. JetStream counts a message waiting for a retry delay
 *   (or for redelivery after a lease ran out) as ack-pending; the replica
 *   that nacked or leased it moves it to `pending`, where connectors
 *   expect it. Another replica reports it as in flight until its redelivery;
 * - `deadLetterQueued`: messages in the dead-letter stream;
 * - `delivered`, `expired`, `deadLettered`: the shared KV counters
 *   (counters.ts), updated with compare-and-set.
 * The expired head of the stream is swept first, so expiries are counted.
 */
import type { ChannelStats, GroupStats } from "../buffer.js";
import { type JetStreamContext, requireChannel } from "./context.js";
import { sweepExpired } from "./expiry.js";
import { channelStream, deadLetterStream, groupOfConsumer } from "./names.js";

/** Reads the numbers of a channel. */
export async function readStats(ctx: JetStreamContext, channel: string): Promise<ChannelStats> {
  requireChannel(ctx, channel);
  await sweepExpired(ctx, channel);
  const stream = channelStream(channel);
  const [info, deadLetters, counters] = await Promise.all([
    ctx.jsm.streams.info(stream),
    ctx.jsm.streams.info(deadLetterStream(channel)),
    ctx.counters.read(channel),
  ]);
  const now = ctx.now();
  const groups: GroupStats[] = [];
  for await (const consumer of ctx.jsm.consumers.list(stream)) {
    const group = groupOfConsumer(consumer.name);
    if (group === undefined) continue;
    const waiting = Math.min(
      ctx.leases.waitingCount(channel, group, now),
      consumer.num_ack_pending,
    );
    groups.push({
      group,
      pending: consumer.num_pending + waiting,
      inFlight: consumer.num_ack_pending - waiting,
      oldestUnackedAgeMs:
        consumer.num_pending + consumer.num_ack_pending === 0
          ? 0
          : await oldestAgeAfter(ctx, stream, consumer.ack_floor.stream_seq, now),
    });
  }
  groups.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return {
    channel,
    queued: info.state.messages,
    inFlight: groups.reduce((sum, group) => sum + group.inFlight, 0),
    delivered: counters.delivered,
    expired: counters.expired,
    deadLettered: counters.deadLettered,
    deadLetterQueued: deadLetters.state.messages,
    groups,
  };
}

/**
 * Age of the oldest message a group has not finished: the first one above
 * its ack floor (the floor only moves over acked messages, so that one is
 * still stored unless it expired meanwhile). 0 when it cannot be read.
 */
async function oldestAgeAfter(
  ctx: JetStreamContext,
  stream: string,
  ackFloor: number,
  now: number,
): Promise<number> {
  try {
    const stored = await ctx.jsm.streams.getMessage(stream, { seq: ackFloor + 1 });
    if (stored === null) return 0;
    return Math.max(0, now - stored.time.getTime());
  } catch {
    return 0;
  }
}
