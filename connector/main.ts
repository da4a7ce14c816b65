/**
 * `webhook-connect connector`: loads the configuration, connects to the
 * receiver and delivers until SIGINT/SIGTERM. Owns the logger (pino, JSON
 * on stdout). User errors are one line on stderr and exit code 2.
 */
import { ConfigError } from "../config-file/index.js";
import {
  buildDeliverer,
  buildTransport,
  connectorProxy,
  connectorVersion,
  createConnectorTerminal,
  forwardedProtoOf,
  logModuleEvent,
  runnerOptions,
} from "./cli/index.js";
import {
  type ConnectorConfig,
  connectorUsage,
  deliveryModeOf,
  loadConnectorConfig,
} from "./config/index.js";
import type { AttemptRecord, Deliverer } from "./delivery/index.js";
import { ConnectorRefusedError, TlsFileError } from "./errors.js";
import {
  isLoopback,
  parseInspectAddress,
  type RunningInspector,
  startInspector,
} from "./inspector/index.js";
import { createConnectorMetrics, type MetricsServer, startMetricsServer } from "./metrics/index.js";
import { createConnectorRunner } from "./runner/index.js";
import type { Transport } from "./transport/index.js";

/** Exit code of a clean shutdown. */
export const EXIT_OK = 0;
/** Exit code of an unexpected failure. */
export const EXIT_FAILURE = 1;
/** Exit code of a bad configuration, flag or file. */
export const EXIT_CONFIG = 2;
/** Exit code of a connector the receiver refused at start-up (wrong token, unknown channel). */
export const EXIT_REFUSED = 3;

/** Where the CLI writes and how it is stopped; tests replace the defaults. */
export interface ConnectorCliIo {
  /** Log lines (JSON) and --help. @default process.stdout */
  readonly stdout?: NodeJS.WritableStream;
  /** The one-line error of a bad configuration. @default process.stderr */
  readonly stderr?: NodeJS.WritableStream;
  /** Stops the connector like SIGTERM does. @default none */
  readonly signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM. @default true */
  readonly handleSignals?: boolean;
  /** Base of a relative --config path. @default process.cwd() */
  readonly cwd?: string;
}

/** Removes credentials from a URL before it is logged. */
function safeUrl(raw: string): string {
  const url = new URL(raw);
  url.username = "";
  url.password = "";
  return url.toString();
}

/**
 * Runs the connector command. `argv` are the arguments after `connector`.
 * Resolves with the exit code once the connector stopped.
 */
