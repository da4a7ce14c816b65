/**
 * The broker objects of a channel:
 *
 * | object | type | what it holds |
 * |---|---|---|
 * | `wc:<ch>` | fanout exchange, durable | ingest publishes here |
 * | `wc:<ch>:g:<group>` | quorum queue (classic with `queue_type=classic`) | the group's messages; per-message TTL, expired ones dead-lettered to `…:expired` |
 * | `wc:<ch>:r:<group>:<ms>` | same type, `x-message-ttl` = ms | a nacked message waits here, then the broker dead-letters it back into the group queue |
 * | `wc:<ch>:dead` | classic durable queue | dead letters with reason and attempts |
 * | `wc:<ch>:expired` | classic durable queue | messages the broker expired, until counted |
 * | `wc:<ch>:meta` | classic durable queue | the shared record (meta.ts) |
 * | `wc:<ch>:meta:lock` | classic durable queue, always empty | its lock: an exclusive consumer (token.ts) |
 *
 * Declarations run on short-lived channels: a declaration that conflicts
 * with an existing queue closes its channel, never the shared ones.
 */
import type { Channel, ChannelModel } from "amqplib";
import {
  channelExchange,
  deadLetterQueue,
  expiredQueue,
  groupQueue,
  metaQueue,
  retryQueue,
  STATE_QUEUE,
} from "./names.js";
import { lockQueue } from "./token.js";

/** Queue type of group and retry queues. */
export type QueueType = "quorum" | "classic";

/** Runs `body` on a channel of its own, closed afterwards. */
export async function withChannel<T>(
  model: ChannelModel,
  body: (channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await model.createChannel();
  channel.on("error", () => undefined);
  try {
    return await body(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Declares the state token queue shared by all channels. */
export function ensureStateQueue(model: ChannelModel): Promise<void> {
  return withChannel(model, async (channel) => {
    for (const queue of [STATE_QUEUE, lockQueue(STATE_QUEUE)]) {
      await channel.assertQueue(queue, { durable: true });
    }
  });
}

/** Declares the exchange and the channel-wide queues. */
export function ensureChannelObjects(model: ChannelModel, channel: string): Promise<void> {
  return withChannel(model, async (ch) => {
    await ch.assertExchange(channelExchange(channel), "fanout", { durable: true });
    const meta = metaQueue(channel);
    for (const queue of [deadLetterQueue(channel), expiredQueue(channel), meta, lockQueue(meta)]) {
      await ch.assertQueue(queue, { durable: true });
    }
  });
}

function typeArguments(type: QueueType): Record<string, unknown> {
  return type === "quorum" ? { "x-queue-type": "quorum" } : {};
}

/**
 * Declares a group's queue and binds it, so it receives every later
 * publish. An ordered channel's queues have a single active consumer, so
 * only one receiver at a time takes its messages (with prefetch 1: one
 * message in flight across all receivers). Queue arguments cannot change:
 * a queue declared before the channel's `ordered` changed is kept as it is,
 * and this resolves false.
 */
export async function ensureGroupQueue(
  model: ChannelModel,
  channel: string,
  group: string,
  type: QueueType,
  ordered: boolean,
): Promise<boolean> {
  const queue = groupQueue(channel, group);
  try {
    await withChannel(model, async (ch) => {
      await ch.assertQueue(queue, {
        durable: true,
        arguments: {
          ...typeArguments(type),
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": expiredQueue(channel),
          ...(ordered ? { "x-single-active-consumer": true } : {}),
        },
      });
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 406) throw error;
    // PRECONDITION_FAILED: it exists with other arguments; use it as it is.
    await withChannel(model, (ch) => ch.checkQueue(queue));
    await withChannel(model, (ch) => ch.bindQueue(queue, channelExchange(channel), ""));
    return false;
  }
  await withChannel(model, (ch) => ch.bindQueue(queue, channelExchange(channel), ""));
  return true;
}

/** Declares the retry queue of a group for one delay. */
export function ensureRetryQueue(
  model: ChannelModel,
  channel: string,
  group: string,
  delayMs: number,
  type: QueueType,
): Promise<void> {
  return withChannel(model, async (ch) => {
    await ch.assertQueue(retryQueue(channel, group, delayMs), {
      durable: true,
      arguments: {
        ...typeArguments(type),
        "x-message-ttl": delayMs,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": groupQueue(channel, group),
        // Quorum queues move a message on only once the group queue has it.
        ...(type === "quorum"
          ? { "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish" }
          : {}),
      },
    });
  });
}

/** Retry delays the buffer uses: a nack's delay is rounded up to the next one. */
export const RETRY_DELAYS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200,
  1800, 2700, 3600,
].map((seconds) => seconds * 1000);

/** The retry queue delay for a wanted delay: the smallest that is at least as long. */
export function retryDelayFor(delayMs: number): number {
  for (const delay of RETRY_DELAYS_MS) if (delay >= delayMs) return delay;
  return RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1]!;
}

/** Ready (not leased) messages of a queue; the queue must exist. */
export async function readyCount(channel: Channel, queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}
