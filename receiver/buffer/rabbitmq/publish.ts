/**
 * Publishing with publisher confirms: a promise per message that resolves
 * once the broker confirmed it (for a persistent message in a durable
 * queue: written to disk on every quorum member that counts, or fsynced by
 * a classic queue) and rejects when the broker nacks it, the channel
 * closes first, or no confirm arrives within the timeout.
 */
import type { ConfirmChannel, Options } from "amqplib";

/** Publishes and waits for the confirm. */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new Error(`no publisher confirm within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      channel.publish(
        exchange,
        routingKey,
        content,
        { persistent: true, ...options },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (error === null || error === undefined) resolve();
          else reject(error instanceof Error ? error : new Error("the broker nacked the publish"));
        },
      );
    } catch (error) {
      settled = true;
      clearTimeout(timer);
      reject(error);
    }
  });
}
