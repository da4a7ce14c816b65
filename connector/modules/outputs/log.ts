/**
 * `log`: writes each message to stdout — one JSON line, or a readable block
 * with `pretty_print`. Secret-looking keys are redacted in the output
 * (`redact_sensitive`, on by default); the delivery resolves once the write
 * was flushed to the stream.
 */
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { parseConfig } from "../config/parse.js";
import { boolLike, intLike } from "../config/values.js";
import { decodeBody, headersObject, relayMetadata } from "../message/envelope.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../output-module.js";
import { redactSensitive } from "./redact.js";

/** `module-config` of `log`. */
export const logOptionsSchema = z.strictObject({
  /** Multi-line, indented output. @default false */
  pretty_print: boolLike.default(false),
  /** Replace values of secret-looking keys by `[REDACTED]` in the output. @default true */
  redact_sensitive: boolLike.default(true),
  /** Print the request headers. @default true */
  include_headers: boolLike.default(true),
  /** Longest payload rendering in characters before it is cut. @default 10000 */
  max_length: intLike.pipe(z.number().min(100)).default(10_000),
});

const RULE = "=".repeat(80);

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…(${text.length - max} more characters)`;
}

/** Renders one message as the `log` module prints it. */
export function renderLogRecord(
  message: WebhookMessage,
  dataType: "json" | "blob",
  options: z.output<typeof logOptionsSchema>,
): string {
  const body = decodeBody(message, dataType);
  let payload: unknown =
    body.kind === "binary"
      ? { binary_bytes: body.value.byteLength }
      : options.redact_sensitive
        ? redactSensitive(body.value)
        : body.value;
  let headers: unknown = options.include_headers ? headersObject(message) : undefined;
  if (options.redact_sensitive && headers !== undefined) headers = redactSensitive(headers);
  const metadata = relayMetadata(message);
  if (!options.pretty_print) {
    const rendered = JSON.stringify(payload);
    if (rendered !== undefined && rendered.length > options.max_length) {
      payload = truncate(rendered, options.max_length);
    }
    return `${JSON.stringify({ event: "webhook", ...metadata, headers, payload })}\n`;
  }
  const lines = [RULE, "WEBHOOK RECEIVED", RULE];
  lines.push(`webhook_id:  ${metadata.webhook_id}`);
  lines.push(`message_id:  ${metadata.message_id}`);
  lines.push(`received_at: ${metadata.received_at}`);
  lines.push(`attempt:     ${metadata.delivery_attempt}`);
  if (headers !== undefined) lines.push("", "Headers:", JSON.stringify(headers, null, 2));
  const rendered = JSON.stringify(payload, null, 2) ?? "";
  lines.push("", "Payload:", truncate(rendered, options.max_length), RULE);
  return `${lines.join("\n")}\n`;
}

function createLogModule(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(logOptionsSchema, build.context.moduleConfig, build.location);
  const stream = build.stdout;
  return {
    name: "log",
    deliver(message) {
      const text = renderLogRecord(message, build.context.dataType, options);
      return new Promise<void>((resolve, reject) => {
        stream.write(text, (error) => {
          if (error === null || error === undefined) resolve();
          else
            reject(
              new ModuleDeliveryError(`log: write failed: ${error.message}`, {
                retryable: true,
                cause: error,
              }),
            );
        });
      });
    },
    async close() {},
  };
}

/** Registry entry of `log`. */
export const logModule: ModuleDefinition = {
  name: "log",
  aliases: [],
  connectionTypes: [],
  connectionRequired: false,
  create: createLogModule,
};
