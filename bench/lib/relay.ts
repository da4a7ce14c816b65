/**
 * The system under test, started from the compiled CLI exactly as users
 * run it: a receiver process on a fresh buffer (SQLite file in a temporary
 * directory, or uniquely named JetStream streams that are deleted
 * afterwards) and connector processes in HTTP mode.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, tempDir, writeJson } from "../../tests/helpers/processes.js";
import { deleteRabbitMqChannel, deleteRedisChannel } from "./brokers.js";
import {
  type BenchChild,
  onCleanup,
  type SpawnOptions,
  spawnNode,
  spawnProcess,
} from "./children.js";
import { deleteChannelStreams } from "./nats.js";

/** Buffer backends the benchmarks compare, in the order they are run. */
export const BACKENDS = ["sqlite", "nats", "redis", "rabbitmq"] as const;

/** A buffer backend the benchmarks compare. */
export type Backend = (typeof BACKENDS)[number];

/** The compiled CLI. */
export const CLI = fileURLToPath(new URL("../../bin/webhook-connect.js", import.meta.url));

/** Webhook ids every benchmark receiver serves: one without and one with an `hmac` block. */
export const WEBHOOKS = { plain: "bench_plain", signed: "bench_signed" } as const;

/** The `hmac` block of the signed webhook (hex SHA-256 over the raw body). */
export const SIGNING = { secret: "bench-secret-5f2b8c", header: "X-Bench-Signature" } as const;

/** What a receiver is started with. */
export interface ReceiverPlan {
  readonly backend: Backend;
  /** NATS URL for the `nats` backend. */
  readonly natsUrl: string;
  /** Redis URL for the `redis` backend. @default "redis://127.0.0.1:6379" */
  readonly redisUrl?: string;
  /** Broker URL for the `rabbitmq` backend. @default "amqp://guest:guest@127.0.0.1:5672" */
  readonly amqpUrl?: string;
  /** `webhook_connect` module-config overrides (max_queue_size, max_connections, …). */
  readonly channelSettings?: Readonly<Record<string, unknown>>;
  /** Directory for a `--cpu-prof` profile of the receiver, if profiling. */
  readonly profileDir?: string;
  /** `--heartbeat` of the receiver, in seconds. @default the receiver's (15) */
  readonly heartbeatSeconds?: number;
  /**
   * Open-file limit the receiver is started with (`ulimit -n`, capped at
   * the hard limit), for many connections. @default inherited
   */
  readonly openFiles?: number;
}

/** A running receiver and its channel. */
export interface RunningRelay {
  readonly receiver: BenchChild;
  readonly url: string;
  readonly channel: string;
  readonly token: string;
  /** Ingest URL of a webhook id. */
  ingestUrl(webhookId: string): string;
  /** Starts a connector towards `targetUrl`; resolves once it is connected. */
  startConnector(plan: ConnectorPlan): Promise<BenchChild>;
  /** Stops the receiver (its buffer is deleted by the clean-up hooks). */
  stop(): Promise<void>;
}

/** What a connector is started with. */
export interface ConnectorPlan {
  readonly protocol: string;
  readonly targetUrl: string;
  /** `max_concurrent_requests`. */
  readonly concurrency: number;
}

/** The connector refused its protocol at start-up (not in this build). */
export class ProtocolUnavailableError extends Error {
  override readonly name = "ProtocolUnavailableError";
}

