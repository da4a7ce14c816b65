/**
 * `webhook-connect receiver`: loads webhooks.json, opens the buffer, serves
 * ingest and streaming on one port, logs JSON with pino, and shuts down
 * gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startReceiver } from "./app.js";
import type { Buffer } from "./buffer/index.js";
import { resolveBufferUrl } from "./buffer/index.js";
import { ConfigError, loadReceiverConfig } from "./config/index.js";
import { WebhookConnectError } from "./errors.js";
import {
  acceptedLogLine,
  adminLogRecord,
  authThrottleLogRecord,
  bufferLogRecord,
  ingestLogRecord,
  internalErrorLogRecord,
  type LogRecord,
  REDACTED_KEYS,
  sessionLogLevel,
  sessionLogRecord,
  tokenLogRecord,
} from "./metrics/index.js";
import {
  bufferStartupError,
  checkTlsFiles,
  holdHeap,
  type LoadTracker,
  listenStartupError,
  openStartupBuffer,
  startingUp,
  startupDone,
  trackLoad,
} from "./startup/index.js";

const usage = `usage: webhook-connect receiver [options]

  --config FILE          webhooks.json (default: webhooks.json)
  --host HOST            interface to bind (default: 0.0.0.0)
  --port PORT            port for ingest and streaming (default: 8000)
  --buffer URL           sqlite:PATH (default sqlite:./data/buffer.db), nats://host:port
                         (nats://h1,h2,h3?replicas=3 for a cluster), redis://host:port[/db]
                         (rediss:// for TLS) or amqp://user:pass@host:5672/vhost (RabbitMQ;
                         amqps:// for TLS)
  --tls-cert FILE        PEM certificate (with --tls-key): HTTPS + HTTP/2 via ALPN
  --tls-key FILE         PEM private key
  --heartbeat SECONDS    server heartbeat interval (default: 15)
  --log-level LEVEL      trace, debug, info, warn, error (default: info)

environment: WEBHOOK_CONNECT_BUFFER_URL (or WEBHOOK_CONNECT_NATS_URL, WEBHOOK_CONNECT_RABBITMQ_URL),
             WEBHOOK_CONNECT_REDIS_URL (shared rate limits; also the buffer when no other
             buffer URL is given), WEBHOOK_CONNECT_LOG_LEVEL,
             WEBHOOK_CONNECT_ADMIN_TOKEN (enables /admin/webhook-connect/*),
             WEBHOOK_CONNECT_TRUSTED_PROXIES (proxies whose X-Forwarded-For names the client)`;

/** The `service` field of every log line. */
const SERVICE = "webhook-connect-receiver";
/** Log lines gathered before a write to standard output. */
const LOG_WRITE_BYTES = 8192;
/** Longest a gathered log line waits for its write. */
const LOG_FLUSH_MS = 50;

/** Log paths redacted as a second line of defence (records never carry these). */
const REDACT = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]);

type Env = Readonly<Record<string, string | undefined>>;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        connections: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        buffer: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        heartbeat: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new ConfigError("command line", "", (error as Error).message);
  }
}

function parseNumberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new ConfigError(
      "command line",
      `--${name}`,
      `expected a non-negative number, got '${value}'`,
    );
  }
  return parsed;
}

