/**
 * Error classes of the receiver. Every error that can reach a client has a
 * stable code (`WC_ERR_<AREA>_<WHAT>`), listed in docs/errors.md; one table
 * maps codes to HTTP status, one to Connect codes. `cause` is for logs only.
 */
import { Code } from "@connectrpc/connect";

/** One row of the code table. */
interface CodeMapping {
  /** HTTP status of the answer. */
  readonly http: number;
  /** Connect code of the answer on the RPC transports. */
  readonly connect: Code;
  /** Short identifier in `{"error": …}` bodies. */
  readonly wire: string;
}

const code = (http: number, connect: Code, wire: string): CodeMapping => ({ http, connect, wire });

/** Every error code the receiver can put on the wire: HTTP status, Connect code, wire identifier. */
export const errorCodes = {
  WC_ERR_CONFIG_INVALID: code(500, Code.Internal, "config_invalid"),
  WC_ERR_INGEST_UNKNOWN_WEBHOOK: code(404, Code.NotFound, "not_found"),
  WC_ERR_INGEST_BAD_WEBHOOK_ID: code(400, Code.InvalidArgument, "bad_request"),
  WC_ERR_INGEST_METHOD: code(405, Code.Unimplemented, "method_not_allowed"),
  WC_ERR_INGEST_MALFORMED_JSON: code(400, Code.InvalidArgument, "malformed_json"),
  WC_ERR_INGEST_JSON_TOO_DEEP: code(400, Code.InvalidArgument, "json_too_deep"),
  WC_ERR_INGEST_UNSUPPORTED_CONTENT: code(415, Code.InvalidArgument, "unsupported_media_type"),
  WC_ERR_INGEST_TOO_LARGE: code(413, Code.ResourceExhausted, "payload_too_large"),
  WC_ERR_INGEST_NOT_RELAYED: code(501, Code.Unimplemented, "not_relayed"),
  WC_ERR_INGEST_BAD_ENCODING: code(400, Code.InvalidArgument, "bad_encoding"),
  WC_ERR_INGEST_HANDSHAKE_EXPECTED: code(400, Code.InvalidArgument, "handshake_expected"),
  WC_ERR_INGEST_SCHEMA: code(400, Code.InvalidArgument, "schema_validation"),
  WC_ERR_AUTH_FAILED: code(401, Code.Unauthenticated, "unauthorized"),
  WC_ERR_AUTH_UNAVAILABLE: code(503, Code.Unavailable, "auth_unavailable"),
  WC_ERR_AUTH_FORBIDDEN: code(403, Code.PermissionDenied, "forbidden"),
  WC_ERR_RATE_LIMITED: code(429, Code.ResourceExhausted, "rate_limited"),
  WC_ERR_AUTH_THROTTLED: code(429, Code.ResourceExhausted, "too_many_auth_failures"),
  WC_ERR_BUFFER_FULL: code(503, Code.ResourceExhausted, "channel_full"),
  WC_ERR_BUFFER_UNAVAILABLE: code(503, Code.Unavailable, "buffer_unavailable"),
  WC_ERR_BUFFER_UNKNOWN_CHANNEL: code(404, Code.NotFound, "unknown_channel"),
  WC_ERR_STREAM_UNAUTHENTICATED: code(401, Code.Unauthenticated, "unauthorized"),
  WC_ERR_STREAM_UNKNOWN_CHANNEL: code(404, Code.NotFound, "unknown_channel"),
  WC_ERR_STREAM_PROTOCOL: code(400, Code.InvalidArgument, "protocol_error"),
  WC_ERR_STREAM_TOO_MANY_CONNECTIONS: code(503, Code.ResourceExhausted, "too_many_connections"),
  WC_ERR_STREAM_UNKNOWN_CONNECTION: code(404, Code.NotFound, "unknown_connection"),
  WC_ERR_STREAM_NOT_LEASED: code(409, Code.FailedPrecondition, "not_leased"),
  WC_ERR_STREAM_EVICTED: code(410, Code.Aborted, "evicted"),
  WC_ERR_STREAM_HEARTBEAT_TIMEOUT: code(408, Code.DeadlineExceeded, "heartbeat_timeout"),
  WC_ERR_ADMIN_DISABLED: code(403, Code.PermissionDenied, "admin_disabled"),
  WC_ERR_ADMIN_UNAUTHORIZED: code(401, Code.Unauthenticated, "unauthorized"),
  WC_ERR_ADMIN_BAD_REQUEST: code(400, Code.InvalidArgument, "bad_request"),
  WC_ERR_ADMIN_METHOD: code(405, Code.Unimplemented, "method_not_allowed"),
  WC_ERR_ADMIN_TOO_LARGE: code(413, Code.ResourceExhausted, "payload_too_large"),
  WC_ERR_NOT_FOUND: code(404, Code.NotFound, "not_found"),
  WC_ERR_INTERNAL: code(500, Code.Internal, "internal_error"),
} as const satisfies Record<string, CodeMapping>;

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

/** What a defined error's constructor arguments become: its message, or its message with options. */
export type ErrorParts =
  | string
  | { readonly message: string; readonly cause?: unknown; readonly retryAfterSeconds?: number };

/**
 * Defines the error class of one code, named `name`, whose constructor turns
 * its arguments into the message (and cause or `Retry-After`) with `parts`.
 * Codes whose errors differ only in their message need no hand-written
 * subclass; `instanceof` and `error.name` work as for one.
 */
export function defineError<Args extends unknown[]>(
  name: string,
  code: ErrorCode,
  parts: (...args: Args) => ErrorParts,
): new (
  ...args: Args
) => WebhookConnectError {
  const defined = class extends WebhookConnectError {
    constructor(...args: Args) {
      const made = parts(...args);
      super(
        code,
        typeof made === "string" ? made : made.message,
        typeof made === "string" ? {} : made,
      );
      this.name = name;
    }
  };
  Object.defineProperty(defined, "name", { value: name });
  return defined;
}

/** The buffer backend could not be reached or refused the write; nothing was stored. */
export class BufferUnavailableError extends WebhookConnectError {
  constructor(message: string, cause?: unknown, retryAfterSeconds = 5) {
    super("WC_ERR_BUFFER_UNAVAILABLE", message, { cause, retryAfterSeconds });
    this.name = "BufferUnavailableError";
  }
}

/** The channel holds `max_queue_size` messages; nothing was stored. */
export const QueueFullError = defineError(
  "QueueFullError",
  "WC_ERR_BUFFER_FULL",
  (channel: string, limit: number, retryAfterSeconds?: number) => ({
    message: `channel '${channel}' is full (${limit} messages queued)`,
    retryAfterSeconds: retryAfterSeconds ?? 5,
  }),
);

/** The channel is not known to the buffer. */
export const UnknownChannelError = defineError(
  "UnknownChannelError",
  "WC_ERR_BUFFER_UNKNOWN_CHANNEL",
  (channel: string) => `unknown channel '${channel}'`,
);

/**
 * 429: the client failed to authenticate too often (per address, or while
 * the webhook, channel or admin API is under a guessing attack); its
 * credentials were not checked. `Retry-After` says when it may try again.
 */
export const AuthThrottledError = defineError(
  "AuthThrottledError",
  "WC_ERR_AUTH_THROTTLED",
  (retryAfterSeconds: number) => ({
    message: "too many failed authentications from this address; retry later",
    retryAfterSeconds,
  }),
);

/** Maps an error code to its Connect code. */
export function connectCodeOf(code: ErrorCode): Code {
  return errorCodes[code].connect;
}
