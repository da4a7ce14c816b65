/**
 * zod schemas of a webhooks.json entry and of the `webhook_connect`
 * module-config (SPEC §3.1). Auth and validation blocks are kept raw here;
 * receiver/auth validates them when it builds the verifiers.
 */
import { z } from "zod";
import {
  booleanLike,
  nameString,
  nonEmptyString,
  positiveInteger,
  positiveSeconds,
} from "./values.js";

/** The module name of entries this receiver relays. */
export const RELAY_MODULE = "webhook_connect";

/** Ten years: longer TTLs overflow some brokers' age limits. */
const MAX_TTL_SECONDS = 315_360_000;
/** One day. */
const MAX_ACK_TIMEOUT_SECONDS = 86_400;
/** The whole body is held in memory while it is verified and stored. */
const MAX_MESSAGE_BYTES_LIMIT = 1_073_741_824;

/** Body handling of a webhook: `json` validates the body as JSON, `blob` accepts any bytes. */
export type DataType = "json" | "blob";

/** The `module-config` of a `webhook_connect` entry. */
export const relayModuleConfigSchema = z.strictObject({
  /** Channel the webhook is buffered in. Required. */
  channel: nameString(),
  /** Token connectors present to stream the channel. Required. */
  channel_token: nonEmptyString(),
  /** Message time-to-live in seconds. @default 86400 */
  ttl_seconds: positiveSeconds(MAX_TTL_SECONDS).default(86_400),
  /** Most messages queued in the channel. @default 10000 */
  max_queue_size: positiveInteger().default(10_000),
  /** Most concurrent connector connections. @default 10 */
  max_connections: positiveInteger().default(10),
  /** Most unacked messages per connection. @default 100 */
  max_in_flight: positiveInteger().default(100),
  /** Seconds before an unacked delivery is redelivered. @default 30 */
  ack_timeout_seconds: positiveSeconds(MAX_ACK_TIMEOUT_SECONDS).default(30),
  /** Deliveries before a message is dead-lettered. @default 10 */
  max_delivery_attempts: positiveInteger().default(10),
  /** Largest accepted body in bytes (at most 1 GiB). @default 10485760 (10 MiB) */
  max_message_bytes: positiveInteger(MAX_MESSAGE_BYTES_LIMIT).default(10_485_760),
  /** Keep one message in flight per group so order holds end to end. @default false */
  ordered: booleanLike().default(false),
});

/** A parsed `webhook_connect` module-config, defaults applied. */
export type RelayModuleConfig = z.output<typeof relayModuleConfigSchema>;

const rawBlock = z.unknown().optional();

/** One entry of webhooks.json. Unknown keys are refused (typo protection). */
export const webhookEntrySchema = z
  .strictObject({
    /** Body handling. @default "json" */
    data_type: z.enum(["json", "blob"], { error: 'expected "json" or "blob"' }).default("json"),
    /** Module that handles the webhook; `webhook_connect` relays it. */
    module: nonEmptyString().optional(),
    /** Settings of the module; validated per module. */
    "module-config": rawBlock,
    /** Gateway-format keys of other modules, accepted so one file can serve both. */
    connection: rawBlock,
    chain: rawBlock,
    "chain-config": rawBlock,
    /** Auth and validation blocks, validated by receiver/auth. */
    ip_whitelist: rawBlock,
    /** Proxies whose `X-Forwarded-For` is believed; read by the `ip_whitelist` verifier. */
    trusted_proxies: rawBlock,
    authorization: rawBlock,
    basic_auth: rawBlock,
    digest_auth: rawBlock,
    jwt: rawBlock,
    hmac: rawBlock,
    header_auth: rawBlock,
    query_auth: rawBlock,
    oauth1: rawBlock,
    oauth2: rawBlock,
    recaptcha: rawBlock,
    rate_limit: rawBlock,
    json_schema: rawBlock,
    /** Provider handshake answered by the receiver; validated in handshake.ts. */
    handshake: rawBlock,
    /** Custom answer to accepted webhooks; validated in response.ts. */
    response: rawBlock,
  })
  .refine((entry) => entry.module !== undefined || entry.chain !== undefined, {
    error: `is required (e.g. "${RELAY_MODULE}")`,
    path: ["module"],
  });
