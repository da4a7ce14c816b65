/**
 * The processes of one chaos scenario, started from the compiled CLI as
 * users run them: receivers on fixed ports (a killed receiver comes back
 * on the same port, behind the same proxies), connectors in HTTP mode, one
 * channel, everything in one temporary directory removed at the end.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { freePort, tempDir, writeJson } from "../../tests/helpers/processes.js";
import { type BenchChild, spawnNode } from "../lib/children.js";
import { CLI } from "../lib/relay.js";

/** The webhook every scenario sends. */
export const WEBHOOK_ID = "chaos";

/** A receiver that can be killed and started again on the same port. */
export interface ChaosReceiver {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The ingest URL of the scenario's webhook. */
  readonly ingestUrl: string;
  /** Starts the process; resolves once it listens. */
  start(): Promise<void>;
  /** `kill -9`, resolves on exit. */
  kill(): Promise<void>;
}

/** A connector that can be killed and started again with the same config. */
export interface ChaosConnector {
  readonly name: string;
  start(): Promise<void>;
  kill(): Promise<void>;
}

/** One scenario's channel and processes. */
export class ChaosWorld {
  readonly dir = tempDir("wc-chaos-");
  readonly channel = `chaos-${randomUUID().slice(0, 8)}`;
  readonly token = `tok_${randomUUID()}`;
  readonly configPath: string;
  private readonly children = new Set<BenchChild>();

  constructor(channelSettings: Readonly<Record<string, unknown>> = {}) {
    this.configPath = writeJson(this.dir, "webhooks.json", {
      [WEBHOOK_ID]: {
        data_type: "json",
        module: "webhook_connect",
        "module-config": {
          channel: this.channel,
          channel_token: this.token,
          // Leases of a killed connector or receiver come back after 5 s; a
          // target failing for a while never pushes a message to the dead letters.
          ack_timeout_seconds: 5,
          max_delivery_attempts: 100,
          max_queue_size: 1_000_000,
          ...channelSettings,
        },
      },
    });
  }

  private track(child: BenchChild): BenchChild {
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** A receiver on `bufferUrl`, started. */
  async receiver(name: string, bufferUrl: string): Promise<ChaosReceiver> {
    const port = await freePort();
    let child: BenchChild | undefined;
    const receiver: ChaosReceiver = {
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      ingestUrl: `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}`,
      start: async () => {
        child = this.track(
          spawnNode(name, {
            args: [
              CLI,
              "receiver",
              ...["--config", this.configPath, "--host", "127.0.0.1", "--port", String(port)],
              ...["--buffer", bufferUrl, "--heartbeat", "2"],
            ],
          }),
        );
        await child.waitForOutput(/receiver listening/, 30_000);
      },
      kill: async () => {
        await child?.stop("SIGKILL");
      },
    };
    await receiver.start();
    return receiver;
  }

  /** A connector towards `cloudUrl` delivering to `targetUrl`, started and connected. */
  async connector(name: string, cloudUrl: string, targetUrl: string): Promise<ChaosConnector> {
    const config = writeJson(this.dir, `${name}.json`, {
      cloud_url: cloudUrl,
      channel: this.channel,
      token: this.token,
      protocol: "grpc",
      connector_id: name,
      max_concurrent_requests: 16,
      reconnect_delay: 0.2,
      max_reconnect_delay: 2,
      log_level: "info",
      default_target: { url: targetUrl, timeout_seconds: 10, retry_max_attempts: 2 },
      // Each connector's inspector on its own free port, its history inside this world.
      inspect: "127.0.0.1:0",
      state_dir: `state-${name}`,
    });
    let child: BenchChild | undefined;
    const connector: ChaosConnector = {
      name,
      start: async () => {
        child = this.track(spawnNode(name, { args: [CLI, "connector", "--config", config] }));
        await child.waitForOutput(/"msg":"connected"/, 30_000);
      },
      kill: async () => {
        await child?.stop("SIGKILL");
      },
    };
    await connector.start();
    return connector;
  }

  /** Kills every process still running and removes the directory. */
  async close(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop("SIGKILL")));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits `ms` (the scenario's clock: load keeps running meanwhile). */
export function hold(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
