/** The loaded, validated and frozen receiver configuration. */
import type { ChannelSettings } from "../buffer/index.js";
import type { HandshakeSettings } from "./handshake.js";
import type { CustomResponse } from "./response.js";
import type { DataType } from "./schema.js";

/** One webhook of webhooks.json. */
export interface WebhookEntry {
  /** The webhook id (the `{id}` of `/webhook/{id}`). */
  readonly id: string;
  /** Body handling. @default "json" */
  readonly dataType: DataType;
  /** Module named by the entry; undefined for gateway `chain` entries. */
  readonly module: string | undefined;
  /** true when this receiver relays the webhook (`module: "webhook_connect"`). */
  readonly relayed: boolean;
  /** Channel the webhook feeds; set exactly when `relayed`. */
  readonly channel: string | undefined;
  /** The provider handshake the receiver answers for this webhook, if configured. */
  readonly handshake: HandshakeSettings | undefined;
  /** The answer accepted webhooks get instead of the default JSON, if configured. */
  readonly response: CustomResponse | undefined;
  /**
   * The whole entry after variable substitution, including its auth and
   * validation blocks as written; input to `createVerifiers`.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A channel as derived from the webhooks that feed it. */
export interface ChannelConfig extends ChannelSettings {
  /** Token connectors present to stream the channel. A secret: never log it. */
  readonly token: string;
  /** Webhooks that feed the channel, in file order. */
  readonly webhookIds: readonly string[];
}

/** The receiver's webhooks.json, validated and frozen. */
export interface ReceiverConfig {
  /** Path the config was loaded from (used in error messages). */
  readonly file: string;
  /** Every entry by webhook id, in file order. */
  readonly webhooks: ReadonlyMap<string, WebhookEntry>;
  /** Every channel by name, in order of first appearance. */
  readonly channels: ReadonlyMap<string, ChannelConfig>;
}
