/**
 * Error classes of the connector. Every class carries a stable code
 * (`WC_ERR_CONNECTOR_<WHAT>`, listed in docs/errors.md) and keeps the
 * underlying error as `cause` for logs. None of them reach the wire.
 */

/** Every error code the connector raises. */
export const connectorErrorCodes = [
  "WC_ERR_CONNECTOR_UNAUTHENTICATED",
  "WC_ERR_CONNECTOR_UNKNOWN_CHANNEL",
  "WC_ERR_CONNECTOR_TOO_MANY_CONNECTIONS",
  "WC_ERR_CONNECTOR_TRANSPORT",
  "WC_ERR_CONNECTOR_PROTOCOL",
  "WC_ERR_CONNECTOR_HEARTBEAT_TIMEOUT",
  "WC_ERR_CONNECTOR_TLS",
  "WC_ERR_CONNECTOR_PROXY",
] as const;

/** A stable connector error code. */
export type ConnectorErrorCode = (typeof connectorErrorCodes)[number];

/** Base class of connector errors with a stable code. */
export class ConnectorError extends Error {
  /** Stable code, see docs/errors.md. */
  readonly code: ConnectorErrorCode;
  /**
   * True when reconnecting cannot help until an operator acts (bad token,
   * unknown channel). The runner still retries, but at the longest delay.
   */
  readonly fatal: boolean;

  constructor(
    code: ConnectorErrorCode,
    message: string,
    options: { cause?: unknown; fatal?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ConnectorError";
    this.code = code;
    this.fatal = options.fatal ?? false;
  }
}

/** The receiver refused the channel token. */
export class UnauthenticatedError extends ConnectorError {
  constructor(message: string, cause?: unknown) {
    super("WC_ERR_CONNECTOR_UNAUTHENTICATED", message, { cause, fatal: true });
    this.name = "UnauthenticatedError";
  }
}

/** The receiver does not know the channel. */
export class UnknownChannelError extends ConnectorError {
  constructor(message: string, cause?: unknown) {
    super("WC_ERR_CONNECTOR_UNKNOWN_CHANNEL", message, { cause, fatal: true });
    this.name = "UnknownChannelError";
  }
}

/** The channel already has `max_connections` connectors. */
export class TooManyConnectionsError extends ConnectorError {
  constructor(message: string, cause?: unknown) {
    super("WC_ERR_CONNECTOR_TOO_MANY_CONNECTIONS", message, { cause });
    this.name = "TooManyConnectionsError";
  }
}

/** A transport could not open a session or lost it (network, HTTP/2, server error). */
export class TransportError extends ConnectorError {
  /** Name of the transport that failed, e.g. `grpc`. */
  readonly transport: string;

  constructor(transport: string, message: string, cause?: unknown) {
    super("WC_ERR_CONNECTOR_TRANSPORT", message, { cause });
    this.name = "TransportError";
    this.transport = transport;
  }
}

/** Every transport of `protocol: auto` failed; `failures` says why, in the order tried. */
export class AllTransportsFailedError extends ConnectorError {
  /** One entry per transport tried. */
  readonly failures: readonly { readonly transport: string; readonly error: Error }[];

  constructor(failures: readonly { readonly transport: string; readonly error: Error }[]) {
    // Transport errors often name their transport already ("grpc: …"): not twice.
    const summary = failures
      .map(({ transport, error }) =>
        error.message.startsWith(`${transport}:`) || error.message.startsWith(`${transport} `)
          ? error.message
          : `${transport}: ${error.message}`,
      )
      .join("; ");
    const fatal = failures.length > 0 && failures.every((f) => isFatal(f.error));
    // A refusal is the same refusal whichever transport heard it: keep its code.
    const code = fatal ? (failures[0]!.error as ConnectorError).code : "WC_ERR_CONNECTOR_TRANSPORT";
    super(code, `no transport could connect (${summary})`, {
      cause: failures[0]?.error,
      fatal,
    });
    this.name = "AllTransportsFailedError";
    this.failures = failures;
  }
}

/** The server broke the session protocol (e.g. first frame not Welcome). */
export class ProtocolError extends ConnectorError {
  constructor(message: string) {
    super("WC_ERR_CONNECTOR_PROTOCOL", message);
    this.name = "ProtocolError";
  }
}

/** The server sent nothing for longer than `heartbeat_timeout`. */
export class HeartbeatTimeoutError extends ConnectorError {
  constructor(timeoutMs: number) {
    super("WC_ERR_CONNECTOR_HEARTBEAT_TIMEOUT", `no frame from the server for ${timeoutMs} ms`);
    this.name = "HeartbeatTimeoutError";
  }
}

/** A TLS file (CA, client certificate, client key) could not be read. */
export class TlsFileError extends ConnectorError {
  constructor(message: string, cause?: unknown) {
    super("WC_ERR_CONNECTOR_TLS", message, { cause, fatal: true });
    this.name = "TlsFileError";
  }
}

/**
 * The forward proxy failed: unreachable, refused the credentials (407,
 * fatal: an operator must fix them) or refused the tunnel. The message
 * names the proxy (never its credentials), not the receiver.
 */
export class ProxyError extends ConnectorError {
  /** HTTP status the proxy answered, or 0 when it did not answer. */
  readonly status: number;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super("WC_ERR_CONNECTOR_PROXY", message, {
      cause: options.cause,
      fatal: options.status === 407,
    });
    this.name = "ProxyError";
    this.status = options.status ?? 0;
  }
}

/**
 * The receiver refused the connector before it was ever connected (wrong
 * token, unknown channel): the CLI exits instead of retrying. `refusal`
 * is the error that said so.
 */
export class ConnectorRefusedError extends ConnectorError {
  constructor(readonly refusal: ConnectorError) {
    super(refusal.code, refusal.message, { cause: refusal, fatal: true });
    this.name = "ConnectorRefusedError";
  }
}

/** True for errors that reconnecting cannot fix without an operator. */
export function isFatal(error: unknown): boolean {
  return error instanceof ConnectorError && error.fatal;
}
