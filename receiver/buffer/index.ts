/** The buffer room: the seam, the backends and URL-based selection. */
import { ConfigError } from "../config/config-error.js";
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
        ...events,
        path: target.path,
        ...(target.maxBufferBytes === undefined ? {} : { maxBufferBytes: target.maxBufferBytes }),
        ...(target.minFreeBytes === undefined ? {} : { minFreeBytes: target.minFreeBytes }),
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
    case "rabbitmq":
      throw new ConfigError(
        source,
        "",
        `the ${target.kind} buffer backend is not part of this release; use sqlite:PATH, nats://host:port or redis://host:port`,
      );
  }
}
