/**
 * Command line of `npm run bench`: which scenarios, how long, how big.
 * The defaults are the full run; `--quick`
 * shrinks every size for a smoke run of a few minutes.
 */
import { parseArgs } from "node:util";
import { BACKENDS, type Backend } from "./relay.js";

/** Parsed, frozen benchmark options. */
export interface BenchOptions {
  /** Smoke-run sizes. @default false */
  readonly quick: boolean;
  /** Scenario names to run, in order. @default every scenario */
  readonly scenarios: readonly string[];
  /** Length of one measured run. @default 5000 (quick: 1500) */
  readonly durationMs: number;
  /** Warm-up before the measured runs of a configuration. @default 1000 (quick: 500) */
  readonly warmupMs: number;
  /** Measured runs per configuration where cheap; the median is reported. @default 3 (quick: 1) */
  readonly repeats: number;
  /** Buffered messages drained in the backlog scenario. @default 20000 (quick: 5000) */
  readonly backlog: number;
  /** Seconds the connector stays offline under load. @default 30 (quick: 5) */
  readonly offlineSeconds: number;
  /** Offered load while the connector is offline, per second. @default 1000 (quick: 500) */
  readonly offlineRate: number;
  /** Idle connectors per transport in the memory scenario. @default 1000 */
  readonly idleConnectors: number;
  /** Fixed offered loads of the live scenario, per second. @default [1000, 5000] */
  readonly rates: readonly number[];
  /** Connections of the saturating load generator (like `wrk -c50`). @default 50 */
  readonly connections: number;
  /** Connector `max_concurrent_requests`, and the direct baseline's requests in flight. @default 32 */
  readonly concurrency: number;
  /**
   * Longest wait for a drain or catch-up; a slower one is reported as such
   * with what arrived, so a slow build cannot stretch the run. @default 20000 (quick: 5000)
   */
  readonly maxWaitMs: number;
  /**
   * Backends the backlog scenario drains on, in order; the offline scenario
   * runs on the first. @default ["sqlite", "nats"]
   */
  readonly drainBackends: readonly Backend[];
  /**
   * Saturating load generator of the ingest rows and bare baselines: `wrk`
   * (one thread, so it stays below the server it measures), `undici` (the
   * Node worker that also drives every other load), or `auto` (wrk when it
   * is on PATH). @default "auto"
   */
  readonly loadgen: LoadgenChoice;
  /** Shared NATS server. @default "nats://127.0.0.1:4222" */
  readonly natsUrl: string;
  /** Shared Redis server. @default "redis://127.0.0.1:6379" */
  readonly redisUrl: string;
  /** Shared RabbitMQ broker. @default "amqp://guest:guest@127.0.0.1:5672" */
  readonly amqpUrl: string;
  /** Write `--cpu-prof` profiles of the receivers to bench/results/profiles/. @default false */
  readonly profile: boolean;
  /** Compile dist/ first (`tsc -p tsconfig.build.json`). @default true */
  readonly build: boolean;
  /** Print usage and exit. */
  readonly help: boolean;
}

/** Values of `--loadgen`. */
export type LoadgenChoice = "auto" | "wrk" | "undici";

/** Usage text. */
export const benchUsage = `usage: npm run bench -- [scenario …] [options]

scenarios: ingest backlog live memory offline   (default: all, in this order)
  ingest    saturating signed ingest (wrk): bare Node, bare + HMAC, the SQLite anchor (HMAC +
            INSERT, fsync'd group commit per loop turn on a writer thread; also on the main
            thread), the JetStream anchor (HMAC + publish, PubAcks per loop turn), and the
            receiver on SQLite and JetStream, with and without HMAC; ratios to bare and anchor
  backlog   a buffered backlog drained per backend (SQLite, JetStream) and transport, against
            a direct POST loop into the same target
  live      ingest while delivering over gRPC per backend at 1,000/s, 5,000/s and saturation,
            against a direct POST at 1,000/s (e2e latency) and bare Node ingest
  memory    receiver RSS with many idle connectors per transport
  offline   connector offline under load, then catch-up; nothing accepted may be lost

  --quick               smoke run (a few minutes): short runs, small backlog, no repeats
  --duration S          seconds per measured run (default 5; quick 1.5; wrk rounds to whole seconds)
  --repeats N           measured runs per configuration, median reported (default 3; quick 1)
  --backlog N           messages drained in 'backlog' (default 20000; quick 5000)
  --offline S           seconds the connector is offline in 'offline' (default 30; quick 5)
  --offline-rate R      offered load during 'offline', per second (default 1000; quick 500)
  --idle N              idle connectors per transport in 'memory' (default 1000)
  --rates A,B           fixed offered loads of 'live' (default 1000,5000)
  --connections N       load generator connections at saturation (default 50)
  --concurrency N       connector max_concurrent_requests (default 32)
  --max-wait S          longest drain / catch-up wait before reporting what arrived (default 20; quick 5)
  --drain-backend B     backends 'backlog' drains on: all (default: sqlite, nats, redis, rabbitmq), both
                        (sqlite, nats) or a comma-separated list; 'offline' runs on the first
  --loadgen L           saturating load generator of 'ingest' and the bare baselines:
                        wrk, undici or auto (default auto: wrk when on PATH, else undici)
  --nats-url URL        shared NATS server (default nats://127.0.0.1:4222)
  --redis-url URL       shared Redis server (default redis://127.0.0.1:6379)
  --amqp-url URL        shared RabbitMQ broker (default amqp://guest:guest@127.0.0.1:5672)
  --profile             write receiver CPU profiles to bench/results/profiles/
  --no-build            use dist/ as it is`;

