/** Buffers for the ingest tests: the real SQLite buffer, and wrappers that change `publish`. */

import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { DEFAULT_GROUP, type Buffer as MessageBuffer } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer, type SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import type { ReceiverConfig } from "../../../receiver/config/index.js";

/** An in-memory SQLite buffer with every channel of `config` ensured. */
export async function sqliteBufferFor(config: ReceiverConfig): Promise<SqliteBuffer> {
  const buffer = createSqliteBuffer({ path: ":memory:" });
  for (const channel of config.channels.values()) await buffer.ensureChannel(channel);
  return buffer;
}

/**
 * `base` with its `publish` replaced; `publishEncoded` is hidden, so ingest
 * stores through the replacement (it takes the encoded path only when a
 * backend offers it).
 */
export function withPublish(base: MessageBuffer, publish: MessageBuffer["publish"]): MessageBuffer {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (property === "publish") return publish;
      if (property === "publishEncoded") return undefined;
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Every message stored in `channel` for the default group, leased to the test. */
export async function storedMessages(
  buffer: MessageBuffer,
  channel = "ch",
): Promise<WebhookMessage[]> {
  const deliveries = await buffer.fetch({
    channel,
    group: DEFAULT_GROUP,
    consumerId: "test",
    max: 100,
    waitMs: 0,
  });
  return deliveries.map((delivery) => delivery.message);
}

/** A promise with its resolve and reject exposed. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
