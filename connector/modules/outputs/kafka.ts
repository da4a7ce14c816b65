/**
 * `kafka`: produces each message to a topic with kafkajs. The record key is
 * the message_id (log compaction and consumers de-duplicate by it), the
 * value is the original body bytes (or the JSON envelope), and the request
 * headers plus relay metadata travel as Kafka headers. The delivery
 * resolves when the brokers acknowledged the write (`acks`, all in-sync
 * replicas by default). One producer per named connection.
 */
import {
  type IHeaders,
  Kafka,
  logLevel,
  type Message,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { type KafkaConnection, kafkaConnectionSchema } from "../config/connection-types.js";
import { parseConfig } from "../config/parse.js";
import { boolLike, secondsLike } from "../config/values.js";
import { publishPayload, receivedAt, relayHeaderPairs } from "../message/envelope.js";
import { toDeliveryError, withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { sharedClient } from "../shared-connections.js";

/** `module-config` of `kafka`. */
export const kafkaOptionsSchema = z.strictObject({
  /** Topic (Kafka's legal characters, at most 249). */
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a topic name: letters, digits, . _ -"),
  /** `raw` (body bytes) or `json` (envelope). @default "raw" */
  format: z.enum(["raw", "json"]).default("raw"),
  /** Send the request headers as Kafka headers (relay headers are always sent). @default true */
  include_headers: boolLike.default(true),
  /** `all` (every in-sync replica) or `leader`. @default "all" */
  acks: z.enum(["all", "leader"]).default("all"),
  /** `none` or `gzip`. @default "none" */
  compression: z.enum(["none", "gzip"]).default("none"),
  /** Seconds one produce may take, retries included. @default 30 */
  timeout: secondsLike.default(30),
});
/** Parsed `kafka` options. */
export type KafkaOptions = z.output<typeof kafkaOptionsSchema>;

/** Protocol errors that no redelivery of the same record can fix. */
const PERMANENT_TYPES = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
]);

/** The Kafka record for `message`: key = message_id, value, headers, timestamp. */
export function kafkaRecordFor(
  message: WebhookMessage,
  options: KafkaOptions,
  dataType: "json" | "blob",
): Message {
  const headers: IHeaders = {};
  if (options.include_headers) {
    for (const { name, value } of message.headers) {
      const key = name.toLowerCase();
      const previous = headers[key];
      headers[key] =
        previous === undefined
          ? value
          : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
  }
  for (const [name, value] of relayHeaderPairs(message)) headers[name.toLowerCase()] = value;
  if (message.contentType !== "") headers["content-type"] = message.contentType;
  const value = Buffer.from(publishPayload(message, options.format, dataType, true));
  return {
    key: message.messageId,
    value,
    headers,
    timestamp: String(receivedAt(message).getTime()),
  };
}

/** Permanent when the broker rejected the record itself; retryable otherwise. */
export function classifyKafkaError(error: unknown): ModuleDeliveryError {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 6; depth++) {
    const type = (e as { type?: unknown } | null)?.type;
    if (typeof type === "string" && PERMANENT_TYPES.has(type)) {
      return new ModuleDeliveryError(`kafka: broker rejected the record (${type})`, {
        retryable: false,
        cause: error,
      });
    }
    e = (e as { cause?: unknown } | null)?.cause;
  }
  return toDeliveryError("kafka", error, true);
}

/** One connected producer per named connection; reconnects after a disconnect. */
class SharedProducer {
  readonly #producer: Producer;
  #connected: Promise<void> | undefined;

  constructor(settings: KafkaConnection, onError: (reason: string) => void) {
    const sasl: SASLOptions | undefined =
      settings.sasl_mechanism === undefined
        ? undefined
        : {
            mechanism: settings.sasl_mechanism,
            username: settings.username ?? "",
            password: settings.password ?? "",
          };
    const kafka = new Kafka({
      clientId: settings.client_id,
      brokers: typeof settings.brokers === "string" ? [settings.brokers] : settings.brokers,
      ssl: settings.ssl,
      ...(sasl === undefined ? {} : { sasl }),
      connectionTimeout: Math.round(settings.connect_timeout * 1000),
      requestTimeout: Math.round(settings.request_timeout * 1000),
      retry: { retries: settings.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
      // Libraries don't log: kafkajs errors become connection_error events.
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => onError(entry.log.message),
    });
    this.#producer = kafka.producer({ allowAutoTopicCreation: false });
    this.#producer.on("producer.disconnect", () => {
      this.#connected = undefined;
    });
  }

  async get(): Promise<Producer> {
    if (this.#connected === undefined) {
      const connecting = this.#producer.connect();
      connecting.catch(() => {
        if (this.#connected === connecting) this.#connected = undefined;
      });
      this.#connected = connecting;
    }
    await this.#connected;
    return this.#producer;
  }

  async close(): Promise<void> {
    this.#connected = undefined;
    await this.#producer.disconnect();
  }
}

function createKafka(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(kafkaOptionsSchema, build.context.moduleConfig, build.location);
  const settings = kafkaConnectionSchema.parse(build.connection!.settings);
  const timeoutMs = Math.round(options.timeout * 1000);
  const producer = sharedClient(
    build,
    "kafka",
    (reportError) => new SharedProducer(settings, reportError),
    (held) => held.close(),
  );
  return createSendingModule({
    name: "kafka",
    prepare: (message) => kafkaRecordFor(message, options, build.context.dataType),
    send(record) {
      const send = producer()
        .get()
        .then((p) =>
          p.send({
            topic: options.topic,
            acks: options.acks === "all" ? -1 : 1,
            timeout: timeoutMs,
            compression: options.compression === "gzip" ? 1 : 0,
            messages: [record],
          }),
        );
      return withTimeout(send, timeoutMs, "kafka produce");
    },
    failure: classifyKafkaError,
  });
}

/** Registry entry of `kafka`. */
export const kafkaModule: ModuleDefinition = {
  name: "kafka",
  aliases: [],
  connectionTypes: ["kafka"],
  connectionRequired: true,
  create: createKafka,
};
