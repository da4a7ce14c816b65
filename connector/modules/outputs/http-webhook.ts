/**
 * `http_webhook`: forwards the original body bytes to an HTTP endpoint
 * through the HTTP-mode deliverer — one request builder, one hop-by-hop
 * list, one response classification for both paths: 2xx succeeds; 3xx,
 * 408, 429, 5xx, timeouts and network errors are retryable (with the
 * target's Retry-After passed on); any other status is permanent. What is
 * particular to the module is its config and which original headers it
 * offers: by default only the Content-Type.
 */
import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import {
  type Header,
  HeaderSchema,
  type WebhookMessage,
} from "../../../gen/webhookconnect/v1/message_pb.js";
import type { TargetConfig } from "../../config/index.js";
import { createHttpTargetDeliverer } from "../../delivery/index.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, nonEmpty, secondsLike } from "../config/values.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../output-module.js";

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "invalid header name");
const headerValue = z
  .string()
  .regex(/^[^\r\n\0]*$/, "header values must not contain CR, LF or NUL");

/** `module-config` of `http_webhook`. */
export const httpWebhookOptionsSchema = z.strictObject({
  /** Target URL, http or https. */
  url: nonEmpty,
  /** `POST`, `PUT` or `PATCH`. @default "POST" */
  method: z.enum(["POST", "PUT", "PATCH"]).default("POST"),
  /** Extra headers; they override forwarded ones. @default {} */
  headers: z.record(headerName, headerValue).default({}),
  /** Seconds for the whole request. @default 30 */
  timeout: secondsLike.default(30),
  /** Forward the original request headers (hop-by-hop headers dropped). @default false */
  forward_headers: boolLike.default(false),
  /** With `forward_headers`: only these header names (case-insensitive). */
  allowed_headers: z.array(headerName).optional(),
  /** When set, the URL's host must be one of these. */
  allowed_hosts: z.array(nonEmpty).optional(),
});

type HttpWebhookOptions = z.output<typeof httpWebhookOptionsSchema>;

/** The module's config as an HTTP-mode target. */
export function httpWebhookTarget(url: URL, options: HttpWebhookOptions): TargetConfig {
  return {
    url: url.toString(),
    method: options.method,
    headers: options.headers,
    timeout_seconds: options.timeout,
    // One attempt per call: a chain item's `retry` block and redelivery do the retrying.
    retry_enabled: false,
    retry_max_attempts: 1,
    retry_delay_seconds: 0,
    retry_backoff_multiplier: 1,
    // The module posts to its URL exactly as configured.
    forward_query: false,
    // Module mode does not know the scheme senders used; a sender's own X-Forwarded-* may pass.
    forwarded_headers: false,
  };
}

/**
 * `message` with the original headers the module offers for forwarding:
 * all of them with `forward_headers`, only `allowed_headers` when given,
 * and always the Content-Type (the message's `content_type` when no
 * header carries it). Hop-by-hop headers are dropped later, by the
 * HTTP-mode request builder.
 */
export function offeredMessage(
  message: WebhookMessage,
  options: HttpWebhookOptions,
): WebhookMessage {
  const allowed = options.allowed_headers?.map((name) => name.toLowerCase());
  const offered = (lower: string) =>
    lower === "content-type" ||
    (options.forward_headers && (allowed === undefined || allowed.includes(lower)));
  const kept: Header[] = message.headers.filter((h) => offered(h.name.toLowerCase()));
  const hasContentType = kept.some((h) => h.name.toLowerCase() === "content-type");
  if (hasContentType && kept.length === message.headers.length) return message;
  if (!hasContentType && message.contentType !== "") {
    kept.push(create(HeaderSchema, { name: "Content-Type", value: message.contentType }));
  }
  return { ...message, headers: kept };
}

function createHttpWebhook(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(httpWebhookOptionsSchema, build.context.moduleConfig, build.location);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    configError(childLocation(build.location, "url"), `not a valid URL: ${options.url}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    configError(childLocation(build.location, "url"), "must be an http:// or https:// URL");
  }
  if (options.allowed_hosts !== undefined && !options.allowed_hosts.includes(url.hostname)) {
    configError(
      childLocation(build.location, "url"),
      `host '${url.hostname}' is not in allowed_hosts`,
    );
  }
  const target = httpWebhookTarget(url, options);
  const deliverer = createHttpTargetDeliverer({ defaultTarget: target });
  // Callers that pass no signal (tests, replays) get one that never aborts.
  const never = new AbortController().signal;
  const what = `http_webhook: ${options.method} ${target.url}`;

  return {
    name: "http_webhook",
    async deliver(message, signal) {
      const outcome = await deliverer.deliver(offeredMessage(message, options), signal ?? never);
      if (outcome.kind === "ack") return;
      throw new ModuleDeliveryError(`${what}: ${outcome.reason}`, {
        retryable: outcome.kind === "retry",
        retryAfterMs: outcome.kind === "retry" ? outcome.delayMs : undefined,
      });
    },
    async close() {
      await deliverer.close();
    },
  };
}

/** Registry entry of `http_webhook`. */
export const httpWebhookModule: ModuleDefinition = {
  name: "http_webhook",
  aliases: ["http-webhook", "http"],
  connectionTypes: [],
  connectionRequired: false,
  create: createHttpWebhook,
};
