/**
 * `http_webhook`: forwards the original body bytes to an HTTP endpoint with
 * the original Content-Type, relay headers (`X-Webhook-Message-Id`,
 * `X-Webhook-Id`, `X-Webhook-Attempt`) and optionally the original request
 * headers. 2xx succeeds; 408, 429, 5xx, timeouts and network errors are
 * retryable; any other status is permanent.
 */
import { Agent, request } from "undici";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, nonEmpty, secondsLike } from "../config/values.js";
import { toDeliveryError } from "../message/failure.js";
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

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "expect",
]);

/** The request headers sent for `message`, as ordered name/value pairs. */
export function outgoingHeaders(
  message: WebhookMessage,
  options: z.output<typeof httpWebhookOptionsSchema>,
): Array<[string, string]> {
  const custom = new Set(Object.keys(options.headers).map((name) => name.toLowerCase()));
  const allowed = options.allowed_headers?.map((name) => name.toLowerCase());
  const out: Array<[string, string]> = [];
  const relay: Array<[string, string]> = [
    ["X-Webhook-Message-Id", message.messageId],
    ["X-Webhook-Id", message.webhookId],
    ["X-Webhook-Attempt", String(message.deliveryAttempt)],
  ];
  const taken = new Set([...custom, ...relay.map(([name]) => name.toLowerCase())]);
  let hasContentType = false;
  if (options.forward_headers) {
    for (const { name, value } of message.headers) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || taken.has(lower)) continue;
      if (allowed !== undefined && !allowed.includes(lower) && lower !== "content-type") continue;
      if (lower === "content-type") hasContentType = true;
      out.push([name, value]);
    }
  }
  if (!hasContentType && !custom.has("content-type") && message.contentType !== "") {
    out.push(["Content-Type", message.contentType]);
  }
  out.push(...relay);
  for (const [name, value] of Object.entries(options.headers)) out.push([name, value]);
  return out;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
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
  const timeoutMs = Math.round(options.timeout * 1000);
  const agent = new Agent({ connect: { timeout: timeoutMs }, keepAliveTimeout: 10_000 });
  const target = url.toString();

  return {
    name: "http_webhook",
    async deliver(message) {
      const headers = outgoingHeaders(message, options).flat();
      let status: number;
      try {
        const response = await request(target, {
          method: options.method,
          headers,
          body: message.body,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.statusCode;
        await response.body.dump();
      } catch (error) {
        throw toDeliveryError(`http_webhook: ${options.method} ${target} failed`, error, true);
      }
      if (status >= 200 && status < 300) return;
      throw new ModuleDeliveryError(
        `http_webhook: ${options.method} ${target} answered ${status}`,
        {
          retryable: isRetryableStatus(status),
        },
      );
    },
    async close() {
      await agent.close();
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
