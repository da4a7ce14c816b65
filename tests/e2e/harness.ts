/**
 * End-to-end harness: a receiver process and connector processes of the
 * real `webhook-connect` executable, a recording local target, and a
 * webhook sender. Each backend runs the same scenarios.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { request } from "undici";
import { afterEach } from "vitest";
import type { Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import { createJetStreamBuffer } from "../../receiver/buffer/jetstream/index.js";
import { createSqliteBuffer } from "../../receiver/buffer/sqlite/index.js";
import { loadReceiverConfig } from "../../receiver/config/index.js";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";
import type { ServiceName } from "../helpers/services.js";
import { startTarget } from "../helpers/target.js";

/** A buffer backend the e2e scenarios run against. */
export interface E2eBackend {
  readonly name: string;
  /** Service the backend needs, if any. */
  readonly service?: ServiceName;
  /** Buffer URL for a fresh store in `dir`. */
  url(dir: string): string;
  /** Opens the same store in-process (receiver stopped or shared). */
  open(dir: string): Promise<RelayBuffer>;
}

/** The backends. */
export const e2eBackends: E2eBackend[] = [
  {
    name: "sqlite",
    url: (dir) => `sqlite:${join(dir, "buffer.db")}`,
    open: (dir) => Promise.resolve(createSqliteBuffer({ path: join(dir, "buffer.db") })),
  },
  {
    name: "jetstream",
    service: "nats",
    url: () => "nats://127.0.0.1:4222",
    open: () => Promise.resolve(createJetStreamBuffer({ servers: ["nats://127.0.0.1:4222"] })),
  },
];

/** The embedded SQLite backend, which needs no server. */
export const sqlite = e2eBackends.find((backend) => backend.name === "sqlite")!;

/**
 * Registers, in the calling describe block, the closing of each test's
 * relay and target; returns what starts them: a Relay on the embedded
 * buffer (with `overrides`) and a recording target.
 */
export function relayPerTest() {
  let opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const resource of opened) await resource.close();
    opened = [];
  });
  return async (overrides: ChannelOverrides = {}) => {
    const relay = new Relay(sqlite, overrides);
    const target = await startTarget();
    opened.push(relay, target);
    return { relay, target };
  };
}

/** Channel settings a scenario may override. */
export interface ChannelOverrides {
  readonly [key: string]: unknown;
}

/** One scenario's world. */
export class Relay {
  readonly dir = tempDir("wc-e2e-");
  readonly suffix = randomUUID().slice(0, 8);
  readonly channel = `e2e-${this.suffix}`;
  readonly token = `tok_${randomUUID()}`;
  readonly processes: RunningProcess[] = [];
  port = 0;
  receiver: RunningProcess | undefined;
  configPath = "";

  constructor(
    readonly backend: E2eBackend,
    channelOverrides: ChannelOverrides = {},
  ) {
    this.configPath = writeJson(this.dir, "webhooks.json", {
      json_hook: {
        data_type: "json",
        module: "webhook_connect",
        "module-config": {
          channel: this.channel,
          channel_token: this.token,
          ...channelOverrides,
        },
      },
      blob_hook: {
        data_type: "blob",
        module: "webhook_connect",
        "module-config": {
          channel: this.channel,
          channel_token: this.token,
          ...channelOverrides,
        },
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts on the same port and data) the receiver, with `env` added to its environment. */
  async startReceiver(
    extraArgs: string[] = [],
    env: Record<string, string> = {},
  ): Promise<RunningProcess> {
    if (this.port === 0) this.port = await freePort();
    const receiver = runReceiver(
      {
        config: this.configPath,
        port: this.port,
        buffer: this.backend.url(this.dir),
        heartbeat: 1,
        args: extraArgs,
      },
      env,
    );
    this.processes.push(receiver);
    await receiver.waitForOutput(/receiver listening/);
    this.receiver = receiver;
    return receiver;
  }

  /** Starts a connector in HTTP mode towards `targetUrl`. */
  startConnector(
    targetUrl: string,
    options: {
      protocol?: string;
      id?: string;
      target?: Record<string, unknown>;
      /** Receiver URL the connector uses (e.g. a proxy in front of it). @default this.url */
      cloudUrl?: string;
      /** Extra command-line flags. */
      args?: string[];
    } = {},
  ): RunningProcess {
    const config = writeJson(this.dir, `connector-${randomUUID().slice(0, 6)}.json`, {
      cloud_url: options.cloudUrl ?? this.url,
      channel: this.channel,
      token: this.token,
      protocol: options.protocol ?? "grpc",
      connector_id: options.id ?? "e2e",
      max_concurrent_requests: 16,
      reconnect_delay: 0.2,
      max_reconnect_delay: 1,
      log_level: "info",
      default_target: { url: targetUrl, timeout_seconds: 5, ...options.target },
    });
    const connector = runCli(["connector", "--config", config, ...(options.args ?? [])]);
    this.processes.push(connector);
    return connector;
  }

  /** `connector` and the flags of a config-free connector of this relay forwarding to `forwardTo`. */
  connectorFlags(forwardTo: string, ...extra: string[]): string[] {
    const relay = ["--cloud-url", this.url, "--channel", this.channel, "--token", this.token];
    return ["connector", ...relay, "--forward-to", forwardTo, ...extra];
  }

  /** Posts a webhook (with `?source=e2e`); returns status, headers and parsed JSON body. */
  readonly send = (
    webhookId: string,
    body: Buffer | string,
    headers?: Record<string, string>,
  ): ReturnType<ReturnType<typeof webhookSender>> =>
    webhookSender("e2e")(this.url, webhookId, body, headers);

  /** Opens the scenario's store in-process, with its channels known to the buffer. */
  async openBuffer(): Promise<RelayBuffer> {
    const buffer = await this.backend.open(this.dir);
    const config = await loadReceiverConfig(this.configPath);
    for (const channel of config.channels.values()) await buffer.ensureChannel(channel);
    return buffer;
  }

  /** Stops every process started. */
  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop("SIGKILL")));
  }
}

/** A poster of webhooks whose URLs carry `?source=<source>` (forwarded to the targets). */
export function webhookSender(source: string) {
  return async (
    baseUrl: string,
    webhookId: string,
    body: Buffer | string,
    headers: Record<string, string> = { "content-type": "application/json" },
  ) => {
    const response = await request(`${baseUrl}/webhook/${webhookId}?source=${source}`, {
      method: "POST",
      headers,
      body,
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      headers: response.headers,
      json: text === "" ? undefined : (JSON.parse(text) as Record<string, string>),
    };
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Header value of a recorded request (first match, case-insensitive). */
export function headerOf(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name.toLowerCase()) return rawHeaders[i + 1];
  }
  return undefined;
}