const scenarioNames = ["ingest", "backlog", "live", "memory", "offline"];

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name}: expected a positive number`);
  return value;
}

/** Parses the benchmark command line; throws with a one-line message on bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      quick: { type: "boolean" },
      duration: { type: "string" },
      repeats: { type: "string" },
      backlog: { type: "string" },
      offline: { type: "string" },
      "offline-rate": { type: "string" },
      idle: { type: "string" },
      rates: { type: "string" },
      connections: { type: "string" },
      concurrency: { type: "string" },
      "max-wait": { type: "string" },
      "drain-backend": { type: "string" },
      loadgen: { type: "string" },
      "nats-url": { type: "string" },
      "redis-url": { type: "string" },
      "amqp-url": { type: "string" },
      profile: { type: "boolean" },
      "no-build": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  for (const name of positionals) {
    if (!scenarioNames.includes(name)) {
      throw new Error(`unknown scenario '${name}' (known: ${scenarioNames.join(", ")})`);
    }
  }
  const quick = values.quick === true;
  const drainBackends = parseDrainBackends(values["drain-backend"] ?? "all");
  const loadgen = values.loadgen ?? "auto";
  if (loadgen !== "auto" && loadgen !== "wrk" && loadgen !== "undici") {
    throw new Error("--loadgen: expected wrk, undici or auto");
  }
  const rates = (values.rates ?? "1000,5000").split(",").map((r) => positiveNumber("rates", r, 0));
  return Object.freeze({
    quick,
    scenarios: positionals.length > 0 ? positionals : scenarioNames,
    durationMs: positiveNumber("duration", values.duration, quick ? 1.5 : 5) * 1000,
    warmupMs: quick ? 500 : 1000,
    repeats: Math.round(positiveNumber("repeats", values.repeats, quick ? 1 : 3)),
    backlog: Math.round(positiveNumber("backlog", values.backlog, quick ? 5_000 : 20_000)),
    offlineSeconds: positiveNumber("offline", values.offline, quick ? 5 : 30),
    offlineRate: positiveNumber("offline-rate", values["offline-rate"], quick ? 500 : 1000),
    idleConnectors: Math.round(positiveNumber("idle", values.idle, 1000)),
    rates,
    connections: Math.round(positiveNumber("connections", values.connections, 50)),
    concurrency: Math.round(positiveNumber("concurrency", values.concurrency, 32)),
    maxWaitMs: positiveNumber("max-wait", values["max-wait"], quick ? 5 : 20) * 1000,
    drainBackends,
    loadgen,
    natsUrl: values["nats-url"] ?? "nats://127.0.0.1:4222",
    redisUrl: values["redis-url"] ?? "redis://127.0.0.1:6379",
    amqpUrl: values["amqp-url"] ?? "amqp://guest:guest@127.0.0.1:5672",
    profile: values.profile === true,
    build: values["no-build"] !== true,
    help: values.help === true,
  });
}

function parseDrainBackends(value: string): readonly Backend[] {
  if (value === "all") return BACKENDS;
  if (value === "both") return ["sqlite", "nats"];
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(BACKENDS as readonly string[]).includes(name)) {
      throw new Error(
        `--drain-backend: unknown backend '${name}' (expected all, both or some of ${BACKENDS.join(", ")})`,
      );
    }
  }
  return names as Backend[];
}
