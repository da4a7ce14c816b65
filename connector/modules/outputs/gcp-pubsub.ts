/**
 * `gcp_pubsub`: publishes each message to a Google Cloud Pub/Sub topic with
 * the REST `topics.publish` call. `data` is the original body bytes;
 * attributes carry the relay metadata, `message_id` among them, which
 * subscribers use to de-duplicate (Pub/Sub itself assigns its own ids).
 * Against the emulator (`emulator_host`) no credentials are used; against
 * the service a service-account key file provides OAuth tokens.
 */
import { request } from "undici";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { gcpPubsubConnectionSchema } from "../config/connection-types.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { secondsLike } from "../config/values.js";
import { receivedAt } from "../message/envelope.js";
import { toDeliveryError } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../output-module.js";
import { serviceAccountTokenSource, type TokenSource } from "./gcp/service-account-token.js";

const PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub";

/** `module-config` of `gcp_pubsub`. */
export const gcpPubsubOptionsSchema = z.strictObject({
  /** Topic id (in the connection's project). */
  topic: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/, "expected a Pub/Sub topic id")
    .refine((topic) => !topic.startsWith("goog"), "topic ids starting with 'goog' are reserved"),
  /** Ordering key for every message (needs message ordering on the subscription). */
  ordering_key: z.string().min(1).max(1024).optional(),
  /** Seconds for one publish call. @default 30 */
  timeout: secondsLike.default(30),
});
/** Parsed `gcp_pubsub` options. */
export type GcpPubsubOptions = z.output<typeof gcpPubsubOptionsSchema>;

/** The `PubsubMessage` JSON for `message`. */
export function pubsubMessageFor(
  message: WebhookMessage,
  options: GcpPubsubOptions,
): Record<string, unknown> {
  const attributes: Record<string, string> = {
    message_id: message.messageId,
    webhook_id: message.webhookId,
    channel: message.channel,
    received_at: receivedAt(message).toISOString(),
  };
  if (message.contentType !== "") attributes["content_type"] = message.contentType;
  return {
    data: Buffer.from(message.body).toString("base64"),
    attributes,
    ...(options.ordering_key === undefined ? {} : { orderingKey: options.ordering_key }),
  };
}

function statusFailure(status: number, text: string): ModuleDeliveryError {
  // 400 INVALID_ARGUMENT is about this message (size, attributes); a missing
  // topic, credentials or quota are fixed by an operator, so they retry.
  return new ModuleDeliveryError(`gcp_pubsub: publish answered ${status}: ${text.slice(0, 300)}`, {
    retryable: status !== 400,
  });
}

function createGcpPubsub(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(gcpPubsubOptionsSchema, build.context.moduleConfig, build.location);
  const connection = build.connection!;
  const s = gcpPubsubConnectionSchema.parse(connection.settings);
  const emulator = s.emulator_host !== "";
  if (!emulator && s.credentials_file === undefined) {
    configError(
      childLocation(connection.location, "credentials_file"),
      "required unless emulator_host is set",
    );
  }
  const root = emulator ? `http://${s.emulator_host}` : s.endpoint.replace(/\/+$/, "");
  const url = `${root}/v1/projects/${encodeURIComponent(s.project_id)}/topics/${encodeURIComponent(options.topic)}:publish`;
  const timeoutMs = Math.round(options.timeout * 1000);
  const token = (): TokenSource | undefined =>
    emulator
      ? undefined
      : build.shared.acquire(
          `gcp_pubsub:${connection.name}`,
          () => serviceAccountTokenSource(s.credentials_file!, PUBSUB_SCOPE),
          async () => {},
        );

  return {
    name: "gcp_pubsub",
    async deliver(message) {
      const body = JSON.stringify({ messages: [pubsubMessageFor(message, options)] });
      let status: number;
      let text: string;
      try {
        const source = token();
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (source !== undefined) headers["authorization"] = `Bearer ${await source()}`;
        const response = await request(url, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        throw toDeliveryError("gcp_pubsub", error, true);
      }
      if (status !== 200) throw statusFailure(status, text);
    },
    async close() {},
  };
}

/** Registry entry of `gcp_pubsub`. */
export const gcpPubsubModule: ModuleDefinition = {
  name: "gcp_pubsub",
  aliases: ["pubsub"],
  connectionTypes: ["gcp_pubsub"],
  connectionRequired: true,
  create: createGcpPubsub,
};
