/**
 * `rabbitmq`: publishes the original body bytes to a durable queue (or an
 * exchange), persistent, with publisher confirms: the delivery resolves
 * only after the broker confirmed the message. The AMQP `message_id`
 * property is the relay message_id, `content_type` the original one, and
 * the request headers plus relay metadata travel as AMQP headers. One AMQP
 * connection per named connection, reopened on demand after it drops; one
 * confirm channel per module.
 */
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { rabbitmqConnectionSchema } from "../config/connection-types.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, secondsLike } from "../config/values.js";
import { receivedAt, relayHeaderPairs } from "../message/envelope.js";
import { toDeliveryError, withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { sharedClient } from "../shared-connections.js";

const amqpName = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9_.:-]*$/, "allowed characters: letters, digits, _ . : -")
  .refine((name) => !name.startsWith("amq."), "names starting with 'amq.' are reserved");

/** `module-config` of `rabbitmq`. */
export const rabbitmqOptionsSchema = z.strictObject({
  /** Queue to publish to through the default exchange (declared durable). */
  queue_name: amqpName.min(1).optional(),
  /** Exchange to publish to instead (must exist). @default "" (default exchange) */
  exchange: amqpName.default(""),
  /** Routing key with `exchange`. @default queue_name */
  routing_key: z.string().max(255).optional(),
  /** Declare `queue_name` as durable when missing. @default true */
  declare_queue: boolLike.default(true),
  /** Seconds to wait for the broker's confirm. @default 10 */
  timeout: secondsLike.default(10),
});

function amqpUrl(settings: Readonly<Record<string, unknown>>): string {
  const s = rabbitmqConnectionSchema.parse(settings);
  if (s.url !== undefined) return s.url;
  const scheme = s.tls ? "amqps" : "amqp";
  const auth = `${encodeURIComponent(s.user)}:${encodeURIComponent(s.pass)}`;
  return `${scheme}://${auth}@${s.host}:${s.port}/${encodeURIComponent(s.vhost)}?heartbeat=${s.heartbeat}`;
}

/** One AMQP connection, opened on demand and reopened after it closed. */
class SharedAmqpConnection {
  #connection: Promise<ChannelModel> | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly onError: (reason: string) => void,
  ) {}

  get(): Promise<ChannelModel> {
    if (this.#closed) return Promise.reject(new Error("connection closed"));
    if (this.#connection === undefined) {
      const opening = amqp.connect(this.url, { timeout: 10_000 }).then((model) => {
        model.on("error", (error: Error) => this.onError(error.message));
        model.on("close", () => {
          if (this.#connection === opening) this.#connection = undefined;
        });
        return model;
      });
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
      this.#connection = opening;
    }
    return this.#connection;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    try {
      await (await connection).close();
    } catch {
      // Already closed or never opened: nothing left to release.
    }
  }
}

/** AMQP headers for `message`: request headers (repeats joined) plus relay metadata. */
export function amqpHeaders(message: WebhookMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { name, value } of message.headers) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  for (const [name, value] of relayHeaderPairs(message)) headers[name] = value;
  return headers;
}

function createRabbitmq(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(rabbitmqOptionsSchema, build.context.moduleConfig, build.location);
  if (options.queue_name === undefined && options.exchange === "") {
    configError(childLocation(build.location, "queue_name"), "required unless 'exchange' is set");
  }
  const routingKey = options.routing_key ?? options.queue_name ?? "";
  const shared = sharedClient(
    build,
    "amqp",
    (reportError) => new SharedAmqpConnection(amqpUrl(build.connection!.settings), reportError),
    (held) => held.close(),
  );
  let channel: Promise<ConfirmChannel> | undefined;

  function openChannel(): Promise<ConfirmChannel> {
    if (channel !== undefined) return channel;
    const opening = (async () => {
      const model = await shared().get();
      const created = await model.createConfirmChannel();
      created.on("error", () => {});
      created.on("close", () => {
        if (channel === opening) channel = undefined;
      });
      if (options.queue_name !== undefined && options.declare_queue) {
        await created.assertQueue(options.queue_name, { durable: true });
      }
      return created;
    })();
    opening.catch(() => {
      if (channel === opening) channel = undefined;
    });
    channel = opening;
    return opening;
  }

  return {
    name: "rabbitmq",
    async deliver(message) {
      try {
        const ch = await openChannel();
        const confirmed = new Promise<void>((resolve, reject) => {
          ch.publish(
            options.exchange,
            routingKey,
            Buffer.from(message.body),
            {
              persistent: true,
              messageId: message.messageId,
              timestamp: Math.floor(receivedAt(message).getTime() / 1000),
              ...(message.contentType === "" ? {} : { contentType: message.contentType }),
              headers: amqpHeaders(message),
              type: message.webhookId,
            },
            (error: unknown) => (error === null || error === undefined ? resolve() : reject(error)),
          );
        });
        await withTimeout(confirmed, Math.round(options.timeout * 1000), "rabbitmq confirm");
      } catch (error) {
        throw toDeliveryError("rabbitmq", error, true);
      }
    },
    async close() {
      const ch = channel;
      channel = undefined;
      if (ch !== undefined) await ch.then((c) => c.close()).catch(() => {});
    },
  };
}

/** Registry entry of `rabbitmq`. */
export const rabbitmqModule: ModuleDefinition = {
  name: "rabbitmq",
  aliases: ["amqp"],
  connectionTypes: ["rabbitmq"],
  connectionRequired: true,
  create: createRabbitmq,
};