export async function runConnectorCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: ConnectorCliIo = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const userError = (message: string) => {
    stderr.write(`webhook-connect connector: ${message}\n`);
    return EXIT_CONFIG;
  };

  let loaded: ReturnType<typeof loadConnectorConfig>;
  try {
    loaded = loadConnectorConfig({ argv, env, ...(io.cwd === undefined ? {} : { cwd: io.cwd }) });
  } catch (error) {
    if (error instanceof ConfigError) return userError(error.message);
    throw error;
  }
  if (loaded.help && loaded.version === true) {
    stdout.write(`${connectorVersion().replace("/", " ")}\n`);
    return EXIT_OK;
  }
  if (loaded.help) {
    stdout.write(connectorUsage());
    return EXIT_OK;
  }
  const { config } = loaded;
  const terminal = createConnectorTerminal({
    format: config.log_format,
    level: config.log_level,
    stdout,
    env,
  });
  const { logger } = terminal;

  let transport: Transport;
  let deliverer: Deliverer;
  let proxy: ReturnType<typeof connectorProxy>;
  let inspector: RunningInspector | undefined;
  const build = (onAttempt?: (record: AttemptRecord) => void) =>
    buildDeliverer(config, env, (event) => logModuleEvent(logger, event), stdout, onAttempt);
  try {
    proxy = connectorProxy(config, env);
    transport = buildTransport(config, proxy);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TlsFileError) {
      return userError(error.message);
    }
    throw error;
  }
  try {
    if (config.inspect === "off") {
      deliverer = await build();
    } else {
      const { host } = parseInspectAddress(config.inspect);
      if (!isLoopback(host) && !config.inspect_allow_remote) {
        await transport.close().catch(() => {});
        return userError(
          `--inspect ${config.inspect}: the inspector shows webhook bodies and can replay them; to serve it beyond this machine add --inspect-allow-remote true (or use 127.0.0.1)`,
        );
      }
      try {
        inspector = await startInspector({
          config,
          env,
          buildDeliverer: build,
          forwardedProto: forwardedProtoOf(config.cloud_url),
        });
      } catch (error) {
        if (error instanceof ConfigError || error instanceof TlsFileError) throw error;
        await transport.close().catch(() => {});
        return userError(
          `--inspect ${config.inspect}: cannot start the inspector (${(error as Error).message}); use another HOST:PORT or --inspect off`,
        );
      }
      deliverer = inspector.deliverer;
      if (!isLoopback(host)) {
        logger.warn(
          { url: inspector.url },
          "the inspector listens beyond this machine: anyone who reaches it sees webhook bodies and can replay them",
        );
      }
    }
  } catch (error) {
    await transport.close().catch(() => {});
    if (error instanceof ConfigError || error instanceof TlsFileError) {
      return userError(error.message);
    }
    throw error;
  }

  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      logger.warn({ signal: name }, "second signal: exiting without waiting for deliveries");
      process.exit(130);
    }
    logger.info({ signal: name }, "shutdown requested");
    stop.abort();
  };
  const handleSignals = io.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const onExternalStop = () => stop.abort();
  io.signal?.addEventListener("abort", onExternalStop, { once: true });
  if (io.signal?.aborted) stop.abort();

  terminal.starting({
    version: connectorVersion(),
    cloudUrl: safeUrl(config.cloud_url),
    channel: config.channel,
    group: config.group === "" ? "default" : config.group,
    protocol: config.protocol,
    proxy: proxy?.label ?? "none",
    connectorId: config.connector_id,
    destinations: destinationsOf(config),
    mode: deliveryModeOf(config),
    maxConcurrentRequests: config.max_concurrent_requests,
    configFile: loaded.configFile,
    inspector: inspector?.url,
    historyFile: inspector?.historyFile,
  });
  const metrics = createConnectorMetrics((webhookId) => targetNameOf(config, webhookId));
  let metricsServer: MetricsServer | undefined;
  if (config.metrics_port !== undefined) {
    try {
      metricsServer = await startMetricsServer(
        metrics.registry,
        config.metrics_host,
        config.metrics_port,
      );
      logger.info({ url: `${metricsServer.url}/metrics` }, "metrics listening");
    } catch (error) {
      await deliverer.close().catch(() => {});
      await transport.close().catch(() => {});
      await inspector?.close().catch(() => {});
      return userError(
        `flag --metrics-port: cannot listen on ${config.metrics_host}:${config.metrics_port} (${(error as Error).message})`,
      );
    }
  }
  const runner = createConnectorRunner(
    runnerOptions(config, transport, deliverer, (event) => {
      metrics.observe(event);
      terminal.event(event);
    }),
  );
  const stopDrainSummary = terminal.watchDrain(() => runner.inFlight);
  try {
    await runner.run(stop.signal);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ConnectorRefusedError) {
      stderr.write(
        `webhook-connect connector: ${safeUrl(config.cloud_url)} refused channel '${config.channel}' (${error.code}): ${refusalHint(error.code)}\n`,
      );
      return EXIT_REFUSED;
    }
    logger.fatal({ err: error }, "connector failed");
    return EXIT_FAILURE;
  } finally {
    if (handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    io.signal?.removeEventListener("abort", onExternalStop);
    stopDrainSummary();
    await deliverer.close().catch(() => {});
    await transport.close().catch(() => {});
    await inspector?.close().catch(() => {});
    await metricsServer?.close();
  }
}

/** The metrics label of the target a webhook is delivered to. */
function targetNameOf(config: ConnectorConfig, webhookId: string): string {
  if (config.webhooks_config !== undefined) return "modules";
  return config.targets?.[webhookId] === undefined ? "default" : webhookId;
}

/** Where messages go, for the start-up line: target URLs (credentials removed) or the modules config. */
function destinationsOf(config: ConnectorConfig): { webhook: string; to: string }[] {
  if (config.webhooks_config !== undefined) {
    return [{ webhook: "*", to: `modules of ${config.webhooks_config}` }];
  }
  const out: { webhook: string; to: string }[] = [];
  if (config.default_target !== undefined) {
    out.push({ webhook: "*", to: safeUrl(config.default_target.url) });
  }
  for (const [webhook, target] of Object.entries(config.targets ?? {})) {
    out.push({ webhook, to: safeUrl(target.url) });
  }
  return out;
}

/** What to check after a refusal, by its code. */
function refusalHint(code: string): string {
  if (code === "WC_ERR_CONNECTOR_UNAUTHENTICATED") {
    return "the token is not valid for this channel; check --token (CONNECTOR_TOKEN)";
  }
  if (code === "WC_ERR_CONNECTOR_UNKNOWN_CHANNEL") {
    return "the receiver serves no such channel; check --channel (CONNECTOR_CHANNEL)";
  }
  return "check --token and --channel";
}
