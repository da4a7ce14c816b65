/**
 * `nats`: publishes the original body bytes on a subject, with the request
 * headers and relay metadata as NATS headers. Core NATS by default (the
 * delivery resolves after a flush, i.e. the server has the message); with
 * `jetstream: true` it publishes to JetStream with `Nats-Msg-Id` set to the
 * message_id — the stream drops redeliveries inside its duplicate window —
 * and resolves on the PubAck. One connection per named connection.
 */
import { jetstream } from "@nats-io/jetstream";
import {
  connect,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
} from "@nats-io/transport-node";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { natsConnectionSchema } from "../config/connection-types.js";
import { parseConfig } from "../config/parse.js";
import { boolLike, secondsLike } from "../config/values.js";
import { relayHeaderPairs } from "../message/envelope.js";
import { withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { sharedClient } from "../shared-connections.js";

/** `module-config` of `nats`. */
export const natsOptionsSchema = z.strictObject({
  /** Subject to publish on (no wildcards). */
  subject: z
    .string()
    .regex(
      /^[^\s*>.]+(\.[^\s*>.]+)*$/,
      "expected a subject like 'webhooks.stripe' without wildcards",
    ),
  /** Publish to JetStream and wait for the PubAck. @default false */
  jetstream: boolLike.default(false),
  /** With `jetstream`: the stream that must store the message (checked by the server). */
  stream: z.string().min(1).optional(),
  /** Seconds to wait for the flush / PubAck. @default 10 */
  timeout: secondsLike.default(10),
});

/** NATS headers for `message`: request headers (repeats kept) plus relay metadata. */
export function natsHeadersFor(message: WebhookMessage): MsgHdrs {
  const h = natsHeaders();
  for (const { name, value } of message.headers) h.append(name, value);
  for (const [name, value] of relayHeaderPairs(message)) h.set(name, value);
  return h;
}

/** One NATS connection, opened on demand and reopened when it closed for good. */
class SharedNatsConnection {
  #connection: Promise<NatsConnection> | undefined;

  constructor(
    private readonly settings: z.output<typeof natsConnectionSchema>,
    private readonly onError: (reason: string) => void,
  ) {}

  get(): Promise<NatsConnection> {
    if (this.#connection === undefined) {
      const s = this.settings;
      const servers = s.servers ?? `${s.host}:${s.port}`;
      const opening = connect({
        servers,
        name: s.name,
        timeout: Math.round(s.connect_timeout * 1000),
        maxReconnectAttempts: -1,
        ...(s.user === undefined ? {} : { user: s.user }),
        ...(s.pass === undefined ? {} : { pass: s.pass }),
        ...(s.token === undefined ? {} : { token: s.token }),
      });
      opening.then(
        (nc) => {
          nc.closed().then((error) => {
            if (error) this.onError(error.message);
            if (this.#connection === opening) this.#connection = undefined;
          });
        },
        () => {
          if (this.#connection === opening) this.#connection = undefined;
        },
      );
      this.#connection = opening;
    }
    return this.#connection;
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    try {
      await (await connection).drain();
    } catch {
      // Never connected or already closed.
    }
  }
}

function createNats(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(natsOptionsSchema, build.context.moduleConfig, build.location);
  const settings = natsConnectionSchema.parse(build.connection!.settings);
  const timeoutMs = Math.round(options.timeout * 1000);
  const shared = sharedClient(
    build,
    "nats",
    (reportError) => new SharedNatsConnection(settings, reportError),
    (held) => held.close(),
  );

  return createSendingModule({
    name: "nats",
    prepare: natsHeadersFor,
    async send(headers, message) {
      const nc = await shared().get();
      if (!options.jetstream) {
        nc.publish(options.subject, message.body, { headers });
        await withTimeout(nc.flush(), timeoutMs, "nats flush");
        return;
      }
      await jetstream(nc).publish(options.subject, message.body, {
        msgID: message.messageId,
        headers,
        timeout: timeoutMs,
        ...(options.stream === undefined ? {} : { expect: { streamName: options.stream } }),
      });
    },
  });
}

/** Registry entry of `nats`. */
export const natsModule: ModuleDefinition = {
  name: "nats",
  aliases: ["nats_jetstream", "jetstream"],
  connectionTypes: ["nats"],
  connectionRequired: true,
  create: createNats,
};
