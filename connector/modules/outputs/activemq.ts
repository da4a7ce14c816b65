/**
 * `activemq`: sends each message to an ActiveMQ queue or topic over STOMP
 * 1.2 and resolves when the broker's RECEIPT for the SEND arrived. The
 * body is the original bytes with the original content type; relay
 * metadata and (optionally) request headers go into STOMP headers. The
 * message_id is also `_AMQ_DUPL_ID`, ActiveMQ Artemis' duplicate-detection
 * id, so Artemis drops a redelivery (ActiveMQ Classic ignores it). One
 * STOMP connection per named connection, reopened after it dropped.
 */
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { activemqConnectionSchema } from "../config/connection-types.js";
import { parseConfig } from "../config/parse.js";
import { boolLike, secondsLike } from "../config/values.js";
import { receivedAt } from "../message/envelope.js";
import { withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { sharedClient } from "../shared-connections.js";
import { StompConnection } from "./activemq/stomp-client.js";

/** `module-config` of `activemq`. */
export const activemqOptionsSchema = z.strictObject({
  /** Queue or topic name. */
  destination: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,255}$/, "expected a destination name: letters, digits, _ . : -"),
  /** `queue` or `topic`. @default "queue" */
  destination_type: z.enum(["queue", "topic"]).default("queue"),
  /** Persistent delivery. @default true */
  persistent: boolLike.default(true),
  /** Add the request headers as `x-header-<name>` STOMP headers. @default false */
  include_headers: boolLike.default(false),
  /** Seconds to wait for the RECEIPT. @default 10 */
  timeout: secondsLike.default(10),
});
/** Parsed `activemq` options. */
export type ActivemqOptions = z.output<typeof activemqOptionsSchema>;

/** STOMP headers of the SEND frame for `message` (destination and receipt excluded). */
export function stompHeadersFor(
  message: WebhookMessage,
  options: ActivemqOptions,
): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ["content-type", message.contentType || "application/octet-stream"],
    ["persistent", String(options.persistent)],
    ["_AMQ_DUPL_ID", message.messageId],
    ["webhook-message-id", message.messageId],
    ["webhook-id", message.webhookId],
    ["webhook-received-at", receivedAt(message).toISOString()],
    ["timestamp", String(receivedAt(message).getTime())],
  ];
  if (options.include_headers) {
    for (const { name, value } of message.headers)
      headers.push([`x-header-${name.toLowerCase()}`, value]);
  }
  return headers;
}

/** One STOMP connection per named connection, reopened on demand. */
class SharedStomp {
  #connection: Promise<StompConnection> | undefined;

  constructor(private readonly open: () => Promise<StompConnection>) {}

  async get(): Promise<StompConnection> {
    const current = this.#connection;
    if (current !== undefined) {
      const connection = await current.catch(() => undefined);
      if (connection?.usable) return connection;
      if (this.#connection === current) this.#connection = undefined;
    }
    this.#connection ??= this.open();
    return this.#connection;
  }

  async close(): Promise<void> {
    const current = this.#connection;
    this.#connection = undefined;
    (await current?.catch(() => undefined))?.close();
  }
}

function createActivemq(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(activemqOptionsSchema, build.context.moduleConfig, build.location);
  const s = activemqConnectionSchema.parse(build.connection!.settings);
  const destination = `/${options.destination_type}/${options.destination}`;
  const timeoutMs = Math.round(options.timeout * 1000);
  const shared = sharedClient(
    build,
    "activemq",
    () =>
      new SharedStomp(() =>
        StompConnection.open({
          host: s.host,
          port: s.port,
          tls: s.tls,
          virtualHost: s.virtual_host ?? s.host,
          login: s.username,
          passcode: s.password,
          timeoutMs: Math.round(s.connect_timeout * 1000),
        }),
      ),
    (held) => held.close(),
  );

  // Brokers refuse for reasons an operator fixes (security, quotas): every
  // failure is retryable, the default.
  return createSendingModule({
    name: "activemq",
    async send(message) {
      const stomp = await shared().get();
      const sent = stomp.send(destination, stompHeadersFor(message, options), message.body);
      await withTimeout(sent, timeoutMs, "activemq receipt");
    },
  });
}

/** Registry entry of `activemq`. */
export const activemqModule: ModuleDefinition = {
  name: "activemq",
  aliases: ["stomp"],
  connectionTypes: ["activemq"],
  connectionRequired: true,
  create: createActivemq,
};