/** Starts a receiver on a fresh channel. */
export async function startRelay(plan: ReceiverPlan): Promise<RunningRelay> {
  const dir = tempDir("wc-bench-");
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const channel = `bench-${randomUUID().slice(0, 8)}`;
  const redisUrl = plan.redisUrl ?? "redis://127.0.0.1:6379";
  if (plan.backend === "nats") onCleanup(() => deleteChannelStreams(plan.natsUrl, [channel]));
  if (plan.backend === "redis") onCleanup(() => deleteRedisChannel(redisUrl, channel));
  if (plan.backend === "rabbitmq") onCleanup(() => deleteRabbitMqChannel(channel));
  const token = `tok_${randomUUID()}`;
  const moduleConfig = { channel, channel_token: token, ...plan.channelSettings };
  const configPath = writeJson(dir, "webhooks.json", {
    [WEBHOOKS.plain]: {
      data_type: "json",
      module: "webhook_connect",
      "module-config": moduleConfig,
    },
    [WEBHOOKS.signed]: {
      data_type: "json",
      module: "webhook_connect",
      "module-config": moduleConfig,
      hmac: { secret: SIGNING.secret, header: SIGNING.header, algorithm: "sha256" },
    },
  });
  const port = await freePort();
  const nodeFlags: string[] = [];
  if (plan.profileDir !== undefined) {
    mkdirSync(plan.profileDir, { recursive: true });
    nodeFlags.push("--cpu-prof", "--cpu-prof-dir", plan.profileDir);
  }
  const bufferUrl = {
    sqlite: `sqlite:${join(dir, "buffer.db")}`,
    nats: plan.natsUrl,
    redis: redisUrl,
    rabbitmq: plan.amqpUrl ?? "amqp://guest:guest@127.0.0.1:5672",
  }[plan.backend];
  const args = [
    ...nodeFlags,
    CLI,
    "receiver",
    ...["--config", configPath, "--host", "127.0.0.1", "--port", String(port)],
    ...["--buffer", bufferUrl, "--log-level", "info"],
    ...(plan.heartbeatSeconds === undefined ? [] : ["--heartbeat", String(plan.heartbeatSeconds)]),
  ];
  const name = `receiver (${plan.backend})`;
  const receiver =
    plan.openFiles === undefined
      ? spawnNode(name, { args })
      : spawnWithOpenFiles(name, plan.openFiles, args);
  await receiver.waitForOutput(/receiver listening/);
  const url = `http://127.0.0.1:${port}`;
  return {
    receiver,
    url,
    channel,
    token,
    ingestUrl: (webhookId) => `${url}/webhook/${webhookId}`,
    startConnector: (connector) =>
      startConnector(dir, url, channel, token, connector, plan.profileDir),
    async stop() {
      await receiver.stop("SIGTERM", 10_000);
    },
  };
}

/**
 * Starts node with `args` under a shell that raises the open-file limit
 * first (to the hard limit when `openFiles` is above it); `exec` keeps the
 * pid, so RSS is read from node itself.
 */
export function spawnWithOpenFiles(
  name: string,
  openFiles: number,
  args: readonly string[],
  options: Omit<SpawnOptions, "args"> = {},
): BenchChild {
  const raise = `ulimit -n ${openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return spawnProcess(name, "/bin/sh", {
    ...options,
    args: ["-c", raise, process.execPath, ...args],
  });
}

async function startConnector(
  dir: string,
  url: string,
  channel: string,
  token: string,
  plan: ConnectorPlan,
  profileDir: string | undefined,
): Promise<BenchChild> {
  const configPath = writeJson(dir, `connector-${randomUUID().slice(0, 6)}.json`, {
    cloud_url: url,
    channel,
    token,
    protocol: plan.protocol,
    connector_id: `bench-${plan.protocol}`,
    max_concurrent_requests: plan.concurrency,
    reconnect_delay: 0.2,
    max_reconnect_delay: 1,
    log_level: "info",
    default_target: { url: plan.targetUrl, timeout_seconds: 10 },
  });
  const connector = spawnNode(`connector (${plan.protocol})`, {
    args: [
      ...(profileDir === undefined
        ? []
        : ["--cpu-prof", "--cpu-prof-dir", join(profileDir, "connector")]),
      CLI,
      "connector",
      "--config",
      configPath,
      // The relay's throughput, as before the inspector existed; its history is a local extra.
      "--inspect",
      "off",
    ],
  });
  try {
    await connector.waitForOutput(/"msg":"connected"/);
  } catch (error) {
    const code = await Promise.race([connector.exited, connector.stop("SIGKILL")]);
    if (code === 2 && /not available|protocol/i.test(connector.output())) {
      throw new ProtocolUnavailableError(
        connector.output().trim().split("\n").at(-1) ?? "rejected",
      );
    }
    throw error;
  }
  return connector;
}
