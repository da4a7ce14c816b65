/**
 * A whole receiver in-process (`startReceiver`) on 127.0.0.1 port 0 with a
 * temp-file SQLite buffer, for tests that go through the real listener,
 * router, ingest handler and verifiers.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import {
  type ReceiverOptions,
  type RunningReceiver,
  startReceiver,
} from "../../../receiver/app.js";
import { DEFAULT_GROUP } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer, type SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { parseReceiverConfig, type ReceiverConfig } from "../../../receiver/config/index.js";
import { tempDir } from "../../helpers/processes.js";

/** A running receiver with its buffer. */
export interface ReceiverFixture {
  readonly receiver: RunningReceiver;
  readonly buffer: SqliteBuffer;
  readonly config: ReceiverConfig;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Every message stored in `channel` for the default group (leased to the test). */
  stored(channel: string): Promise<WebhookMessage[]>;
  /** Closes the receiver and the buffer and deletes the temp directory. */
  close(): Promise<void>;
}

/** A relayed webhooks.json entry on `channel` with extra entry keys (auth blocks). */
export function relayed(
  channel: string,
  extra: Record<string, unknown> = {},
  moduleConfig: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    module: "webhook_connect",
    "module-config": { channel, channel_token: `tok-${channel}`, ...moduleConfig },
    ...extra,
  };
}

/** Parses a webhooks.json document the way the receiver's loader does. */
export function configOf(document: Record<string, unknown>): ReceiverConfig {
  return parseReceiverConfig(JSON.stringify(document), "webhooks.json", { env: {} });
}

/** Starts a receiver for `document` on a fresh SQLite file. */
export async function startReceiverFixture(
  document: Record<string, unknown>,
  options: Omit<ReceiverOptions, "config" | "buffer" | "host" | "port"> = {},
  shared?: { readonly dir: string },
): Promise<ReceiverFixture> {
  const dir = shared?.dir ?? tempDir("wc-hardening-");
  const config = configOf(document);
  const buffer = createSqliteBuffer({ path: join(dir, `buffer-${process.hrtime.bigint()}.db`) });
  let receiver: RunningReceiver;
  try {
    receiver = await startReceiver({ ...options, config, buffer, host: "127.0.0.1", port: 0 });
  } catch (error) {
    await buffer.close();
    throw error;
  }
  return {
    receiver,
    buffer,
    config,
    url: receiver.url,
    port: receiver.listener.address.port,
    async stored(channel) {
      const deliveries = await buffer.fetch({
        channel,
        group: DEFAULT_GROUP,
        consumerId: "test",
        max: 1000,
        waitMs: 0,
      });
      return deliveries.map((delivery) => delivery.message);
    },
    async close() {
      await receiver.close();
      await buffer.close();
      if (shared === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An answer of the receiver. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** Sends one request with undici and reads the whole answer. */
export async function send(
  url: string,
  init: {
    readonly method?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string | Buffer;
  } = {},
): Promise<Answer> {
  const response = await request(url, {
    method: (init.method ?? "POST") as "POST",
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    text: await response.body.text(),
  };
}