/** Runs the receiver until a signal; resolves with the exit code. */
export async function runReceiverCli(argv: string[], env: Env = process.env): Promise<number> {
  let buffer: Buffer | undefined;
  let flushLogs = (): void => undefined;
  // The young generation's growth follows the messages moved (startup/heap-footprint.ts).
  let load: LoadTracker | undefined;
  try {
    const flags = parseFlags(argv);
    if (flags.help === true) {
      console.log(usage);
      return 0;
    }
    // Listen for the stop signals before anything is announced: a SIGTERM
    // sent right after "receiver listening" must stop gracefully, and one
    // sent during start-up stops the receiver as soon as it is up.
    const stopSignal = new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    const port = parseNumberFlag("port", flags.port, 8000);
    if (!Number.isInteger(port) || port > 65535) {
      throw new ConfigError(
        "command line",
        "--port",
        `expected a port number, got '${flags.port}'`,
      );
    }
    const heartbeat = parseNumberFlag("heartbeat", flags.heartbeat, 15);
    if (heartbeat < 0.05)
      throw new ConfigError("command line", "--heartbeat", "must be at least 0.05");
    if ((flags["tls-cert"] === undefined) !== (flags["tls-key"] === undefined)) {
      throw new ConfigError("command line", "--tls-cert/--tls-key", "give both or neither");
    }
    if (flags["tls-cert"] !== undefined && flags["tls-key"] !== undefined) {
      checkTlsFiles(flags["tls-cert"], flags["tls-key"]);
    }
    const level = flags["log-level"] ?? env["WEBHOOK_CONNECT_LOG_LEVEL"] ?? "info";
    if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) {
      throw new ConfigError("command line", "--log-level", `unknown level '${level}'`);
    }
    // Asynchronous and gathered: lines go out 8 KiB at a time, or 50 ms after
    // they were written when traffic is light, instead of one system call per
    // accepted webhook. What is still gathered at exit is flushed (flushLogs).
    const destination = pino.destination({
      dest: 1,
      sync: false,
      minLength: LOG_WRITE_BYTES,
      periodicFlush: LOG_FLUSH_MS,
    });
    flushLogs = () => {
      try {
        destination.flushSync();
      } catch {
        // Standard output is gone or busy: nothing more can be said.
      }
    };
    const options = { level, base: { service: SERVICE } };
    const logger = pino(
      { ...options, redact: { paths: REDACT, censor: "[redacted]" } },
      destination,
    );
    // The per-request access line carries no redactable field (LogRecord.plain).
    const plainLogger = pino(options, destination);
    const accessLines = plainLogger.isLevelEnabled("info");
    const log = (record: LogRecord) =>
      (record.plain === true ? plainLogger : logger)[record.level](record.fields, record.msg);
    // bin/webhook-connect.js did this before loading the modules; again for in-process callers.
    startingUp();
    const config = await loadReceiverConfig(flags.config ?? "webhooks.json", { env });
    const { url: bufferUrl, source } = resolveBufferUrl(flags.buffer, env);
    // Events come only once the buffer is open (`buffer` is set by then).
    buffer = await openStartupBuffer(bufferUrl, source, (event) =>
      log(bufferLogRecord(event, buffer?.kind ?? "buffer")),
    );
    // Starting the storage worker configured a heap, which resets the flag.
    holdHeap();
    const redisUrl = env["WEBHOOK_CONNECT_REDIS_URL"];
    const adminToken = env["WEBHOOK_CONNECT_ADMIN_TOKEN"];
    const trustedProxies = (env["WEBHOOK_CONNECT_TRUSTED_PROXIES"] ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    const host = flags.host ?? "0.0.0.0";
    const receiver = await startReceiver({
      config,
      buffer,
      host,
      port,
      heartbeatIntervalMs: heartbeat * 1000,
      ...(flags["tls-cert"] !== undefined && flags["tls-key"] !== undefined
        ? { tls: { certFile: flags["tls-cert"], keyFile: flags["tls-key"] } }
        : {}),
      ...(redisUrl === undefined || redisUrl === "" ? {} : { redisUrl }),
      ...(adminToken === undefined || adminToken === "" ? {} : { adminToken }),
      trustedProxies,
      processMetrics: true,
      onIngestEvent: (event) => {
        if (event.type !== "accepted") log(ingestLogRecord(event));
        else {
          load?.count();
          if (accessLines) destination.write(acceptedLogLine(event, Date.now(), SERVICE));
        }
      },
      // Two events per delivered message, logged at debug: built only when that level is on.
      onSessionEvent: (event) => {
        if (event.type === "delivered") load?.count();
        if (logger.isLevelEnabled(sessionLogLevel(event))) log(sessionLogRecord(event));
      },
      onAdminEvent: (event) => log(adminLogRecord(event)),
      onTokenEvent: (event) => log(tokenLogRecord(event)),
      onInternalError: (event) => log(internalErrorLogRecord(event)),
      onAuthThrottleEvent: (event) => {
        const record = authThrottleLogRecord(event);
        if (record !== undefined) log(record);
      },
    }).catch((error: unknown) => {
      // Creating the channels and loading their tokens reads the buffer too.
      throw (
        listenStartupError(error, host, port) ??
        (error instanceof WebhookConnectError
          ? bufferStartupError(error, bufferUrl, source)
          : error)
      );
    });
    logger.info(
      {
        url: receiver.url,
        buffer: buffer.kind,
        channels: [...config.channels.keys()],
        webhooks: [...config.webhooks.keys()],
        admin_api: adminToken === undefined || adminToken === "" ? "disabled" : "enabled",
      },
      "receiver listening",
    );
    // At once, for whoever waits for it (not with the next 8 KiB of lines).
    flushLogs();
    startupDone();
    load = trackLoad();
    for (const [id, entry] of config.webhooks) {
      if (entry.channel !== undefined) {
        console.error(`ingest: ${receiver.url}/webhook/${id}  ->  channel '${entry.channel}'`);
      }
    }
    // The command for this receiver's real URL and channels; the token stays a placeholder.
    const cloudUrl = receiver.url.replace("://[::]:", "://[::1]:");
    for (const channel of config.channels.keys()) {
      console.error(
        `connect a connector: npx webhook-connect connector --cloud-url ${cloudUrl} --channel ${channel} --token TOKEN --forward-to localhost:3000/webhooks`,
      );
    }
    console.error("  (or with a config file: see examples/connector.json)");
    const signal = await stopSignal;
    logger.info({ signal }, "shutting down");
    load.stop();
    await receiver.close();
    await buffer.close();
    flushLogs();
    return 0;
  } catch (error) {
    load?.stop();
    startupDone();
    await buffer?.close().catch(() => undefined);
    flushLogs();
    if (error instanceof ConfigError) {
      console.error(`webhook-connect receiver: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
