/**
 * Builds the connector's parts from a loaded configuration: TLS options,
 * transport, deliverer and runner options.
 */
import type { ConnectorConfig } from "../config/index.js";
import { deliveryModeOf } from "../config/index.js";
import type { Deliverer } from "../delivery/index.js";
import { type AttemptRecord, createHttpTargetDeliverer } from "../delivery/index.js";
import { createModuleDeliverer, type ModuleEventSink } from "../modules/index.js";
import type { ConnectorEventListener, ConnectorRunnerOptions } from "../runner/index.js";
import type { Transport } from "../transport/index.js";
import {
  createTransportForProtocol,
  type ForwardProxy,
  loadTlsOptions,
  resolveForwardProxy,
} from "../transport/index.js";
import { connectorVersion } from "./version.js";

/**
 * The forward proxy to the receiver: `proxy_url`, else HTTPS_PROXY /
 * HTTP_PROXY from `env`; none when NO_PROXY (or `no_proxy`) matches.
 */
export function connectorProxy(
  config: ConnectorConfig,
  env: Readonly<Record<string, string | undefined>>,
): ForwardProxy | undefined {
  return resolveForwardProxy(config.cloud_url, {
    proxyUrl: config.proxy_url,
    noProxy: config.no_proxy,
    env,
  });
}

/** Creates the transport for `config.protocol`, with the TLS files read. */
export function buildTransport(config: ConnectorConfig, proxy?: ForwardProxy): Transport {
  const tls = loadTlsOptions({
    verifySsl: config.verify_ssl,
    caCertPath: config.ca_cert_path,
    clientCertPath: config.client_cert_path,
    clientKeyPath: config.client_key_path,
  });
  return createTransportForProtocol(config.protocol, {
    cloudUrl: config.cloud_url,
    token: config.token,
    tls,
    proxy,
  });
}

/** Creates the deliverer of the configured mode; module output (the `log` module) goes to `stdout`. */
export async function buildDeliverer(
  config: ConnectorConfig,
  env: Readonly<Record<string, string | undefined>>,
  onModuleEvent: ModuleEventSink,
  stdout: NodeJS.WritableStream = process.stdout,
  onAttempt?: (record: AttemptRecord) => void,
): Promise<Deliverer> {
  if (deliveryModeOf(config) === "http") {
    return createHttpTargetDeliverer({
      defaultTarget: config.default_target,
      targets: config.targets,
      connectionsPerOrigin: config.max_concurrent_requests,
      forwardedProto: forwardedProtoOf(config.cloud_url),
      ...(onAttempt === undefined ? {} : { onAttempt }),
    });
  }
  return createModuleDeliverer({
    webhooksConfigPath: config.webhooks_config!,
    connectionsConfigPath: config.connections_config,
    env,
    onEvent: onModuleEvent,
    stdout,
  });
}

/**
 * The scheme senders are assumed to use for messages whose scheme the
 * receiver did not record (stored by an older receiver): that of the
 * receiver URL the connector uses (`wss:` counts as https), as senders
 * normally post to the same public URL.
 */
export function forwardedProtoOf(cloudUrl: string): "http" | "https" {
  const protocol = new URL(cloudUrl).protocol;
  return protocol === "https:" || protocol === "wss:" ? "https" : "http";
}

/** Runner options from the configuration (seconds become milliseconds). */
export function runnerOptions(
  config: ConnectorConfig,
  transport: Transport,
  deliverer: Deliverer,
  onEvent: ConnectorEventListener,
): ConnectorRunnerOptions {
  return {
    transport,
    deliverer,
    hello: {
      channel: config.channel,
      connectorId: config.connector_id,
      group: config.group,
      // Four times the deliveries at once, so the next messages are already
      // here when a delivery finishes (the server caps it at the channel's
      // max_in_flight).
      maxInFlight: config.max_concurrent_requests * 4,
      clientVersion: connectorVersion(),
    },
    concurrency: config.max_concurrent_requests,
    reconnectDelayMs: config.reconnect_delay * 1_000,
    maxReconnectDelayMs: config.max_reconnect_delay * 1_000,
    reconnectBackoffMultiplier: config.reconnect_backoff_multiplier,
    ...(config.heartbeat_timeout === undefined
      ? {}
      : { heartbeatTimeoutMs: config.heartbeat_timeout * 1_000 }),
    shutdownGraceMs: config.shutdown_grace_seconds * 1_000,
    stopWhenRefusedAtStart: true,
    onEvent,
  };
}
