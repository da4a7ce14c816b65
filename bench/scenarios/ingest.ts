/**
 * Scenario 1, ingest only: saturating 1 KiB signed webhooks (wrk by
 * default) against a bare Node server, against anchors — minimal servers
 * doing the durable work each backend needs (HMAC, then an fsync'd SQLite
 * commit or JetStream PubAcks per event-loop turn) — and against the
 * receiver per buffer backend, with and without HMAC verification. Rounds
 * are interleaved (every configuration once per round) so a noisy moment
 * hits them all alike; the median round of each is reported. A receiver
 * row with HMAC is compared with bare Node and with its backend's anchor.
 */

import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../tests/helpers/processes.js";
import { backendUnavailable, deleteRabbitMqQueue, deleteRedisKeysAt } from "../lib/brokers.js";
import { onCleanup } from "../lib/children.js";
import { describeLoad, type Measured } from "../lib/measure.js";
import { createBenchStream } from "../lib/nats.js";
import { BACKENDS, type Backend, SIGNING, startRelay, WEBHOOKS } from "../lib/relay.js";
import { type Saturator, startSaturator } from "../lib/saturate.js";
import { medianBy } from "../lib/stats.js";
import { type Check, formatCount, ratioAtLeast } from "../lib/table.js";
import { startWorker, type Worker } from "../lib/worker.js";
import type { AnchorApi, AnchorStats } from "../workers/api.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

/** The load generator above this CPU% may be what limits the bare baseline. */
const LOADGEN_CPU_LIMIT = 80;

/**
 * Issue #12 targets of the receiver with HMAC: ratio to bare Node and to
 * the backend's anchor (Redis and RabbitMQ have anchors but no stated target).
 */
const targets: Readonly<
  Partial<Record<Backend, { readonly bare: number; readonly anchor: number }>>
> = {
  sqlite: { bare: 0.55, anchor: 0.9 },
  nats: { bare: 0.3, anchor: 0.9 },
};

interface IngestConfig {
  readonly label: string;
  readonly url: string;
  readonly serverPid: number;
  /** Set on the anchor row of a backend: the bar its receiver row is compared with. */
  readonly anchorOf?: Backend;
  /** A receiver row with HMAC: checked against `targets`. */
  readonly targetOf?: Backend;
  /** An anchor's counters (webhooks per durable write). */
  readonly anchor?: Worker<AnchorApi>;
  readonly samples: Measured[];
}

