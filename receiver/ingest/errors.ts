/**
 * Errors the ingest endpoint answers with. Each carries a stable code from
 * receiver/errors.ts; its message is the human text of the wire body and
 * never contains secrets or body bytes.
 */
import { WebhookConnectError } from "../errors.js";

/** The methods the ingest endpoint accepts, for the `Allow` header. */
export const INGEST_METHODS = ["POST", "PUT", "PATCH"] as const;

/** 405: the request used a method other than POST, PUT or PATCH. */
export class MethodNotAllowedError extends WebhookConnectError {
  constructor(method: string) {
    super("WC_ERR_INGEST_METHOD", `method ${method} is not allowed; use POST, PUT or PATCH`);
    this.name = "MethodNotAllowedError";
  }
}

/**
 * 400: a GET to a webhook whose provider handshake uses GET, without what
 * that handshake carries. GET is only ever answered as a handshake.
 */
export class HandshakeExpectedError extends WebhookConnectError {
  constructor(provider: string, expected: string) {
    super(
      "WC_ERR_INGEST_HANDSHAKE_EXPECTED",
      `GET is only answered as the ${provider} handshake: expected ${expected}`,
    );
    this.name = "HandshakeExpectedError";
  }
}

/** 400: the webhook id in the path is not a valid name. */
export class InvalidWebhookIdError extends WebhookConnectError {
  constructor() {
    super("WC_ERR_INGEST_BAD_WEBHOOK_ID", "invalid webhook id");
    this.name = "InvalidWebhookIdError";
  }
}

/** 404: no webhook with this id is configured. */
export class UnknownWebhookError extends WebhookConnectError {
  constructor(webhookId: string) {
    super("WC_ERR_INGEST_UNKNOWN_WEBHOOK", `unknown webhook '${webhookId}'`);
    this.name = "UnknownWebhookError";
  }
}

/** 501: the webhook is configured for another module; this receiver only relays. */
export class NotRelayedError extends WebhookConnectError {
  constructor(webhookId: string, module: string | undefined) {
    const what = module === undefined ? "a chain" : `module '${module}'`;
    super(
      "WC_ERR_INGEST_NOT_RELAYED",
      `webhook '${webhookId}' is configured for ${what}; this receiver only relays webhook_connect webhooks`,
    );
    this.name = "NotRelayedError";
  }
}

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
export class UnsupportedContentError extends WebhookConnectError {
  constructor(message: string) {
    super("WC_ERR_INGEST_UNSUPPORTED_CONTENT", message);
    this.name = "UnsupportedContentError";
  }
}

/** 400: the body of a `json` webhook is not UTF-8 JSON. */
export class MalformedJsonError extends WebhookConnectError {
  constructor(message: string) {
    super("WC_ERR_INGEST_MALFORMED_JSON", message);
    this.name = "MalformedJsonError";
  }
}

/** 400: the body of a `json` webhook nests arrays and objects deeper than the limit. */
export class JsonTooDeepError extends WebhookConnectError {
  constructor(maxDepth: number) {
    super(
      "WC_ERR_INGEST_JSON_TOO_DEEP",
      `request body nests JSON arrays and objects deeper than ${maxDepth} levels`,
    );
    this.name = "JsonTooDeepError";
  }
}

/** 401: an authentication check failed. The wire message is deliberately generic. */
export class AuthenticationFailedError extends WebhookConnectError {
  constructor() {
    super("WC_ERR_AUTH_FAILED", "authentication failed");
    this.name = "AuthenticationFailedError";
  }
}

/** 403: the sender is authenticated or identified but not allowed (e.g. an IP allow-list). */
export class ForbiddenError extends WebhookConnectError {
  constructor() {
    super("WC_ERR_AUTH_FORBIDDEN", "access denied");
    this.name = "ForbiddenError";
  }
}

/** 429: the webhook's rate limit is exhausted. */
export class RateLimitedError extends WebhookConnectError {
  constructor(retryAfterSeconds: number) {
    super("WC_ERR_RATE_LIMITED", "rate limit exceeded", { retryAfterSeconds });
    this.name = "RateLimitedError";
  }
}

/** 400: the JSON body does not match the webhook's `json_schema`. */
export class SchemaValidationError extends WebhookConnectError {
  /** @param detail sender-safe detail from the validator, e.g. `/data/id: must be integer` */
  constructor(detail?: string) {
    super(
      "WC_ERR_INGEST_SCHEMA",
      detail === undefined || detail === ""
        ? "request body does not match the webhook's JSON schema"
        : `request body does not match the webhook's JSON schema: ${detail}`,
    );
    this.name = "SchemaValidationError";
  }
}

/**
 * 503: a check could not be made because a service it needs (token
 * introspection, reCAPTCHA, the shared rate-limit store) is unreachable.
 * The sender retries later; nothing was stored and nothing let through.
 */
export class VerifierUnavailableError extends WebhookConnectError {
  constructor(retryAfterSeconds: number) {
    super("WC_ERR_AUTH_UNAVAILABLE", "authentication service unavailable, retry later", {
      retryAfterSeconds,
    });
    this.name = "VerifierUnavailableError";
  }
}

/** 500: an unexpected failure; the cause goes to the event, never onto the wire. */
export class InternalIngestError extends WebhookConnectError {
  constructor(cause: unknown) {
    super("WC_ERR_INTERNAL", "internal error; the webhook was not stored", { cause });
    this.name = "InternalIngestError";
  }
}

/** The client went away before its request was complete; nothing is answered. */
export class RequestAbortedError extends Error {
  constructor(message = "the client aborted the request", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RequestAbortedError";
  }
}
