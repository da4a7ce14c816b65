/**
 * How far behind a group is: the age of the oldest message it has not
 * finished, from the message's own `received_at` (read from the cache, or
 * from the log when it is no longer cached). Asked for by stats only.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { decodeWebhookMessage } from "../../../wire/index.js";
import type { ConsumerGroup } from "./consumer-group.js";
import type { LogChannel } from "./log-channel.js";
import { type LogContext, skipsFor } from "./log-context.js";
import type { MessageRows } from "./storage-protocol.js";

/** The lowest sequence the group has not finished, if any. */
function oldestUndone(channel: LogChannel, group: ConsumerGroup): number | undefined {
  let oldest: number | undefined;
  for (const seq of group.outstanding.keys())
    if (oldest === undefined || seq < oldest) oldest = seq;
  const skips = skipsFor(channel, group);
  for (let seq = group.cursor + 1; seq <= channel.committed; seq++) {
    if (oldest !== undefined && seq >= oldest) break;
    if (!skips(seq)) return seq;
  }
  return oldest;
}

function receivedAtOf(bytes: Uint8Array): number | undefined {
  const received = decodeWebhookMessage(bytes).receivedAt;
  return received === undefined ? undefined : timestampMs(received);
}

/** Age in ms of the oldest message `group` has not finished; 0 when there is none. */
export async function oldestUnackedAgeMs(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
): Promise<number> {
  const seq = oldestUndone(channel, group);
  if (seq === undefined) return 0;
  let receivedAt: number | undefined;
  const cached = channel.cache.get(seq);
  if (cached !== undefined) {
    receivedAt = receivedAtOf(cached.bytes);
  } else {
    const rows = await ctx.storage.read<MessageRows>({
      op: "messages",
      channelId: channel.id,
      seqs: [seq],
    });
    const end = rows.ends[0];
    if (end !== undefined) receivedAt = receivedAtOf(new Uint8Array(rows.data, 0, end));
  }
  return receivedAt === undefined ? 0 : Math.max(0, ctx.now() - receivedAt);
}
