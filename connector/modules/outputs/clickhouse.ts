/**
 * `clickhouse`: inserts one row per message over ClickHouse's HTTP
 * interface (`INSERT … FORMAT JSONEachRow`). The table is a
 * ReplacingMergeTree ordered by message_id, and every insert carries
 * `insert_deduplication_token = message_id`, so a redelivered message is
 * dropped by the server's insert de-duplication and, failing that, merged
 * away. Parse and type errors are permanent; everything else retryable.
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { clickhouseConnectionSchema } from "../config/connection-types.js";
import { parseConfig } from "../config/parse.js";
import { boolLike, secondsLike } from "../config/values.js";
import { decodeBody, headersObject, receivedAt } from "../message/envelope.js";
import { toDeliveryError } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { sharedClient } from "../shared-connections.js";

/** `module-config` of `clickhouse`. */
export const clickhouseOptionsSchema = z.strictObject({
  /** Table name. @default "webhook_events" */
  table: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "expected an identifier: letters, digits, _")
    .default("webhook_events"),
  /** Create the table when missing. @default true */
  auto_create_table: boolLike.default(true),
  /** Store the request headers (JSON text). @default true */
  include_headers: boolLike.default(true),
  /** Seconds for one insert. @default 30 */
  timeout: secondsLike.default(30),
});

/** Server error codes caused by the row itself (parse and type errors). */
const PERMANENT_CODES = new Set(["6", "26", "27", "38", "41", "53", "72", "117"]);
/** UNKNOWN_TABLE: recreate the table before the next attempt. */
const UNKNOWN_TABLE = "60";

/** One row as JSONEachRow sends it. */
export interface ClickhouseRow {
  readonly message_id: string;
  readonly webhook_id: string;
  readonly channel: string;
  /** `YYYY-MM-DD hh:mm:ss.sss` in UTC. */
  readonly received_at: string;
  readonly content_type: string;
  /** JSON object text, `{}` without include_headers. */
  readonly headers: string;
  /** The body as text, or base64 for bytes. */
  readonly payload: string;
  /** `utf8` or `base64`. */
  readonly payload_encoding: "utf8" | "base64";
}

/** The row for `message`: the body exactly as received (text or base64). */
export function clickhouseRowFor(
  message: WebhookMessage,
  dataType: "json" | "blob",
  includeHeaders: boolean,
): ClickhouseRow {
  const binary = decodeBody(message, dataType).kind === "binary";
  return {
    message_id: message.messageId,
    webhook_id: message.webhookId,
    channel: message.channel,
    received_at: receivedAt(message).toISOString().replace("T", " ").replace("Z", ""),
    content_type: message.contentType,
    headers: JSON.stringify(includeHeaders ? headersObject(message) : {}),
    payload: Buffer.from(message.body).toString(binary ? "base64" : "utf8"),
    payload_encoding: binary ? "base64" : "utf8",
  };
}

/** The CREATE TABLE statement for `table`. */
export function clickhouseDdl(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (message_id String, webhook_id String, channel String, ` +
    "received_at DateTime64(3, 'UTC'), content_type String, headers String, payload String, " +
    "payload_encoding LowCardinality(String)) ENGINE = ReplacingMergeTree ORDER BY message_id " +
    "SETTINGS non_replicated_deduplication_window = 10000"
  );
}

function classify(error: unknown): ModuleDeliveryError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && PERMANENT_CODES.has(code)) {
    return new ModuleDeliveryError(`clickhouse: row rejected: ${(error as Error).message}`, {
      retryable: false,
      cause: error,
    });
  }
  return toDeliveryError("clickhouse", error, true);
}

function createClickhouse(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(clickhouseOptionsSchema, build.context.moduleConfig, build.location);
  const s = clickhouseConnectionSchema.parse(build.connection!.settings);
  const timeoutMs = Math.round(options.timeout * 1000);
  const client = sharedClient(
    build,
    "clickhouse",
    (): ClickHouseClient =>
      createClient({
        url: s.url ?? `${s.secure ? "https" : "http"}://${s.host}:${s.port}`,
        username: s.username,
        password: s.password,
        database: s.database,
        request_timeout: Math.round(s.request_timeout * 1000),
        application: "webhook-connect",
        // Libraries don't log: failures surface as delivery outcomes.
        log: { level: ClickHouseLogLevel.OFF },
      }),
    (created) => created.close(),
  );
  let ensured: Promise<unknown> | undefined;

  return createSendingModule({
    name: "clickhouse",
    prepare: (message) =>
      clickhouseRowFor(message, build.context.dataType, options.include_headers),
    async send(row, message) {
      if (options.auto_create_table) {
        ensured ??= client().command({ query: clickhouseDdl(options.table) });
        ensured.catch(() => {
          ensured = undefined;
        });
        await ensured;
      }
      await client().insert({
        table: options.table,
        values: [row],
        format: "JSONEachRow",
        clickhouse_settings: { insert_deduplication_token: message.messageId },
        abort_signal: AbortSignal.timeout(timeoutMs),
      });
    },
    failure(error) {
      // The table was dropped since it was created: create it again next time.
      if ((error as { code?: unknown } | null)?.code === UNKNOWN_TABLE) ensured = undefined;
      return classify(error);
    },
  });
}

/** Registry entry of `clickhouse`. */
export const clickhouseModule: ModuleDefinition = {
  name: "clickhouse",
  aliases: [],
  connectionTypes: ["clickhouse"],
  connectionRequired: true,
  create: createClickhouse,
};
