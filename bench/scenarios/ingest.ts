/**
 * Scenario 1, ingest only: saturating 1 KiB signed webhooks (wrk by
 * default) against a bare Node server and against the receiver per buffer backend, with and
 * without HMAC verification. Rounds are interleaved (every configuration
 * once per round) so a noisy moment hits them all alike; the median round
 * of each is reported.
 */
import { describeLoad, type Measured } from "../lib/measure.js";
import { natsReachable } from "../lib/nats.js";
import { type Backend, startRelay, WEBHOOKS } from "../lib/relay.js";
import { type Saturator, startSaturator } from "../lib/saturate.js";
import { medianBy } from "../lib/stats.js";
import { formatCount, ratioAtLeast } from "../lib/table.js";
import { startWorker } from "../lib/worker.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

interface IngestConfig {
  readonly label: string;
  readonly url: string;
  readonly serverPid: number;
  readonly targetRatio?: number;
  readonly samples: Measured[];
}

/** The load generator above this CPU% may be what limits the bare baseline. */
const LOADGEN_CPU_LIMIT = 80;

/** Issue #7 targets: HMAC ingest on the embedded buffer ≥ 0.5×, on JetStream ≥ 0.3× bare Node. */
const targets: Record<Backend, number> = { sqlite: 0.5, nats: 0.3 };

async function configsFor(context: ScenarioContext): Promise<IngestConfig[]> {
  const { options } = context;
  const bare = await startWorker<Record<string, never>>("bare-server");
  const configs: IngestConfig[] = [
    {
      label: "bare Node http (baseline)",
      url: `${bare.url}/webhook/x`,
      serverPid: bare.pid,
      samples: [],
    },
  ];
  for (const backend of ["sqlite", "nats"] as const) {
    if (backend === "nats" && !(await natsReachable(options.natsUrl))) {
      context.emit({
        scenario: "ingest",
        configuration: "nats",
        result: "skipped",
        baseline: "–",
        notes: `no NATS server at ${options.natsUrl}`,
        cpu: {},
      });
      continue;
    }
    const relay = await startRelay({
      backend,
      natsUrl: options.natsUrl,
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
        targetRatio: targets[backend],
        samples: [],
      },
    );
  }
  return configs;
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
  title: "ingest only, saturation, 1 KiB HMAC-signed JSON; ratio to a bare Node http server",
  async run(context) {
    const { options } = context;
    const saturator = await startSaturator({
      loadgen: options.loadgen,
      connections: options.connections,
      log: context.log,
    });
    const configs = await configsFor(context);
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
        context.log(
          `ingest: round ${round} ${config.label}: ${formatCount(measured.load.okPerSecond)} req/s`,
        );
      }
    }
    const medians = configs.map((config) => medianBy(config.samples, (s) => s.load.okPerSecond));
    const bare = medians[0]!.load.okPerSecond;
    configs.forEach((config, index) => {
      const median = medians[index]!;
      const rounds = config.samples.map((s) => formatCount(s.load.okPerSecond)).join(" / ");
      context.emit({
        scenario: "ingest",
        configuration: config.label,
        result: `${formatCount(median.load.okPerSecond)} req/s`,
        baseline: index === 0 ? "–" : `bare Node ${formatCount(bare)} req/s`,
        ...(index === 0 ? {} : { ratio: median.load.okPerSecond / bare }),
        ...(config.targetRatio === undefined
          ? {}
          : { targets: [ratioAtLeast(median.load.okPerSecond / bare, config.targetRatio)] }),
        notes: [
          describeLoad(median.load),
          index === 0 ? loadgenNote(saturator, median, options.connections) : "",
          config.samples.length > 1 ? `rounds ${rounds}` : "",
        ]
          .filter((part) => part !== "")
          .join("; "),
        cpu: median.cpu,
      });
    });
    return {
      loadgen: saturator.name,
      configs: configs.map((config) => ({ label: config.label, samples: config.samples })),
    };
  },
};
