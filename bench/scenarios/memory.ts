/**
 * Scenario 4, memory (issue #19): resident memory of the receiver as
 * shipped — idle on the example config, then holding many idle connectors
 * per transport against the same receiver idle just before, and 10,000
 * idle WebSocket connectors opened from a few client processes to show
 * that the cost per connector stays flat. A fresh receiver per row keeps
 * the figures independent. Embedded buffer. After RSS is read, every
 * connection must still hear from the receiver (a heartbeat, or a
 * long-poll that came back): idle sessions are cheap only if they are
 * still alive.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { protocols } from "../../connector/config/schema.js";
import { freePort, tempDir } from "../../tests/helpers/processes.js";
import { onCleanup, spawnNode } from "../lib/children.js";
import { sleep } from "../lib/measure.js";
import { rssBytes, startCpuMeter } from "../lib/proc-stats.js";
import { CLI, startRelay } from "../lib/relay.js";
import { formatCount } from "../lib/table.js";
import { startWorker, type Worker } from "../lib/worker.js";
import type { IdleClientsApi, IdleProtocol } from "../workers/api.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

/** Issue #19 targets: RSS per idle connector, KiB. */
const TARGET_KIB: Readonly<Record<IdleProtocol, number>> = {
  grpc: 50,
  connect: 50,
  websocket: 20,
  sse: 28,
  long_poll: 28,
};
/** Issue #19 target: the idle receiver on the example config, MB. */
const TARGET_IDLE_MB = 65;
/** The config a new user starts with. */
const EXAMPLE_CONFIG = fileURLToPath(new URL("../../examples/webhooks.json", import.meta.url));
/** Time for the heap and sockets to settle before RSS is read. */
const SETTLE_MS = 2_000;
/**
 * Receiver heartbeat and long-poll timeout in this scenario, seconds:
 * short enough that the liveness check after the measurement is quick.
 */
const HEARTBEAT_SECONDS = 5;
/** Longest the liveness check waits for every connection. */
const ALIVE_TIMEOUT_MS = 3 * HEARTBEAT_SECONDS * 1000;
/** The large point: connections, transport and client processes. */
const LARGE = { count: 10_000, protocol: "websocket", clients: 4 } as const;
/** Open-file limit asked for (capped at the hard limit) by processes of the large point. */
const OPEN_FILES = 65_536;

const MB = 1024 * 1024;

/** The receiver as a user starts it on the example config, idle. */
async function exampleIdleMemory(context: ScenarioContext): Promise<unknown> {
  const dir = tempDir("wc-bench-");
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const receiver = spawnNode("receiver (example config)", {
    args: [
      CLI,
      "receiver",
      ...["--config", EXAMPLE_CONFIG, "--host", "127.0.0.1", "--port", String(port)],
      ...["--buffer", `sqlite:${join(dir, "buffer.db")}`],
    ],
  });
  await receiver.waitForOutput(/receiver listening/);
  await sleep(SETTLE_MS);
  const rss = rssBytes(receiver.pid) ?? Number.NaN;
  await receiver.stop("SIGTERM", 10_000);
  context.emit({
    scenario: "memory",
    configuration: "idle receiver, examples/webhooks.json, embedded buffer",
    result: `${(rss / MB).toFixed(1)} MB RSS`,
    baseline: "–",
    targets: [{ text: `≤ ${TARGET_IDLE_MB} MB`, met: rss / MB <= TARGET_IDLE_MB }],
    notes: "bin/webhook-connect.js receiver --config examples/webhooks.json",
    cpu: {},
  });
  return { configuration: "example", rss };
}

