/**
 * Shared records kept as one persistent message in a classic durable
 * "token" queue, read and replaced under mutual exclusion across receiver
 * processes. The lock is an exclusive consumer on the record's lock queue
 * (`<queue>:lock`, which never holds messages): the broker grants it to one
 * channel at a time (others get ACCESS_REFUSED and retry) and frees it when
 * that channel closes, also when its process crashed. The holder takes the
 * record with `basic.get`, publishes the new version (confirmed; the same
 * value when it only read) before it acks the old one, so a crash in
 * between leaves both, and the next holder keeps the one with the highest
 * version.
 */
import type { ChannelModel, GetMessage } from "amqplib";
import { publishConfirmed } from "./publish.js";

/** A record with its version. */
interface Versioned<V> {
  readonly version: number;
  readonly value: V;
}

/** What an update decides: the new value (undefined: unchanged) and the result. */
export interface TokenUpdate<V, R> {
  readonly next?: V;
  readonly result: R;
}

const MAX_ATTEMPTS = 400;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isAccessRefused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 403;
}

/**
 * Reads the record of `queue` under the lock, lets `update` decide, and
 * stores its new value. `update` may be async but should be short: other
 * processes wait for the lock.
 */
export async function withToken<V, R>(
  model: ChannelModel,
  queue: string,
  update: (current: V | undefined) => TokenUpdate<V, R> | Promise<TokenUpdate<V, R>>,
  timeoutMs: number,
): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    const channel = await model.createConfirmChannel();
    channel.on("error", () => undefined);
    try {
      await channel.consume(lockQueue(queue), () => undefined, { exclusive: true, noAck: true });
    } catch (error) {
      await channel.close().catch(() => undefined);
      if (!isAccessRefused(error) || attempt >= MAX_ATTEMPTS) throw error;
      await pause(2 + Math.random() * Math.min(50, 2 + attempt * 2));
      continue;
    }
    try {
      const received: GetMessage[] = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        received.push(message);
      }
      let newest: Versioned<V> | undefined;
      for (const message of received) {
        const record = JSON.parse(message.content.toString("utf8")) as Versioned<V>;
        if (newest === undefined || record.version > newest.version) newest = record;
      }
      const decision = await update(newest?.value);
      // A holder that only read writes the record back too. Left unacked,
      // the record went back to the queue only when this channel closed,
      // and the broker may free the lock (another queue) before it requeues
      // the record: the next holder then found the queue empty and started
      // from nothing, losing every value (a read right after concurrent
      // writes returned undefined). Published and confirmed before the lock
      // is released, the record is always there for the next holder.
      const next = decision.next ?? newest?.value;
      if (next !== undefined) {
        const record: Versioned<V> = { version: (newest?.version ?? 0) + 1, value: next };
        await publishConfirmed(
          channel,
          "",
          queue,
          Buffer.from(JSON.stringify(record)),
          { contentType: "application/json" },
          timeoutMs,
        );
        // Also what a holder that crashed between publish and ack left over.
        for (const message of received) channel.ack(message);
      }
      return decision.result;
    } finally {
      // Closing frees the lock.
      await channel.close().catch(() => undefined);
    }
  }
}

/** The lock queue of a token queue. */
export function lockQueue(queue: string): string {
  return `${queue}:lock`;
}
