/**
 * `mqtt`: publishes each message to `topic_prefix/topic` with the
 * configured QoS and retain flag — the JSON envelope by default, or the
 * raw body with `format: "raw"`. With QoS 1/2 the delivery resolves after
 * the broker's PUBACK/PUBCOMP. On MQTT 5 the relay metadata also travels
 * as user properties and the content type as a property. One client per
 * named connection; while it is disconnected deliveries fail (retry)
 * instead of piling up in an offline queue.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from "mqtt";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { type MqttConnection, mqttConnectionSchema } from "../config/connection-types.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, intLike, nonEmpty, secondsLike } from "../config/values.js";
import { publishPayload, relayMetadata } from "../message/envelope.js";
import { withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { sharedClient } from "../shared-connections.js";

/** `module-config` of `mqtt`. */
export const mqttOptionsSchema = z.strictObject({
  /** Topic to publish to (no wildcards, not starting with `$`). */
  topic: nonEmpty,
  /** Prepended as `prefix/topic`. */
  topic_prefix: z.string().optional(),
  /** 0, 1 or 2. @default 1 */
  qos: intLike.pipe(z.union([z.literal(0), z.literal(1), z.literal(2)])).default(1),
  /** Retain flag. @default false */
  retained: boolLike.default(false),
  /** Alias of `retained`. */
  retain: boolLike.optional(),
  /** `json` (envelope) or `raw` (body bytes). @default "json" */
  format: z.enum(["json", "raw"]).default("json"),
  /** Include request headers in the envelope. @default true */
  include_headers: boolLike.default(true),
  /** Seconds to wait for the connection and the acknowledgement. @default 10 */
  timeout: secondsLike.default(10),
});

/** Validates a publish topic. */
export function checkTopic(topic: string): string | undefined {
  if (/[+#]/.test(topic)) return "must not contain wildcards (+ or #)";
  if (topic.startsWith("$")) return "must not start with '$' (reserved)";
  if (topic.includes("//")) return "must not contain empty levels ('//')";
  if (topic.includes("\u0000")) return "must not contain NUL";
  if (Buffer.byteLength(topic) > 65_535) return "too long";
  return undefined;
}

function clientOptions(s: MqttConnection): IClientOptions {
  const options: IClientOptions = {
    host: s.host,
    port: s.port ?? (s.tls ? 8883 : 1883),
    protocol: s.tls ? "mqtts" : "mqtt",
    protocolVersion: s.mqtt_version === "3.1.1" ? 4 : 5,
    clientId: s.client_id ?? `webhook-connect-${randomBytes(6).toString("hex")}`,
    keepalive: s.keepalive,
    connectTimeout: Math.round(s.connect_timeout * 1000),
    reconnectPeriod: 1_000,
    queueQoSZero: false,
    clean: true,
  };
  if (s.username !== undefined) options.username = s.username;
  if (s.password !== undefined) options.password = s.password;
  if (s.tls) {
    options.rejectUnauthorized = !s.tls_insecure;
    if (s.tls_ca_cert_file !== undefined) options.ca = readFileSync(s.tls_ca_cert_file);
    if (s.tls_cert_file !== undefined) options.cert = readFileSync(s.tls_cert_file);
    if (s.tls_key_file !== undefined) options.key = readFileSync(s.tls_key_file);
  }
  return options;
}

/** Resolves once `client` is connected; rejects after `ms`. */
function connected(client: MqttClient, ms: number): Promise<void> {
  if (client.connected) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => client.once("connect", () => resolve())),
    ms,
    "mqtt: not connected to the broker",
  );
}

function createMqtt(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(mqttOptionsSchema, build.context.moduleConfig, build.location);
  const prefix = options.topic_prefix?.replace(/\/+$/, "");
  const topic =
    prefix === undefined || prefix === "" ? options.topic : `${prefix}/${options.topic}`;
  const problem = checkTopic(topic);
  if (problem !== undefined) configError(childLocation(build.location, "topic"), problem);
  const settings = mqttConnectionSchema.parse(build.connection!.settings);
  const v5 = settings.mqtt_version !== "3.1.1";
  const timeoutMs = Math.round(options.timeout * 1000);
  const client = sharedClient(
    build,
    "mqtt",
    (reportError) => {
      const created = mqtt.connect(clientOptions(settings));
      created.on("error", (error) => reportError(error.message));
      return created;
    },
    (created) => created.endAsync().then(() => undefined),
  );

  /** The publish options of `message`: QoS, retain and, on MQTT 5, its properties. */
  function publishOptions(message: WebhookMessage): IClientPublishOptions {
    const publish: IClientPublishOptions = {
      qos: options.qos,
      retain: options.retain ?? options.retained,
    };
    if (v5) {
      const metadata = relayMetadata(message);
      publish.properties = {
        contentType:
          options.format === "raw"
            ? message.contentType || "application/octet-stream"
            : "application/json",
        userProperties: {
          message_id: metadata.message_id,
          webhook_id: metadata.webhook_id,
          received_at: metadata.received_at,
        },
      };
    }
    return publish;
  }

  return createSendingModule({
    name: "mqtt",
    prepare: (message) => ({
      payload: publishPayload(
        message,
        options.format,
        build.context.dataType,
        options.include_headers,
      ),
      publish: publishOptions(message),
    }),
    async send({ payload, publish }) {
      const c = client();
      await connected(c, timeoutMs);
      await withTimeout(c.publishAsync(topic, payload, publish), timeoutMs, "mqtt publish");
    },
  });
}

/** Registry entry of `mqtt`. */
export const mqttModule: ModuleDefinition = {
  name: "mqtt",
  aliases: [],
  connectionTypes: ["mqtt"],
  connectionRequired: true,
  create: createMqtt,
};
