/**
 * Scenario 3, live end to end: signed webhooks are ingested while a gRPC
 * connector delivers them, at fixed offered loads and at saturation, on
 * SQLite and on JetStream. Delivered msg/s counts what reached the target
 * during the load window; e2e latency runs from the body's `sent_at` (set
 * by the load generator just before the POST) to arrival at the target,
 * over every message of the load, including those delivered after the
 * window while a backlog drained (up to `--max-wait`). Each load gets a
 * fresh receiver, channel and connector. Baselines in the same run: a
 * direct POST into the target at 1,000/s (its e2e latency, measured the
 * same way), the offered rate, and at saturation a bare Node server's
 * ingest rate.
 */
import { describeLoad, type Loadgen, type TargetWorker } from "../lib/measure.js";
import { natsReachable } from "../lib/nats.js";
import { type CpuUsage, startCpuMeter } from "../lib/proc-stats.js";
import { type Backend, type RunningRelay, SIGNING, startRelay, WEBHOOKS } from "../lib/relay.js";
import { startSaturator } from "../lib/saturate.js";
import { type LatencySummary, medianBy } from "../lib/stats.js";
import { type Check, formatCount, formatMs, type Row, ratioAtLeast } from "../lib/table.js";
import { startWorker } from "../lib/worker.js";
import type { LoadgenApi, LoadResult, TargetApi, TargetStats } from "../workers/api.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

/** Issue #13 targets of the live rows. */
const TARGETS = {
  /** At this offered rate everything is delivered, with e2e p50 within `latencyFactor` × the direct POST's. */
  latencyRate: 1_000,
  latencyFactor: 3,
  /** At this offered rate at least `deliveredRatio` of it is delivered during the load. */
  deliveredRate: 5_000,
  deliveredRatio: 0.9,
  /** At saturation, delivered msg/s ≥ this × bare Node ingest (issue #7). */
  saturationRatio: 0.25,
} as const;

/** Transport of the live scenario (the default of `auto`). */
const PROTOCOL = "grpc";

async function bareIngestRate(context: ScenarioContext, loadgen: Loadgen): Promise<number> {
  const { options } = context;
  const saturator = await startSaturator({
    loadgen: options.loadgen,
    connections: options.connections,
    log: context.log,
    undici: loadgen,
  });
  const bare = await startWorker<Record<string, never>>("bare-server");
  const url = `${bare.url}/webhook/x`;
  await saturator.run(url, options.warmupMs, {});
  const runs = [];
  for (let round = 0; round < options.repeats; round++) {
    runs.push(await saturator.run(url, options.durationMs, { receiver: bare.pid }));
  }
  await bare.stop();
  const median = medianBy(runs, (run) => run.load.okPerSecond);
  context.emit({
    scenario: "live",
    configuration: "bare Node http ingest (baseline)",
    result: `${formatCount(median.load.okPerSecond)} req/s`,
    baseline: "–",
    notes: `${describeLoad(median.load)}; load generator ${saturator.name}`,
    cpu: median.cpu,
  });
  return median.load.okPerSecond;
}

/**
 * The latency baseline: the load generator POSTs straight into the target
 * at `TARGETS.latencyRate`, with the same bodies and the same e2e
 * measurement (`sent_at` → target) as the relay rows.
 */
async function directLatency(
  context: ScenarioContext,
  loadgen: Loadgen,
  target: TargetWorker,
): Promise<LatencySummary> {
  const { options } = context;
  const rate = TARGETS.latencyRate;
  const plan = {
    url: `${target.url}/webhooks`,
    mode: "rate" as const,
    rate,
    inFlight: 1_000,
    signing: SIGNING,
  };
  await target.call("reset", null);
  await loadgen.call("run", { ...plan, durationMs: options.warmupMs });
  await target.call("reset", null);
  const meter = startCpuMeter({ loadgen: loadgen.pid, target: target.pid });
  const load = await loadgen.call("run", { ...plan, durationMs: options.durationMs });
  const cpu = meter.stop();
  const drained = await target.call("waitForUnique", { count: load.ok, timeoutMs: 5_000 });
  const latency = await target.call("latency", null);
  context.emit({
    scenario: "live",
    configuration: `direct POST → target, ${formatCount(rate)}/s offered (baseline)`,
    result: `${formatCount(drained.unique / (load.elapsedMs / 1000))} msg/s delivered`,
    baseline: `offered ${formatCount(rate)}/s`,
    ratio: drained.unique / (load.elapsedMs / 1000) / rate,
    notes: [
      `e2e p50 ${formatMs(latency.p50)}, p99 ${formatMs(latency.p99)}`,
      load.failed > 0 ? `**${formatCount(load.failed)} failed**` : "",
      load.late > 0 ? `${formatCount(load.late)} sent late` : "",
    ]
      .filter((part) => part !== "")
      .join("; "),
    cpu,
  });
  return latency;
}

/** What one offered load did. */
interface LiveResult {
  readonly rate: number | "saturation";
  readonly load: LoadResult;
  /** Distinct messages at the target when the load ended. */
  readonly inWindow: TargetStats;
  /** After waiting for the backlog to drain. */
  readonly drained: TargetStats & { reached: boolean };
  readonly latency: LatencySummary;
  readonly cpu: CpuUsage;
  /** Messages delivered per second during the load window. */
  readonly delivered: number;
}

