/**
 * `s3`: stores each message as one object. The object key is `prefix` +
 * `key_pattern`, which always contains the message_id, so a redelivery
 * overwrites the same object instead of adding one. The body is the
 * original bytes (or the JSON envelope with headers); relay metadata goes
 * into `x-amz-meta-*`. Works with S3-compatible servers through
 * `endpoint_url` + `force_path_style` on the `aws` connection.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import type { WebhookMessage } from "../../../../gen/webhookconnect/v1/message_pb.js";
import { childLocation, configError, parseConfig } from "../../config/parse.js";
import { boolLike, secondsLike } from "../../config/values.js";
import { decodeBody, receivedAt, relayEnvelope } from "../../message/envelope.js";
import type { ModuleBuildContext, ModuleDefinition } from "../../module-definition.js";
import type { OutputModule } from "../../output-module.js";
import { createSendingModule } from "../../sending-module.js";
import { sharedClient } from "../../shared-connections.js";
import { fileNameFor } from "../save-to-disk.js";
import { awsClientOptions, awsFailure, credentialsProblem } from "./client-config.js";

/** `module-config` of `s3`. */
export const s3OptionsSchema = z.strictObject({
  /** Bucket name. */
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "expected an S3 bucket name (3-63 chars a-z 0-9 . -)",
    ),
  /** Key prefix, e.g. `webhooks/`. @default "" */
  prefix: z
    .string()
    .max(512)
    .regex(/^(?!\/)[A-Za-z0-9!_.*'()/-]*$/, "expected key characters, no leading '/'")
    .default(""),
  /**
   * Key after the prefix. Placeholders as in `save_to_disk`: `{message_id}`
   * (required), `{webhook_id}`, `{timestamp}`, `{date}`.
   * @default "{webhook_id}/{date}/{message_id}"
   */
  key_pattern: z.string().min(1).max(512).default("{webhook_id}/{date}/{message_id}"),
  /** Appended when the key has no extension. @default ".json" (json), ".bin" (blob) */
  file_extension: z
    .string()
    .regex(/^(\.[A-Za-z0-9]{1,16})?$/, "expected an extension like '.json'")
    .optional(),
  /** Store the JSON envelope (metadata, headers, payload) instead of the body bytes. @default false */
  include_headers: boolLike.default(false),
  /** Storage class, e.g. `STANDARD_IA`. @default the bucket's default */
  storage_class: z
    .string()
    .regex(/^[A-Z_]{2,32}$/, "expected a storage class like STANDARD_IA")
    .optional(),
  /** Seconds for one PutObject, SDK retries included. @default 30 */
  timeout: secondsLike.default(30),
});
/** Parsed `s3` options. */
export type S3Options = z.output<typeof s3OptionsSchema>;

/** S3 errors caused by the message itself. */
const PERMANENT = new Set(["EntityTooLarge", "KeyTooLongError"]);

/** The object key of `message`: prefix + pattern (placeholders filled) + extension. */
export function objectKeyFor(
  message: WebhookMessage,
  options: S3Options,
  extension: string,
): string {
  return `${options.prefix}${fileNameFor(message, options.key_pattern, extension)}`;
}

function validatePattern(pattern: string, build: ModuleBuildContext): void {
  const at = childLocation(build.location, "key_pattern");
  if (!pattern.includes("{message_id}") && !pattern.includes("{uuid}")) {
    configError(at, "must contain {message_id} so redeliveries overwrite, not duplicate");
  }
  const unknown = [...pattern.matchAll(/\{([a-z_]+)\}/g)]
    .map((m) => m[1]!)
    .find((key) => !["message_id", "uuid", "webhook_id", "timestamp", "date"].includes(key));
  if (unknown !== undefined) configError(at, `unknown placeholder {${unknown}}`);
  if (pattern.startsWith("/") || pattern.split("/").some((part) => part === ".." || part === "")) {
    configError(at, "must not start with '/' or contain empty or '..' segments");
  }
}

function createS3(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(s3OptionsSchema, build.context.moduleConfig, build.location);
  validatePattern(options.key_pattern, build);
  const connection = build.connection!;
  const { parsed, options: clientOptions } = awsClientOptions(connection.settings);
  const problem = credentialsProblem(parsed);
  if (problem !== undefined)
    configError(childLocation(connection.location, "access_key_id"), problem);
  const extension =
    options.file_extension ?? (build.context.dataType === "blob" ? ".bin" : ".json");
  const timeoutMs = Math.round(options.timeout * 1000);
  const client = sharedClient(
    build,
    "s3",
    () =>
      new S3Client({
        ...clientOptions,
        forcePathStyle: parsed.force_path_style,
        // Plain Content-MD5-free uploads that S3-compatible servers accept too.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      }),
    async (created) => created.destroy(),
  );

  return createSendingModule({
    name: "s3",
    prepare: (message) =>
      options.include_headers
        ? Buffer.from(
            JSON.stringify(
              relayEnvelope(message, decodeBody(message, build.context.dataType), true),
            ),
          )
        : Buffer.from(message.body),
    send: (body, message) =>
      client().send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: objectKeyFor(message, options, extension),
          Body: body,
          ContentType: options.include_headers
            ? "application/json"
            : message.contentType || "application/octet-stream",
          Metadata: {
            "message-id": message.messageId,
            "webhook-id": message.webhookId,
            "received-at": receivedAt(message).toISOString(),
          },
          ...(options.storage_class === undefined
            ? {}
            : { StorageClass: options.storage_class as never }),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      ),
    failure: (error) => awsFailure("s3 PutObject", error, PERMANENT),
  });
}

/** Registry entry of `s3`. */
export const s3Module: ModuleDefinition = {
  name: "s3",
  aliases: [],
  connectionTypes: ["aws"],
  connectionRequired: true,
  create: createS3,
};
