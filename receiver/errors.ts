/**
 * Error classes of the receiver. Every error that can reach a client has a
 * stable code (`WC_ERR_<AREA>_<WHAT>`), listed in docs/errors.md; one table
 * maps codes to HTTP status, one to Connect codes. `cause` is for logs only.
 */
import { Code } from "@connectrpc/connect";

/** Every error code the receiver can put on the wire. */
export const errorCodes = {
  WC_ERR_CONFIG_INVALID: { http: 500, connect: Code.Internal, wire: "config_invalid" },
  WC_ERR_INGEST_UNKNOWN_WEBHOOK: { http: 404, connect: Code.NotFound, wire: "not_found" },
  WC_ERR_INGEST_BAD_WEBHOOK_ID: { http: 400, connect: Code.InvalidArgument, wire: "bad_request" },
  WC_ERR_INGEST_METHOD: { http: 405, connect: Code.Unimplemented, wire: "method_not_allowed" },
  WC_ERR_INGEST_MALFORMED_JSON: {
    http: 400,
    connect: Code.InvalidArgument,
    wire: "malformed_json",
  },
  WC_ERR_INGEST_JSON_TOO_DEEP: {
    http: 400,
    connect: Code.InvalidArgument,
    wire: "json_too_deep",
  },
  WC_ERR_INGEST_UNSUPPORTED_CONTENT: {
    http: 415,
    connect: Code.InvalidArgument,
    wire: "unsupported_media_type",
  },
  WC_ERR_INGEST_TOO_LARGE: {
    http: 413,
    connect: Code.ResourceExhausted,
    wire: "payload_too_large",
  },
  WC_ERR_INGEST_NOT_RELAYED: {
    http: 501,
    connect: Code.Unimplemented,
    wire: "not_relayed",
  },
  WC_ERR_INGEST_BAD_ENCODING: { http: 400, connect: Code.InvalidArgument, wire: "bad_encoding" },
  WC_ERR_INGEST_HANDSHAKE_EXPECTED: {
    http: 400,
    connect: Code.InvalidArgument,
    wire: "handshake_expected",
  },
  WC_ERR_INGEST_SCHEMA: { http: 400, connect: Code.InvalidArgument, wire: "schema_validation" },
  WC_ERR_AUTH_FAILED: { http: 401, connect: Code.Unauthenticated, wire: "unauthorized" },
  WC_ERR_AUTH_UNAVAILABLE: {
    http: 503,
    connect: Code.Unavailable,
    wire: "auth_unavailable",
  },
  WC_ERR_AUTH_FORBIDDEN: { http: 403, connect: Code.PermissionDenied, wire: "forbidden" },
  WC_ERR_RATE_LIMITED: { http: 429, connect: Code.ResourceExhausted, wire: "rate_limited" },
  WC_ERR_AUTH_THROTTLED: {
    http: 429,
    connect: Code.ResourceExhausted,
    wire: "too_many_auth_failures",
  },
  WC_ERR_BUFFER_FULL: { http: 503, connect: Code.ResourceExhausted, wire: "channel_full" },
  WC_ERR_BUFFER_UNAVAILABLE: {
    http: 503,
    connect: Code.Unavailable,
    wire: "buffer_unavailable",
  },
  WC_ERR_BUFFER_UNKNOWN_CHANNEL: { http: 404, connect: Code.NotFound, wire: "unknown_channel" },
  WC_ERR_STREAM_UNAUTHENTICATED: {
    http: 401,
    connect: Code.Unauthenticated,
    wire: "unauthorized",
  },
  WC_ERR_STREAM_UNKNOWN_CHANNEL: { http: 404, connect: Code.NotFound, wire: "unknown_channel" },
  WC_ERR_STREAM_PROTOCOL: { http: 400, connect: Code.InvalidArgument, wire: "protocol_error" },
  WC_ERR_STREAM_TOO_MANY_CONNECTIONS: {
    http: 503,
    connect: Code.ResourceExhausted,
    wire: "too_many_connections",
  },
  WC_ERR_STREAM_UNKNOWN_CONNECTION: {
    http: 404,
    connect: Code.NotFound,
    wire: "unknown_connection",
  },
  WC_ERR_STREAM_NOT_LEASED: { http: 409, connect: Code.FailedPrecondition, wire: "not_leased" },
  WC_ERR_STREAM_EVICTED: { http: 410, connect: Code.Aborted, wire: "evicted" },
  WC_ERR_STREAM_HEARTBEAT_TIMEOUT: {
    http: 408,
    connect: Code.DeadlineExceeded,
    wire: "heartbeat_timeout",
  },
  WC_ERR_ADMIN_DISABLED: { http: 403, connect: Code.PermissionDenied, wire: "admin_disabled" },
  WC_ERR_ADMIN_UNAUTHORIZED: { http: 401, connect: Code.Unauthenticated, wire: "unauthorized" },
  WC_ERR_ADMIN_BAD_REQUEST: { http: 400, connect: Code.InvalidArgument, wire: "bad_request" },
  WC_ERR_ADMIN_METHOD: { http: 405, connect: Code.Unimplemented, wire: "method_not_allowed" },
  WC_ERR_ADMIN_TOO_LARGE: {
    http: 413,
    connect: Code.ResourceExhausted,
    wire: "payload_too_large",
  },
  WC_ERR_NOT_FOUND: { http: 404, connect: Code.NotFound, wire: "not_found" },
  WC_ERR_INTERNAL: { http: 500, connect: Code.Internal, wire: "internal_error" },
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes;

/** Base class of every receiver error with a stable code. */
export class WebhookConnectError extends Error {
  /** Stable code, see docs/errors.md. */
  readonly code: ErrorCode;
  /** Seconds after which a retry may succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WebhookConnectError";
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  /** Short error identifier used in `{"error": …}` bodies. */
  get wireError(): string {
    return errorCodes[this.code].wire;
  }
}

/** The channel holds `max_queue_size` messages; nothing was stored. */
export class QueueFullError extends WebhookConnectError {
  constructor(channel: string, limit: number, retryAfterSeconds = 5) {
    super("WC_ERR_BUFFER_FULL", `channel '${channel}' is full (${limit} messages queued)`, {
      retryAfterSeconds,
    });
    this.name = "QueueFullError";
  }
}

/** The buffer backend could not be reached or refused the write; nothing was stored. */
export class BufferUnavailableError extends WebhookConnectError {
  constructor(message: string, cause?: unknown, retryAfterSeconds = 5) {
    super("WC_ERR_BUFFER_UNAVAILABLE", message, { cause, retryAfterSeconds });
    this.name = "BufferUnavailableError";
  }
}

/** The channel is not known to the buffer. */
export class UnknownChannelError extends WebhookConnectError {
  constructor(channel: string) {
    super("WC_ERR_BUFFER_UNKNOWN_CHANNEL", `unknown channel '${channel}'`);
    this.name = "UnknownChannelError";
  }
}

/**
 * 429: the client failed to authenticate too often (per address, or while
 * the webhook, channel or admin API is under a guessing attack); its
 * credentials were not checked. `Retry-After` says when it may try again.
 */
export class AuthThrottledError extends WebhookConnectError {
  constructor(retryAfterSeconds: number) {
    super(
      "WC_ERR_AUTH_THROTTLED",
      "too many failed authentications from this address; retry later",
      { retryAfterSeconds },
    );
    this.name = "AuthThrottledError";
  }
}

/** Maps an error code to its Connect code. */
export function connectCodeOf(code: ErrorCode): Code {
  return errorCodes[code].connect;
}
