/**
 * Listing, replaying and purging the dead-letter queue. The queue is a
 * classic durable queue, so taking every message and closing the channel
 * puts the untouched ones back in their places. Each operation holds the
 * channel's record lock (meta.ts), so two receivers never work on the dead
 * letters at once. Results are ordered by when the message was
 * dead-lettered, oldest first.
 */
import type { ConfirmChannel, GetMessage } from "amqplib";
import type { DeadLetter, DeadLetterFilter } from "../buffer.js";
import { admitsDeadLetter } from "../dead-letter-query.js";
import { decodeStored, messageIdOf, readDeadLetter, readStored, storedHeaders } from "./codec.js";
import { addBacklog, type ChannelState, type RabbitMqContext } from "./context.js";
import { deadLetterQueue, groupQueue } from "./names.js";
import { publishConfirmed } from "./publish.js";

interface Entry {
  readonly message: GetMessage;
  readonly messageId: string;
  readonly details: Omit<DeadLetter, "message">;
}

function matches(entry: Entry, filter: DeadLetterFilter | undefined): boolean {
  const { group, deadLetteredAt } = entry.details;
  return admitsDeadLetter(filter, entry.messageId, group, deadLetteredAt);
}

/** Runs `body` over all dead letters of a channel, matching `filter`, under the lock. */
function withDeadLetters<R>(
  ctx: RabbitMqContext,
  state: ChannelState,
  filter: DeadLetterFilter | undefined,
  body: (entries: Entry[], channel: ConfirmChannel) => Promise<R>,
): Promise<R> {
  const queue = deadLetterQueue(state.settings.name);
  return state.meta.update(async () => {
    const channel = await ctx.pub.model().createConfirmChannel();
    channel.on("error", () => undefined);
    try {
      const entries: Entry[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        entries.push({
          message,
          messageId: messageIdOf(message),
          details: readDeadLetter(message),
        });
      }
      const ordered = entries
        .map((entry, index) => ({ entry, index }))
        .sort(
          (a, b) =>
            a.entry.details.deadLetteredAt - b.entry.details.deadLetteredAt || a.index - b.index,
        )
        .map(({ entry }) => entry)
        .filter((entry) => matches(entry, filter));
      return { result: await body(ordered, channel) };
    } finally {
      // Closing returns every message not acked to the queue, in place.
      await channel.close().catch(() => undefined);
    }
  });
}

/** Dead letters, oldest first. */
export function listDeadLetters(
  ctx: RabbitMqContext,
  state: ChannelState,
  options: { limit: number; offset: number; filter?: DeadLetterFilter },
): Promise<DeadLetter[]> {
  return withDeadLetters(ctx, state, options.filter, async (entries) =>
    entries.slice(options.offset, options.offset + options.limit).map((entry) => {
      const message = decodeStored(entry.message.content);
      message.sequence = readStored(entry.message).sequence;
      message.deliveryAttempt = entry.details.attempts;
      return { ...entry.details, message };
    }),
  );
}

/**
 * Puts matching dead letters back into their group's queue (or
 * `targetGroup`'s) as new deliveries with the attempt count reset.
 * `ensureGroup` makes sure the target group exists.
 */
export function replayDeadLetters(
  ctx: RabbitMqContext,
  state: ChannelState,
  filter: DeadLetterFilter,
  targetGroup: string | undefined,
  ensureGroup: (group: string) => Promise<void>,
): Promise<number> {
  const channelName = state.settings.name;
  return withDeadLetters(ctx, state, filter, async (entries, channel) => {
    let replayed = 0;
    for (const entry of entries) {
      const group = targetGroup ?? entry.details.group;
      await ensureGroup(group);
      const stored = readStored(entry.message);
      const remaining = stored.expiresAt - ctx.now();
      await publishConfirmed(
        channel,
        "",
        groupQueue(channelName, group),
        entry.message.content,
        {
          messageId: entry.messageId,
          headers: storedHeaders({ ...stored, priorAttempts: 0 }),
          ...(remaining > 0 ? { expiration: String(Math.ceil(remaining)) } : {}),
        },
        ctx.publishTimeoutMs,
      );
      channel.ack(entry.message);
      addBacklog(state, group, 1);
      replayed++;
    }
    return replayed;
  });
}

/** Deletes matching dead letters; returns how many. */
export function purgeDeadLetters(
  ctx: RabbitMqContext,
  state: ChannelState,
  filter: DeadLetterFilter,
): Promise<number> {
  return withDeadLetters(ctx, state, filter, async (entries, channel) => {
    for (const entry of entries) channel.ack(entry.message);
    return entries.length;
  });
}
