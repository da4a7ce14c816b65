/**
 * Several receiver processes on one shared buffer (JetStream, Redis,
 * RabbitMQ), for the `*-topology` end-to-end tests: a world of one channel
 * fed by a JSON and a blob webhook, receivers and connectors started from
 * the CLI, the buffer opened in-process to read its stats, and the cleanup
 * of what the channel left on the server. The backend-specific parts come
 * from a TopologyBackend.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { request } from "undici";
import type { ChannelStats, Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import { loadReceiverConfig } from "../../receiver/config/index.js";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";
import type { RecordedRequest } from "../helpers/target.js";
import { headerOf } from "./harness.js";

/** What a world needs from its buffer backend. */
export interface TopologyBackend {
  /** Short tag in the channel name and temp directory (`js`, `rd`, `rq`). */
  readonly tag: string;
  /** The receivers' `--buffer` URL. */
  readonly bufferUrl: string;
  /** Opens the buffer in-process (the world ensures the channel on it). */
  openBuffer(): Promise<RelayBuffer>;
  /** Deletes what `channel` left on a server that outlives the test. */
  deleteChannel(channel: string): Promise<void>;
}

/** A receiver process of a world. */
export interface ReceiverProcess {
  readonly process: RunningProcess;
  readonly url: string;
}

/**
 * One scenario: a channel fed by a JSON and a blob webhook, receivers and
 * connectors on one buffer URL, and cleanup of everything it created.
 */
export class World {
  readonly dir: string;
  readonly channel: string;
  readonly token = `tok_${randomUUID()}`;
  readonly processes: RunningProcess[] = [];
  readonly configPath: string;

  constructor(
    readonly backend: TopologyBackend,
    overrides: Record<string, unknown> = {},
  ) {
    this.dir = tempDir(`wc-e2e-${backend.tag}-`);
    this.channel = `e2e-${backend.tag}-${randomUUID().slice(0, 8)}`;
    const moduleConfig = { channel: this.channel, channel_token: this.token, ...overrides };
    this.configPath = writeJson(this.dir, "webhooks.json", {
      json_hook: { data_type: "json", module: "webhook_connect", "module-config": moduleConfig },
      blob_hook: { data_type: "blob", module: "webhook_connect", "module-config": moduleConfig },
    });
  }

  /**
   * Spawns a receiver process on its own port, on the shared buffer or on
   * `bufferUrl`; the caller waits for what it expects.
   */
  async spawnReceiver(bufferUrl = this.backend.bufferUrl): Promise<ReceiverProcess> {
    const port = await freePort();
    const child = runReceiver({ config: this.configPath, port, buffer: bufferUrl, heartbeat: 1 });
    this.processes.push(child);
    return { process: child, url: `http://127.0.0.1:${port}` };
  }

  /** Starts a receiver process on its own port; resolves once it listens. */
  async startReceiver(bufferUrl = this.backend.bufferUrl): Promise<ReceiverProcess> {
    const receiver = await this.spawnReceiver(bufferUrl);
    await receiver.process.waitForOutput(/receiver listening/);
    return receiver;
  }

  /** Starts a connector in HTTP mode attached to `receiver`; resolves once it is connected. */
  async startConnector(
    receiver: ReceiverProcess,
    targetUrl: string,
    options: { id: string; maxConcurrent?: number; timeoutSeconds?: number },
  ): Promise<RunningProcess> {
    const config = writeJson(this.dir, `connector-${options.id}.json`, {
      cloud_url: receiver.url,
      channel: this.channel,
      token: this.token,
      protocol: "grpc",
      connector_id: options.id,
      max_concurrent_requests: options.maxConcurrent ?? 16,
      reconnect_delay: 0.2,
      max_reconnect_delay: 1,
      log_level: "info",
      default_target: { url: targetUrl, timeout_seconds: options.timeoutSeconds ?? 10 },
    });
    const connector = runCli(["connector", "--config", config]);
    this.processes.push(connector);
    await connector.waitForOutput(/"msg":"connected"/);
    return connector;
  }

  /** Opens the channel's buffer in-process with the receivers' exact settings. */
  async openBuffer(): Promise<RelayBuffer> {
    const buffer = await this.backend.openBuffer();
    const config = await loadReceiverConfig(this.configPath);
    for (const settings of config.channels.values()) await buffer.ensureChannel(settings);
    return buffer;
  }

  /** Kills every process; with `deleteChannel`, deletes what the channel left on the server. */
  async close(deleteChannel = true): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop("SIGKILL")));
    if (deleteChannel) await this.backend.deleteChannel(this.channel);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The HTTP status `url` answers a GET with. */
export async function statusOf(url: string): Promise<number> {
  const response = await request(url);
  await response.body.dump();
  return response.statusCode;
}

/**
 * Polls `probe` until it returns true, at most `timeoutMs`. Used only where
 * no event exists to await (broker-side numbers, readiness of a replica).
 */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until the channel is drained: nothing queued or in flight and at
 * least `delivered` acks counted (bounded), then returns the stats. On a
 * timeout the error carries the last stats and the tail of `logs`.
 */
export async function drained(
  buffer: RelayBuffer,
  channel: string,
  delivered?: number,
  logs: readonly RunningProcess[] = [],
) {
  let last: ChannelStats | undefined;
  await until(
    "channel drained",
    async () => {
      last = await buffer.stats(channel);
      return (
        last.queued === 0 &&
        last.inFlight === 0 &&
        (delivered === undefined || last.delivered >= delivered)
      );
    },
    20_000,
  ).catch((error: unknown) => {
    const tails = logs.map((p) => p.output().slice(-3000)).join("\n---\n");
    throw new Error(`${(error as Error).message}; last stats ${JSON.stringify(last)}\n${tails}`);
  });
  return last!;
}

/** The message id a target request carries. */
export function idOf(req: RecordedRequest): string {
  return headerOf(req.rawHeaders, "x-webhook-message-id") ?? "";
}

/** How often each message id reached the target. */
export function countById(requests: readonly RecordedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const req of requests) counts.set(idOf(req), (counts.get(idOf(req)) ?? 0) + 1);
  return counts;
}
