/** The buffer room: the seam, the backends and URL-based selection. */
import { ConfigError } from "../config/config-error.js";
import type { Buffer } from "./buffer.js";
import { createSqliteBuffer } from "./sqlite/index.js";
import { parseBufferUrl } from "./url.js";

export * from "./buffer.js";
export { nackDelayMs } from "./policy.js";
export { DEFAULT_BUFFER_URL, parseBufferUrl, resolveBufferUrl } from "./url.js";

/** Opens the backend a buffer URL names. */
export async function createBufferFromUrl(url: string, source: string): Promise<Buffer> {
  const target = parseBufferUrl(url, source);
  switch (target.kind) {
    case "sqlite":
      return createSqliteBuffer({
        path: target.path,
        ...(target.maxBufferBytes === undefined ? {} : { maxBufferBytes: target.maxBufferBytes }),
        ...(target.minFreeBytes === undefined ? {} : { minFreeBytes: target.minFreeBytes }),
      });
    case "nats": {
      // Loaded only when used: the NATS client costs about 13 MB of memory.
      const { createJetStreamBuffer } = await import("./jetstream/index.js");
      return createJetStreamBuffer({ servers: target.servers });
    }
    case "rabbitmq": {
      const { createRabbitMqBuffer } = await import("./rabbitmq/index.js");
      return createRabbitMqBuffer({ url: target.url, queueType: target.queueType });
    }
    case "redis":
      throw new ConfigError(
        source,
        "",
        `the ${target.kind} buffer backend is not part of this release; use sqlite:PATH or nats://host:port`,
      );
  }
}
