/**
 * Scenario 4, memory: resident memory of a receiver holding many idle
 * connectors (one client process opens them all), per transport, against
 * the same receiver idle just before. A fresh receiver per transport keeps
 * the figures independent. Embedded buffer; the channel allows enough
 * connections.
 */
import { protocols } from "../../connector/config/schema.js";
import { sleep } from "../lib/measure.js";
import { rssBytes, startCpuMeter } from "../lib/proc-stats.js";
import { startRelay } from "../lib/relay.js";
import { formatCount } from "../lib/table.js";
import { startWorker } from "../lib/worker.js";
import type { IdleClientsApi, IdleProtocol } from "../workers/api.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

/** Issue #7 target: 1,000 idle connectors ≤ 150 MB receiver RSS. */
const TARGET_MB = 150;
/** Connections the target is stated for. */
const TARGET_CONNECTIONS = 1_000;
/** Time for the heap and sockets to settle before RSS is read. */
const SETTLE_MS = 2_000;

const MB = 1024 * 1024;

async function idleMemory(
  context: ScenarioContext,
  idle: Awaited<ReturnType<typeof startWorker<IdleClientsApi>>>,
  protocol: IdleProtocol,
): Promise<unknown> {
  const count = context.options.idleConnectors;
  const relay = await startRelay({
    backend: "sqlite",
    natsUrl: context.options.natsUrl,
    channelSettings: { max_connections: count + 100 },
  });
  await sleep(SETTLE_MS);
  const idleRss = rssBytes(relay.receiver.pid) ?? Number.NaN;
  context.log(`memory: opening ${formatCount(count)} idle ${protocol} connectors`);
  const opened = await idle.call("open", {
    url: relay.url,
    channel: relay.channel,
    token: relay.token,
    protocol,
    count,
  });
  const meter = startCpuMeter({ receiver: relay.receiver.pid, loadgen: idle.pid });
  await sleep(SETTLE_MS);
  const cpu = meter.stop();
  const rss = rssBytes(relay.receiver.pid) ?? Number.NaN;
  await idle.call("close", null);
  await relay.stop();
  if (opened.opened === 0) {
    context.emit({
      scenario: "memory",
      configuration: `${protocol}, ${formatCount(count)} idle`,
      result: "skipped",
      baseline: "–",
      notes: `no stream opened: ${opened.firstError ?? "unknown error"}`.slice(0, 160),
      cpu: {},
    });
    return { protocol, opened, idleRss };
  }
  const perConnectionKiB = (rss - idleRss) / opened.opened / 1024;
  context.emit({
    scenario: "memory",
    configuration: `${protocol}, ${formatCount(opened.opened)} idle connectors`,
    result: `${(rss / MB).toFixed(1)} MB RSS`,
    baseline: `idle receiver ${(idleRss / MB).toFixed(1)} MB`,
    ratio: rss / idleRss,
    ...(opened.opened >= TARGET_CONNECTIONS
      ? { targets: [{ text: `≤ ${TARGET_MB} MB`, met: rss / MB <= TARGET_MB }] }
      : {}),
    notes: [
      `+${perConnectionKiB.toFixed(1)} KiB per connector`,
      `opened in ${(opened.elapsedMs / 1000).toFixed(1)} s`,
      opened.failed > 0 ? `${opened.failed} failed (${opened.firstError ?? "?"})` : "",
    ]
      .filter((part) => part !== "")
      .join("; ")
      .slice(0, 200),
    cpu,
  });
  return { protocol, opened, idleRss, rss, cpu };
}

/** Scenario 4. */
export const memoryScenario: Scenario = {
  name: "memory",
  title: "receiver RSS with many idle connectors per transport vs the idle receiver",
  async run(context) {
    const idle = await startWorker<IdleClientsApi>("idle-clients");
    const results = [];
    for (const protocol of protocols) results.push(await idleMemory(context, idle, protocol));
    return results;
  },
};
