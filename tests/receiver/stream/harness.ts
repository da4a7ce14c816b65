/**
 * In-process receiver for stream-transport tests: the real startReceiver
 * (one port, every transport) on an embedded SQLite buffer in a temp dir,
 * channel `ch` with token `tok`, webhooks `json_hook` and `blob_hook`.
 */
import { join } from "node:path";
import { request } from "undici";
import { afterEach } from "vitest";
import { type RunningReceiver, startReceiver } from "../../../receiver/app.js";
import type { Buffer as RelayBuffer } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { parseReceiverConfig } from "../../../receiver/config/index.js";
import type { SessionEvent } from "../../../receiver/stream/session.js";
import { tempDir } from "../../helpers/processes.js";

/** A running in-process receiver. */
export interface TestReceiver {
  readonly url: string;
  readonly receiver: RunningReceiver;
  readonly buffer: RelayBuffer;
  readonly events: SessionEvent[];
  /** Posts a webhook; resolves with the message id. */
  send(webhookId: string, body: string | Buffer, contentType?: string): Promise<string>;
  close(): Promise<void>;
}

/** Options of startTestReceiver. */
export interface TestReceiverOptions {
  /** Extra module-config of the channel. */
  readonly channel?: Record<string, unknown>;
  /** Heartbeat interval. @default 1000 */
  readonly heartbeatIntervalMs?: number;
  /** Accept `?token=`. @default false */
  readonly allowQueryToken?: boolean;
}

/** Starts receivers and closes them after each test of the file. */
export function useTestReceivers(): (options?: TestReceiverOptions) => Promise<TestReceiver> {
  const running: TestReceiver[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });
  return async (options = {}) => {
    const r = await startTestReceiver(options);
    running.push(r);
    return r;
  };
}

/** Starts one receiver on 127.0.0.1, port 0. */
export async function startTestReceiver(options: TestReceiverOptions = {}): Promise<TestReceiver> {
  const moduleConfig = { channel: "ch", channel_token: "tok", ...options.channel };
  const config = parseReceiverConfig(
    JSON.stringify({
      json_hook: { data_type: "json", module: "webhook_connect", "module-config": moduleConfig },
      blob_hook: { data_type: "blob", module: "webhook_connect", "module-config": moduleConfig },
    }),
    "webhooks.json",
    { env: {} },
  );
  const buffer = createSqliteBuffer({ path: join(tempDir("wc-stream-"), "buffer.db") });
  const events: SessionEvent[] = [];
  const receiver = await startReceiver({
    config,
    buffer,
    host: "127.0.0.1",
    port: 0,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    allowQueryToken: options.allowQueryToken ?? false,
    onSessionEvent: (event) => events.push(event),
  });
  return {
    url: receiver.url,
    receiver,
    buffer,
    events,
    async send(webhookId, body, contentType = "application/json") {
      const res = await request(`${receiver.url}/webhook/${webhookId}`, {
        method: "POST",
        headers: { "content-type": contentType, "X-Test": "yes" },
        body,
      });
      const json = (await res.body.json()) as { message_id: string };
      if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`);
      return json.message_id;
    },
    async close() {
      await receiver.close();
      await buffer.close();
    },
  };
}