async function anchorConfigs(
  context: ScenarioContext,
  usable: ReadonlySet<Backend>,
): Promise<IngestConfig[]> {
  const { options } = context;
  const signing = { signing: SIGNING };
  const bare = await startWorker<Record<string, never>>("bare-server");
  const hmac = await startWorker<AnchorApi>("hmac-server", signing);
  const dir = tempDir("wc-bench-anchor-");
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const sqliteThread = await startWorker<AnchorApi>("sqlite-anchor", {
    ...signing,
    path: join(dir, "thread.db"),
    commit: "thread",
  });
  const sqliteMain = await startWorker<AnchorApi>("sqlite-anchor", {
    ...signing,
    path: join(dir, "main.db"),
    commit: "main",
  });
  const configs: IngestConfig[] = [
    {
      label: "bare Node http (baseline)",
      url: `${bare.url}/webhook/x`,
      serverPid: bare.pid,
      samples: [],
    },
    { label: "bare + HMAC", url: `${hmac.url}/webhook/x`, serverPid: hmac.pid, samples: [] },
    {
      label: "SQLite anchor: HMAC + INSERT, group commit on a writer thread (anchor)",
      url: `${sqliteThread.url}/webhook/x`,
      serverPid: sqliteThread.pid,
      anchorOf: "sqlite",
      anchor: sqliteThread,
      samples: [],
    },
    {
      label: "SQLite anchor, group commit on the main thread",
      url: `${sqliteMain.url}/webhook/x`,
      serverPid: sqliteMain.pid,
      anchor: sqliteMain,
      samples: [],
    },
  ];
  if (usable.has("nats")) {
    const stream = await createBenchStream(options.natsUrl);
    const jetstream = await startWorker<AnchorApi>("jetstream-anchor", {
      ...signing,
      natsUrl: options.natsUrl,
      subject: stream.subject,
    });
    configs.push({
      label: "JetStream anchor: HMAC + publish, PubAcks per loop turn (anchor)",
      url: `${jetstream.url}/webhook/x`,
      serverPid: jetstream.pid,
      anchorOf: "nats",
      anchor: jetstream,
      samples: [],
    });
  }
  if (usable.has("redis")) {
    const key = `bench:anchor:${randomUUID().slice(0, 8)}`;
    onCleanup(() => deleteRedisKeysAt(options.redisUrl, key));
    const redis = await startWorker<AnchorApi>("redis-anchor", {
      ...signing,
      redisUrl: options.redisUrl,
      key,
    });
    configs.push({
      label: "Redis anchor: HMAC + XADD, pipelined per loop turn (anchor)",
      url: `${redis.url}/webhook/x`,
      serverPid: redis.pid,
      anchorOf: "redis",
      anchor: redis,
      samples: [],
    });
  }
  if (usable.has("rabbitmq")) {
    const queue = `bench.anchor.${randomUUID().slice(0, 8)}`;
    onCleanup(() => deleteRabbitMqQueue(options.amqpUrl, queue));
    const rabbitmq = await startWorker<AnchorApi>("rabbitmq-anchor", {
      ...signing,
      amqpUrl: options.amqpUrl,
      queue,
    });
    configs.push({
      label:
        "RabbitMQ anchor: HMAC + persistent publish to a quorum queue, confirms per loop turn (anchor)",
      url: `${rabbitmq.url}/webhook/x`,
      serverPid: rabbitmq.pid,
      anchorOf: "rabbitmq",
      anchor: rabbitmq,
      samples: [],
    });
  }
  return configs;
}

async function receiverConfigs(
  context: ScenarioContext,
  usable: ReadonlySet<Backend>,
): Promise<IngestConfig[]> {
  const { options } = context;
  const configs: IngestConfig[] = [];
  for (const backend of BACKENDS) {
    if (!usable.has(backend)) continue;
    const relay = await startRelay({
      backend,
      natsUrl: options.natsUrl,
      redisUrl: options.redisUrl,
      amqpUrl: options.amqpUrl,
      channelSettings: { max_queue_size: 50_000_000 },
      ...(context.profileDir === undefined ? {} : { profileDir: context.profileDir }),
    });
    const serverPid = relay.receiver.pid;
    configs.push(
      { label: `${backend}`, url: relay.ingestUrl(WEBHOOKS.plain), serverPid, samples: [] },
      {
        label: `${backend} + HMAC`,
        url: relay.ingestUrl(WEBHOOKS.signed),
        serverPid,
        targetOf: backend,
        samples: [],
      },
    );
  }
  return configs;
}

function rate(measured: Measured): number {
  return measured.load.okPerSecond;
}

/** The notes of a row: latency and failures of the median round, failures of the other rounds. */
function notesOf(config: IngestConfig, median: Measured, extra: readonly string[]): string {
  const rounds = config.samples.map((s) => formatCount(rate(s))).join(" / ");
  const otherFailures = config.samples
    .filter((s) => s !== median && s.load.failed > 0)
    .map((s) => formatCount(s.load.failed));
  return [
    describeLoad(median.load),
    otherFailures.length > 0 ? `**other rounds failed ${otherFailures.join(", ")}**` : "",
    ...extra,
    config.samples.length > 1 ? `rounds ${rounds}` : "",
  ]
    .filter((part) => part !== "")
    .join("; ");
}

async function anchorNote(config: IngestConfig): Promise<string> {
  if (config.anchor === undefined) return "";
  const stats: AnchorStats = await config.anchor.call("stats", null);
  if (stats.writes === 0) return "";
  const parts = [
    `${(stats.stored / stats.writes).toFixed(1)} webhooks per ${config.anchorOf === "sqlite" ? "commit" : "turn"}`,
    `${formatCount(stats.recordBytes)}-byte records`,
  ];
  if (stats.failed > 0) parts.push(`**${formatCount(stats.failed)} not stored (503)**`);
  return parts.join(", ");
}