async function idleMemory(
  context: ScenarioContext,
  clients: readonly Worker<IdleClientsApi>[],
  protocol: IdleProtocol,
  count: number,
): Promise<unknown> {
  const large = count >= LARGE.count;
  const relay = await startRelay({
    backend: "sqlite",
    natsUrl: context.options.natsUrl,
    channelSettings: { max_connections: count + 100 },
    heartbeatSeconds: HEARTBEAT_SECONDS,
    ...(large ? { openFiles: OPEN_FILES } : {}),
  });
  await sleep(SETTLE_MS);
  const idleRss = rssBytes(relay.receiver.pid) ?? Number.NaN;
  const from = clients.length === 1 ? "" : ` from ${clients.length} client processes`;
  context.log(`memory: opening ${formatCount(count)} idle ${protocol} connectors${from}`);
  const startedAt = performance.now();
  const results = await Promise.all(
    clients.map((client, index) =>
      client.call("open", {
        url: relay.url,
        channel: relay.channel,
        token: relay.token,
        protocol,
        count: Math.floor(count / clients.length) + (index < count % clients.length ? 1 : 0),
        pollTimeoutSeconds: HEARTBEAT_SECONDS,
      }),
    ),
  );
  const elapsedMs = performance.now() - startedAt;
  const opened = results.reduce((sum, result) => sum + result.opened, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  const firstError = results.find((result) => result.firstError !== undefined)?.firstError;
  const meter = startCpuMeter({ receiver: relay.receiver.pid, loadgen: clients[0]!.pid });
  await sleep(SETTLE_MS);
  const cpu = meter.stop();
  const rss = rssBytes(relay.receiver.pid) ?? Number.NaN;
  context.log(`memory: checking that every ${protocol} connector still hears from the receiver`);
  const checks = await Promise.all(clients.map((client) => client.call("alive", ALIVE_TIMEOUT_MS)));
  const alive = checks.reduce((sum, check) => sum + check.alive, 0);
  await Promise.all(clients.map((client) => client.call("close", null)));
  await relay.stop();
  const configuration = `${protocol}, ${formatCount(opened)} idle connectors${from}`;
  if (opened === 0) {
    context.emit({
      scenario: "memory",
      configuration,
      result: "skipped",
      baseline: "–",
      notes: `no stream opened: ${firstError ?? "unknown error"}`.slice(0, 160),
      cpu: {},
    });
    return { protocol, count, opened, idleRss };
  }
  const perConnectionKiB = (rss - idleRss) / opened / 1024;
  const target = TARGET_KIB[protocol];
  context.emit({
    scenario: "memory",
    configuration,
    result: `+${perConnectionKiB.toFixed(1)} KiB per connector`,
    baseline: `idle receiver ${(idleRss / MB).toFixed(1)} MB`,
    ratio: rss / idleRss,
    targets: [
      { text: `≤ ${target} KiB`, met: perConnectionKiB <= target },
      { text: "all alive", met: alive === opened },
    ],
    notes: [
      `${(rss / MB).toFixed(1)} MB RSS`,
      `${formatCount(alive)}/${formatCount(opened)} heard a heartbeat after the idle period`,
      `opened in ${(elapsedMs / 1000).toFixed(1)} s`,
      failed > 0 ? `${failed} failed (${firstError ?? "?"})` : "",
    ]
      .filter((part) => part !== "")
      .join("; ")
      .slice(0, 200),
    cpu,
  });
  return { protocol, count, opened, failed, alive, idleRss, rss, cpu };
}

/** Scenario 4. */
export const memoryScenario: Scenario = {
  name: "memory",
  title: "receiver RSS idle and with many idle connectors per transport",
  async run(context) {
    const results: unknown[] = [await exampleIdleMemory(context)];
    const idle = await startWorker<IdleClientsApi>("idle-clients");
    for (const protocol of protocols) {
      results.push(await idleMemory(context, [idle], protocol, context.options.idleConnectors));
    }
    await idle.stop();
    if (context.options.quick) return results;
    const clients = await Promise.all(
      Array.from({ length: LARGE.clients }, () =>
        startWorker<IdleClientsApi>("idle-clients", {}, OPEN_FILES),
      ),
    );
    results.push(await idleMemory(context, clients, LARGE.protocol, LARGE.count));
    await Promise.all(clients.map((client) => client.stop()));
    return results;
  },
};
