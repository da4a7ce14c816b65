/**
 * Derives channels from the relayed entries. Several webhooks may feed one
 * channel, but they must agree on every channel setting, token included.
 */
import { ConfigError } from "../../config-file/index.js";
import type { RelayModuleConfig } from "./schema.js";
import type { ChannelConfig } from "./types.js";

/** A relayed entry's parsed module-config with its webhook id. */
export interface RelaySource {
  /** Webhook id of the entry. */
  readonly webhookId: string;
  /** Its parsed `module-config`. */
  readonly settings: RelayModuleConfig;
}

/** The module-config keys that define a channel, compared between feeding webhooks. */
const CHANNEL_KEYS = [
  "channel_token",
  "ttl_seconds",
  "max_queue_size",
  "max_connections",
  "max_in_flight",
  "ack_timeout_seconds",
  "max_delivery_attempts",
  "max_message_bytes",
  "ordered",
] as const satisfies readonly (keyof RelayModuleConfig)[];

function toChannelConfig(source: RelaySource, webhookIds: string[]): ChannelConfig {
  const { settings } = source;
  return {
    name: settings.channel,
    token: settings.channel_token,
    ttlSeconds: settings.ttl_seconds,
    maxQueueSize: settings.max_queue_size,
    maxConnections: settings.max_connections,
    maxInFlight: settings.max_in_flight,
    ackTimeoutSeconds: settings.ack_timeout_seconds,
    maxDeliveryAttempts: settings.max_delivery_attempts,
    maxMessageBytes: settings.max_message_bytes,
    ordered: settings.ordered,
    webhookIds,
  };
}

/**
 * Groups relayed entries by channel. Throws ConfigError naming both webhook
 * ids and the first differing key when two feeders of a channel disagree.
 * Values are not echoed: the differing key may be the token.
 */
export function deriveChannels(file: string, sources: readonly RelaySource[]): ChannelConfig[] {
  const first = new Map<string, { source: RelaySource; webhookIds: string[] }>();
  for (const source of sources) {
    const seen = first.get(source.settings.channel);
    if (seen === undefined) {
      first.set(source.settings.channel, { source, webhookIds: [source.webhookId] });
      continue;
    }
    for (const key of CHANNEL_KEYS) {
      if (seen.source.settings[key] !== source.settings[key]) {
        throw new ConfigError(
          file,
          `${source.webhookId}.module-config.${key}`,
          `differs from webhook '${seen.source.webhookId}', which feeds the same channel ` +
            `'${source.settings.channel}'; webhooks of one channel must agree on its settings`,
        );
      }
    }
    seen.webhookIds.push(source.webhookId);
  }
  return [...first.values()].map(({ source, webhookIds }) => toChannelConfig(source, webhookIds));
}