function loadgenNote(saturator: Saturator, median: Measured, connections: number): string {
  const cpu = median.cpu.loadgen;
  const which =
    saturator.name === "wrk"
      ? `wrk -t1 -c${connections}`
      : `undici worker, ${connections} connections`;
  if (cpu === undefined) return `load generator ${which}`;
  return cpu >= LOADGEN_CPU_LIMIT
    ? `**load generator ${which} at ${cpu.toFixed(0)} % CPU: it may be what limits this baseline**`
    : `load generator ${which} at ${cpu.toFixed(0)} % CPU`;
}

/** Scenario 1. */
export const ingestScenario: Scenario = {
  name: "ingest",
  title:
    "ingest only, saturation, 1 KiB HMAC-signed JSON; ratio to a bare Node http server and to each backend's anchor",
  async run(context) {
    const { options } = context;
    const saturator = await startSaturator({
      loadgen: options.loadgen,
      connections: options.connections,
      log: context.log,
    });
    const usable = new Set<Backend>();
    for (const backend of BACKENDS) {
      const unavailable = await backendUnavailable(backend, options);
      if (unavailable === undefined) {
        usable.add(backend);
        continue;
      }
      context.emit({
        scenario: "ingest",
        configuration: `${backend} and its anchor`,
        result: "skipped",
        baseline: "–",
        notes: unavailable,
        cpu: {},
      });
    }
    const configs = [
      ...(await anchorConfigs(context, usable)),
      ...(await receiverConfigs(context, usable)),
    ];
    const runOnce = (config: IngestConfig, ms: number) =>
      saturator.run(config.url, ms, { receiver: config.serverPid });
    for (const config of configs) {
      context.log(`ingest: warming up ${config.label}`);
      await runOnce(config, options.warmupMs);
    }
    for (let round = 1; round <= options.repeats; round++) {
      for (const config of configs) {
        const measured = await runOnce(config, options.durationMs);
        config.samples.push(measured);
        context.log(`ingest: round ${round} ${config.label}: ${formatCount(rate(measured))} req/s`);
      }
    }
    const medianOf = (config: IngestConfig) => medianBy(config.samples, rate);
    const bare = rate(medianOf(configs[0]!));
    const anchors = new Map<Backend, number>();
    for (const config of configs) {
      if (config.anchorOf !== undefined) anchors.set(config.anchorOf, rate(medianOf(config)));
    }
    for (const [index, config] of configs.entries()) {
      const median = medianOf(config);
      const result = rate(median);
      const baseline = index === 0 ? undefined : bare;
      const anchor = config.targetOf === undefined ? undefined : anchors.get(config.targetOf);
      const checks: Check[] = [];
      const target = config.targetOf === undefined ? undefined : targets[config.targetOf];
      if (target !== undefined) {
        checks.push(ratioAtLeast(result / bare, target.bare, "bare"));
        if (anchor !== undefined)
          checks.push(ratioAtLeast(result / anchor, target.anchor, "anchor"));
      }
      const extra = [
        index === 0 ? loadgenNote(saturator, median, options.connections) : "",
        await anchorNote(config),
      ];
      context.emit({
        scenario: "ingest",
        configuration: config.label,
        result: `${formatCount(result)} req/s`,
        baseline:
          baseline === undefined
            ? "–"
            : `bare Node ${formatCount(bare)} req/s${anchor === undefined ? "" : `; anchor ${formatCount(anchor)} req/s`}`,
        ...(baseline === undefined ? {} : { ratio: result / baseline }),
        ...(anchor === undefined ? {} : { anchorRatio: result / anchor }),
        ...(checks.length === 0 ? {} : { targets: checks }),
        notes: notesOf(config, median, extra),
        cpu: median.cpu,
      });
    }
    return {
      loadgen: saturator.name,
      configs: configs.map((config) => ({ label: config.label, samples: config.samples })),
    };
  },
};
