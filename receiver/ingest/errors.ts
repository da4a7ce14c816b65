/**
 * Errors the ingest endpoint answers with. Each carries a stable code from
 * receiver/errors.ts; its message is the human text of the wire body and
 * never contains secrets or body bytes. Most differ only in code and
 * message, so they are defined with defineError.
 */
import { defineError, WebhookConnectError } from "../errors.js";

/** The methods the ingest endpoint accepts, for the `Allow` header. */
export const INGEST_METHODS = ["POST", "PUT", "PATCH"] as const;

/** 405: the request used a method other than POST, PUT or PATCH. */
export const MethodNotAllowedError = defineError(
  "MethodNotAllowedError",
  "WC_ERR_INGEST_METHOD",
  (method: string) => `method ${method} is not allowed; use POST, PUT or PATCH`,
);

/**
 * 400: a GET to a webhook whose provider handshake uses GET, without what
 * that handshake carries. GET is only ever answered as a handshake.
 */
export const HandshakeExpectedError = defineError(
  "HandshakeExpectedError",
  "WC_ERR_INGEST_HANDSHAKE_EXPECTED",
  (provider: string, expected: string) =>
    `GET is only answered as the ${provider} handshake: expected ${expected}`,
);

/** 400: the webhook id in the path is not a valid name. */
export const InvalidWebhookIdError = defineError(
  "InvalidWebhookIdError",
  "WC_ERR_INGEST_BAD_WEBHOOK_ID",
  () => "invalid webhook id",
);

/** 404: no webhook with this id is configured. */
export const UnknownWebhookError = defineError(
  "UnknownWebhookError",
  "WC_ERR_INGEST_UNKNOWN_WEBHOOK",
  (webhookId: string) => `unknown webhook '${webhookId}'`,
);

/** 501: the webhook is configured for another module; this receiver only relays. */
export const NotRelayedError = defineError(
  "NotRelayedError",
  "WC_ERR_INGEST_NOT_RELAYED",
  (webhookId: string, module: string | undefined) =>
    `webhook '${webhookId}' is configured for ${module === undefined ? "a chain" : `module '${module}'`}; this receiver only relays webhook_connect webhooks`,
);

/** 413: the body is larger than the channel's `max_message_bytes`. */
export class PayloadTooLargeError extends WebhookConnectError {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super("WC_ERR_INGEST_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`);
    this.name = "PayloadTooLargeError";
    this.limit = limit;
  }
}

/** 415: the Content-Type or Content-Encoding does not fit the webhook's data type. */
export const UnsupportedContentError = defineError(
  "UnsupportedContentError",
  "WC_ERR_INGEST_UNSUPPORTED_CONTENT",
  (message: string) => message,
);

/** 400: the body of a `json` webhook is not UTF-8 JSON. */
export const MalformedJsonError = defineError(
  "MalformedJsonError",
  "WC_ERR_INGEST_MALFORMED_JSON",
  (message: string) => message,
);

/** 400: the body of a `json` webhook nests arrays and objects deeper than the limit. */
export const JsonTooDeepError = defineError(
  "JsonTooDeepError",
  "WC_ERR_INGEST_JSON_TOO_DEEP",
  (maxDepth: number) => `request body nests JSON arrays and objects deeper than ${maxDepth} levels`,
);

/** 401: an authentication check failed. The wire message is deliberately generic. */
export const AuthenticationFailedError = defineError(
  "AuthenticationFailedError",
  "WC_ERR_AUTH_FAILED",
  () => "authentication failed",
);

/** 403: the sender is authenticated or identified but not allowed (e.g. an IP allow-list). */
export const ForbiddenError = defineError(
  "ForbiddenError",
  "WC_ERR_AUTH_FORBIDDEN",
  () => "access denied",
);

/** 429: the webhook's rate limit is exhausted. */
export const RateLimitedError = defineError(
  "RateLimitedError",
  "WC_ERR_RATE_LIMITED",
  (retryAfterSeconds: number) => ({ message: "rate limit exceeded", retryAfterSeconds }),
);

/**
 * 400: the JSON body does not match the webhook's `json_schema`. `detail` is
 * sender-safe detail from the validator, e.g. `/data/id: must be integer`.
 */
export const SchemaValidationError = defineError(
  "SchemaValidationError",
  "WC_ERR_INGEST_SCHEMA",
  (detail?: string) =>
    detail === undefined || detail === ""
      ? "request body does not match the webhook's JSON schema"
      : `request body does not match the webhook's JSON schema: ${detail}`,
);

/**
 * 503: a check could not be made because a service it needs (token
 * introspection, reCAPTCHA, the shared rate-limit store) is unreachable.
 * The sender retries later; nothing was stored and nothing let through.
 */
export const VerifierUnavailableError = defineError(
  "VerifierUnavailableError",
  "WC_ERR_AUTH_UNAVAILABLE",
  (retryAfterSeconds: number) => ({
    message: "authentication service unavailable, retry later",
    retryAfterSeconds,
  }),
);

/** 500: an unexpected failure; the cause goes to the event, never onto the wire. */
export const InternalIngestError = defineError(
  "InternalIngestError",
  "WC_ERR_INTERNAL",
  (cause: unknown) => ({ message: "internal error; the webhook was not stored", cause }),
);

/** The client went away before its request was complete; nothing is answered. */
export class RequestAbortedError extends Error {
  constructor(message = "the client aborted the request", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RequestAbortedError";
  }
}