async function oneLoad(
  context: ScenarioContext,
  relay: RunningRelay,
  connectorPid: number,
  loadgen: Loadgen,
  target: TargetWorker,
  rate: number | "saturation",
): Promise<LiveResult> {
  const { options } = context;
  await target.call("reset", null);
  const meter = startCpuMeter({
    receiver: relay.receiver.pid,
    connector: connectorPid,
    loadgen: loadgen.pid,
    target: target.pid,
  });
  const common = { url: relay.ingestUrl(WEBHOOKS.signed), durationMs: options.durationMs };
  const load = await loadgen.call(
    "run",
    rate === "saturation"
      ? { ...common, mode: "saturate", inFlight: options.connections, signing: SIGNING }
      : { ...common, mode: "rate", rate, inFlight: 1_000, signing: SIGNING },
  );
  const inWindow = await target.call("stats", null);
  const cpu = meter.stop();
  const drained = await target.call("waitForUnique", {
    count: load.ok,
    timeoutMs: options.maxWaitMs,
  });
  const latency = await target.call("latency", null);
  const delivered = inWindow.unique / (load.elapsedMs / 1000);
  return { rate, load, inWindow, drained, latency, cpu, delivered };
}

/** The issue #13 checks of one load, if its rate has any. */
function liveChecks(result: LiveResult, bare: number, direct: LatencySummary): Check[] {
  const { rate, load, drained, latency } = result;
  if (rate === "saturation") {
    return [ratioAtLeast(result.delivered / bare, TARGETS.saturationRatio)];
  }
  if (rate === TARGETS.latencyRate) {
    const limit = TARGETS.latencyFactor * direct.p50;
    return [
      { text: "all delivered", met: load.failed === 0 && drained.reached },
      {
        text: `e2e p50 ≤ ${TARGETS.latencyFactor}× direct (${formatMs(limit)})`,
        met: latency.p50 <= limit,
      },
    ];
  }
  if (rate === TARGETS.deliveredRate) {
    return [ratioAtLeast(result.delivered / rate, TARGETS.deliveredRatio)];
  }
  return [];
}

function liveRow(
  backend: Backend,
  result: LiveResult,
  bare: number,
  direct: LatencySummary,
  maxWaitMs: number,
): Row {
  const { rate, load, drained, latency } = result;
  const saturation = rate === "saturation";
  const checks = liveChecks(result, bare, direct);
  return {
    scenario: "live",
    configuration: `${backend}, ${PROTOCOL}, ${saturation ? "saturation" : `${formatCount(rate)}/s offered`}`,
    result: `${formatCount(result.delivered)} msg/s delivered`,
    baseline: saturation
      ? `bare Node ${formatCount(bare)} req/s`
      : `offered ${formatCount(rate)}/s${rate === TARGETS.latencyRate ? `; direct e2e p50 ${formatMs(direct.p50)}` : ""}`,
    ratio: result.delivered / (saturation ? bare : rate),
    ...(checks.length === 0 ? {} : { targets: checks }),
    notes: [
      `e2e p50 ${formatMs(latency.p50)}, p99 ${formatMs(latency.p99)}`,
      `ingest ${formatCount(load.okPerSecond)} req/s`,
      load.failed > 0 ? `**${formatCount(load.failed)} ingest failures**` : "",
      load.late > 0 ? `${formatCount(load.late)} sent late` : "",
      drained.reached
        ? ""
        : `**${formatCount(load.ok - drained.unique)} not delivered ${maxWaitMs / 1000} s after the load; latency covers the delivered only**`,
    ]
      .filter((part) => part !== "")
      .join("; "),
    cpu: result.cpu,
  };
}

/** One offered load on a fresh receiver, channel and connector, so a backlog left by one load never skews the next. */
async function liveLoad(
  context: ScenarioContext,
  backend: Backend,
  loadgen: Loadgen,
  target: TargetWorker,
  rate: number | "saturation",
): Promise<LiveResult> {
  const { options } = context;
  const relay = await startRelay({
    backend,
    natsUrl: options.natsUrl,
    redisUrl: options.redisUrl,
    channelSettings: { max_queue_size: 50_000_000 },
    ...(context.profileDir === undefined ? {} : { profileDir: context.profileDir }),
  });
  const connector = await relay.startConnector({
    protocol: PROTOCOL,
    targetUrl: `${target.url}/webhooks`,
    concurrency: options.concurrency,
  });
  await target.call("reset", null);
  const warm = await loadgen.call("run", {
    url: relay.ingestUrl(WEBHOOKS.signed),
    mode: "rate",
    rate: 1_000,
    inFlight: 200,
    durationMs: options.warmupMs,
    signing: SIGNING,
  });
  await target.call("waitForUnique", {
    count: warm.ok,
    timeoutMs: Math.min(options.maxWaitMs, 5_000),
  });
  const result = await oneLoad(context, relay, connector.pid, loadgen, target, rate);
  await connector.stop();
  await relay.stop();
  return result;
}

/** Scenario 3. */
export const liveScenario: Scenario = {
  name: "live",
  title:
    "live end to end: ingest while delivering, fixed offered loads and saturation, per backend",
  async run(context) {
    const loadgen = await startWorker<LoadgenApi>("loadgen");
    const target = await startWorker<TargetApi>("target");
    const bare = await bareIngestRate(context, loadgen);
    const direct = await directLatency(context, loadgen, target);
    const results: Record<string, unknown> = { bare, direct };
    for (const backend of ["sqlite", "nats"] as const) {
      if (backend === "nats" && !(await natsReachable(context.options.natsUrl))) {
        context.log("live: NATS unreachable, skipping the nats rows");
        continue;
      }
      const rows: LiveResult[] = [];
      for (const rate of [...context.options.rates, "saturation" as const]) {
        context.log(`live: ${backend} at ${rate}`);
        const result = await liveLoad(context, backend, loadgen, target, rate);
        context.emit(liveRow(backend, result, bare, direct, context.options.maxWaitMs));
        rows.push(result);
      }
      results[backend] = rows;
    }
    return results;
  },
};
