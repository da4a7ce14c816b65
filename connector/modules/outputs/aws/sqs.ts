/**
 * `aws_sqs`: sends each message to an SQS queue with SendMessage. The body
 * is the JSON envelope (SQS bodies are text) or, with `format: "raw"`, the
 * original body when it is text SQS accepts. Relay metadata travels as
 * message attributes. On a FIFO queue (`….fifo`) the message_id is the
 * MessageDeduplicationId, so SQS drops a redelivery inside its 5-minute
 * de-duplication window; the group is `message_group_id` (default: the
 * webhook id, which keeps one webhook's messages in order).
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import type { WebhookMessage } from "../../../../gen/webhookconnect/v1/message_pb.js";
import { childLocation, configError, parseConfig } from "../../config/parse.js";
import { intLike, nonEmpty, secondsLike } from "../../config/values.js";
import { decodeBody, receivedAt, relayEnvelope } from "../../message/envelope.js";
import type { ModuleBuildContext, ModuleDefinition } from "../../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../../output-module.js";
import { createSendingModule } from "../../sending-module.js";
import { sharedClient } from "../../shared-connections.js";
import { awsClientOptions, awsFailure, credentialsProblem } from "./client-config.js";

/** `module-config` of `aws_sqs`. */
export const sqsOptionsSchema = z.strictObject({
  /** Queue URL, e.g. `https://sqs.eu-west-1.amazonaws.com/123456789012/webhooks`. */
  queue_url: z.url({ protocol: /^https?$/, error: "expected the queue's http(s) URL" }),
  /** `json` (envelope with headers) or `raw` (the body, when it is valid text). @default "json" */
  format: z.enum(["json", "raw"]).default("json"),
  /** FIFO queues: MessageGroupId. @default the webhook id */
  message_group_id: nonEmpty.max(128).optional(),
  /** Standard queues: seconds before the message becomes visible, 0–900. @default 0 */
  delay_seconds: intLike.pipe(z.number().min(0).max(900)).default(0),
  /** Seconds for one SendMessage, SDK retries included. @default 30 */
  timeout: secondsLike.default(30),
});
/** Parsed `aws_sqs` options. */
export type SqsOptions = z.output<typeof sqsOptionsSchema>;

/** SQS errors caused by the message itself. */
const PERMANENT = new Set(["InvalidMessageContents", "InvalidParameterValue"]);

/** Characters SQS accepts in a body (XML 1.0 characters). */
const SQS_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** The SendMessage input for `message` (without the queue URL). */
export function sqsMessageFor(
  message: WebhookMessage,
  options: SqsOptions,
  dataType: "json" | "blob",
): { body: string; attributes: Record<string, { DataType: "String"; StringValue: string }> } {
  let body: string;
  if (options.format === "json") {
    body = JSON.stringify(relayEnvelope(message, decodeBody(message, dataType), true));
  } else {
    const decoded = decodeBody(message, "json");
    body = decoded.kind === "binary" ? "" : Buffer.from(message.body).toString("utf8");
    if (decoded.kind === "binary" || !SQS_TEXT.test(body)) {
      throw new ModuleDeliveryError(
        "aws_sqs: the body is not text SQS accepts; use format 'json' for binary bodies",
        { retryable: false },
      );
    }
  }
  const attribute = (value: string) => ({ DataType: "String" as const, StringValue: value });
  const attributes: Record<string, { DataType: "String"; StringValue: string }> = {
    message_id: attribute(message.messageId),
    webhook_id: attribute(message.webhookId),
    received_at: attribute(receivedAt(message).toISOString()),
  };
  if (message.contentType !== "") attributes["content_type"] = attribute(message.contentType);
  return { body, attributes };
}

function createSqs(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(sqsOptionsSchema, build.context.moduleConfig, build.location);
  const fifo = new URL(options.queue_url).pathname.endsWith(".fifo");
  if (fifo && options.delay_seconds !== 0) {
    configError(
      childLocation(build.location, "delay_seconds"),
      "FIFO queues take no per-message delay",
    );
  }
  if (!fifo && options.message_group_id !== undefined) {
    configError(
      childLocation(build.location, "message_group_id"),
      "only for FIFO queues (URL ending in .fifo)",
    );
  }
  const connection = build.connection!;
  const { parsed, options: clientOptions } = awsClientOptions(connection.settings);
  const problem = credentialsProblem(parsed);
  if (problem !== undefined)
    configError(childLocation(connection.location, "access_key_id"), problem);
  const timeoutMs = Math.round(options.timeout * 1000);
  const client = sharedClient(
    build,
    "sqs",
    () => new SQSClient({ ...clientOptions }),
    async (created) => created.destroy(),
  );

  return createSendingModule({
    name: "aws_sqs",
    prepare: (message) => sqsMessageFor(message, options, build.context.dataType),
    send: ({ body, attributes }, message) =>
      client().send(
        new SendMessageCommand({
          QueueUrl: options.queue_url,
          MessageBody: body,
          MessageAttributes: attributes,
          ...(fifo
            ? {
                MessageDeduplicationId: message.messageId,
                MessageGroupId: options.message_group_id ?? message.webhookId,
              }
            : { DelaySeconds: options.delay_seconds }),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      ),
    failure: (error) => awsFailure("aws_sqs SendMessage", error, PERMANENT),
  });
}

/** Registry entry of `aws_sqs`. */
export const awsSqsModule: ModuleDefinition = {
  name: "aws_sqs",
  aliases: ["sqs"],
  connectionTypes: ["aws"],
  connectionRequired: true,
  create: createSqs,
};
