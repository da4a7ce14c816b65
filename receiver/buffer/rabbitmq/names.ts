/**
 * Names of the RabbitMQ resources of a channel. Channel and group names
 * match `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, so `:` separates the parts
 * without any escaping and no two channels or groups share a name.
 */

/** The fanout exchange every group queue of a channel is bound to. */
export function channelExchange(channel: string): string {
  return `wc:${channel}`;
}

/** The durable queue of one group (quorum by default). */
export function groupQueue(channel: string, group: string): string {
  return `wc:${channel}:g:${group}`;
}

/** Prefix of the retry queues of a group. */
export function retryQueuePrefix(channel: string, group: string): string {
  return `wc:${channel}:r:${group}:`;
}

/** The retry queue holding a group's messages for `delayMs` before they return. */
export function retryQueue(channel: string, group: string, delayMs: number): string {
  return `${retryQueuePrefix(channel, group)}${delayMs}`;
}

/** The channel's dead-letter queue (classic durable: listed and filtered in place). */
export function deadLetterQueue(channel: string): string {
  return `wc:${channel}:dead`;
}

/** Where the broker dead-letters messages whose TTL ran out in a group queue. */
export function expiredQueue(channel: string): string {
  return `wc:${channel}:expired`;
}

/** The token queue holding the channel's shared record (counters, sequences, groups). */
export function metaQueue(channel: string): string {
  return `wc:${channel}:meta`;
}

/** The token queue holding shared state values (e.g. rotated tokens). */
export const STATE_QUEUE = "wc:state";

/** The group a group queue name belongs to, or undefined. */
export function groupOfQueue(channel: string, queue: string): string | undefined {
  const prefix = `wc:${channel}:g:`;
  return queue.startsWith(prefix) ? queue.slice(prefix.length) : undefined;
}
