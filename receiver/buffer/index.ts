/** The buffer room: the seam, the backends and URL-based selection. */
import type { Buffer, BufferEvent } from "./buffer.js";
import { createSqliteBuffer } from "./sqlite/index.js";
import { parseBufferUrl } from "./url.js";

export * from "./buffer.js";
export { nackDelayMs } from "./policy.js";
export { DEFAULT_BUFFER_URL, parseBufferUrl, resolveBufferUrl } from "./url.js";

/** Opens the backend a buffer URL names; `onEvent` hears what happens to it outside calls. */
export async function createBufferFromUrl(
  url: string,
  source: string,
  onEvent?: (event: BufferEvent) => void,
): Promise<Buffer> {
  const target = parseBufferUrl(url, source);
  const events = onEvent === undefined ? {} : { onEvent };
  switch (target.kind) {
    case "sqlite":
      return createSqliteBuffer({
        // Its group commits are for tests and benchmarks; the owner hears what every backend reports.
        ...(onEvent === undefined
          ? {}
          : {
              onEvent: (event) => {
                if (event.type !== "commit") onEvent(event);
              },
            }),
        path: target.path,
        ...(target.maxBufferBytes === undefined ? {} : { maxBufferBytes: target.maxBufferBytes }),
        ...(target.minFreeBytes === undefined ? {} : { minFreeBytes: target.minFreeBytes }),
        ...(target.thread === undefined ? {} : { thread: target.thread }),
      });
    case "nats": {
      // Loaded only when used: the NATS client costs about 13 MB of memory.
      const { createJetStreamBuffer } = await import("./jetstream/index.js");
      return createJetStreamBuffer({
        ...events,
        servers: target.servers,
        replicas: target.replicas,
      });
    }
    case "redis": {
      // Loaded only when used, like the NATS client.
      const { createRedisBuffer, parseRedisBufferUrl } = await import("./redis/index.js");
      return createRedisBuffer({ ...events, ...parseRedisBufferUrl(target.url, source) });
    }
    case "rabbitmq": {
      // Loaded only when used, like the NATS client.
      const { createRabbitMqBuffer } = await import("./rabbitmq/index.js");
      return createRabbitMqBuffer({ ...events, url: target.url, queueType: target.queueType });
    }
  }
}
export {
  type Buffer,
  type BufferEvent,
  type ChannelSettings,
  type ChannelStats,
  DEFAULT_GROUP,
  type DeadLetter,
  type DeadLetterFilter,
  type Delivery,
  type GroupStats,
  type SettleOutcome,
} from "./buffer.js";
