/**
 * Scenario 5, connector offline under load: webhooks arrive at a fixed
 * rate while no connector runs; then a connector starts and the load goes
 * on. Catch-up time runs from the connector's start (process start-up
 * included, as after a real outage) until every message accepted while it
 * was offline reached the target. Its figure of merit is the delivery rate
 * during catch-up, compared with a direct POST loop. At the end every
 * accepted message must have arrived.
 */
import { sleep } from "../lib/measure.js";
import { startCpuMeter } from "../lib/proc-stats.js";
import { SIGNING, startRelay, WEBHOOKS } from "../lib/relay.js";
import { formatCount, formatMs } from "../lib/table.js";
import { startWorker } from "../lib/worker.js";
import type { LoadgenApi, TargetApi } from "../workers/api.js";
import { directPostRate } from "./backlog.js";
import type { Scenario } from "./scenario.js";

/** Transport of the offline scenario (the default of `auto`). */
const PROTOCOL = "grpc";

/** Scenario 5. */
export const offlineScenario: Scenario = {
  name: "offline",
  title: "connector offline under load, then catch-up",
  async run(context) {
    const { options } = context;
    const loadgen = await startWorker<LoadgenApi>("loadgen");
    const target = await startWorker<TargetApi>("target");
    const baseline = await directPostRate(context, loadgen, target, "offline");
    const backend = options.drainBackends[0] ?? "sqlite";
    const relay = await startRelay({
      backend,
      natsUrl: options.natsUrl,
      redisUrl: options.redisUrl,
      channelSettings: { max_queue_size: 50_000_000 },
      ...(context.profileDir === undefined ? {} : { profileDir: context.profileDir }),
    });
    await target.call("reset", null);
    const offlineMs = options.offlineSeconds * 1000;
    const afterMs = Math.max(5_000, offlineMs / 2);
    await loadgen.call("start", {
      url: relay.ingestUrl(WEBHOOKS.signed),
      mode: "rate",
      rate: options.offlineRate,
      inFlight: 1_000,
      durationMs: offlineMs + afterMs,
      signing: SIGNING,
    });
    context.log(`offline: connector offline for ${options.offlineSeconds} s`);
    await sleep(offlineMs);
    const backlog = (await loadgen.call("progress", null)).ok;
    const startedAt = performance.now();
    const connector = await relay.startConnector({
      protocol: PROTOCOL,
      targetUrl: `${target.url}/webhooks`,
      concurrency: options.concurrency,
    });
    const meter = startCpuMeter({
      receiver: relay.receiver.pid,
      connector: connector.pid,
      loadgen: loadgen.pid,
      target: target.pid,
    });
    const caughtUp = await target.call("waitForUnique", {
      count: backlog,
      timeoutMs: options.maxWaitMs,
    });
    const catchUpMs = performance.now() - startedAt;
    const cpu = meter.stop();
    const load = await loadgen.call("finish", null);
    const final = await target.call("waitForUnique", {
      count: load.ok,
      timeoutMs: options.maxWaitMs,
    });
    const latency = await target.call("latency", null);
    await connector.stop();
    await relay.stop();
    const drainRate = caughtUp.unique / (catchUpMs / 1000);
    const lost = load.ok - final.unique;
    context.emit({
      scenario: "offline",
      configuration: `${PROTOCOL} (${backend}), ${options.offlineSeconds} s offline at ${formatCount(options.offlineRate)}/s`,
      result: caughtUp.reached
        ? `caught up in ${formatMs(catchUpMs)}`
        : `**not caught up after ${formatMs(catchUpMs)}**`,
      baseline: `direct POST ${formatCount(baseline)} msg/s`,
      ratio: drainRate / baseline,
      notes: [
        `backlog ${formatCount(backlog)}, delivered ${formatCount(drainRate)} msg/s while catching up`,
        `load went on ${formatMs(afterMs)} more`,
        `e2e p99 ${formatMs(latency.p99)}`,
        lost > 0
          ? `**${formatCount(lost)} accepted, not delivered within ${options.maxWaitMs / 1000} s after the load**`
          : "none lost",
        load.failed > 0 ? `${formatCount(load.failed)} ingest failures` : "",
      ]
        .filter((part) => part !== "")
        .join("; "),
      cpu,
    });
    return { baseline, backlog, catchUpMs, caughtUp, load, final, latency, cpu };
  },
};
