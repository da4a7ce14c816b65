/**
 * Errors of the admin API. Authentication and not-found answers reuse the
 * receiver's codes (`WC_ERR_ADMIN_DISABLED`, `WC_ERR_ADMIN_UNAUTHORIZED`,
 * `WC_ERR_NOT_FOUND`); bad input and wrong methods have their own stable
 * codes here because they only exist on the admin API.
 */
import { WebhookConnectError } from "../errors.js";
import { type AnyServerResponse, sendError, sendJson } from "../ingest/index.js";

/** Codes of errors only the admin API answers with. */
export const adminErrorCodes = {
  /** Malformed JSON, an unknown field, a value of the wrong type or range. */
  WC_ERR_ADMIN_BAD_REQUEST: { http: 400, wire: "bad_request" },
  /** The path exists but not for this method (the answer carries `Allow`). */
  WC_ERR_ADMIN_METHOD: { http: 405, wire: "method_not_allowed" },
  /** The request body is larger than the admin API accepts. */
  WC_ERR_ADMIN_TOO_LARGE: { http: 413, wire: "payload_too_large" },
} as const;

/** A code of `adminErrorCodes`. */
export type AdminErrorCode = keyof typeof adminErrorCodes;

/** A client error of the admin API with a stable code and a message that says what to fix. */
export class AdminRequestError extends Error {
  /** Stable code. */
  readonly code: AdminErrorCode;
  /** Extra response headers (e.g. `Allow`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: AdminErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "AdminRequestError";
    this.code = code;
    this.headers = headers;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return adminErrorCodes[this.code].http;
  }
}

/** Shorthand for a 400 with a message saying what was wrong. */
export function badRequest(message: string): AdminRequestError {
  return new AdminRequestError("WC_ERR_ADMIN_BAD_REQUEST", message);
}

/** Shorthand for a 404 naming what was not found. */
export function notFound(message: string): WebhookConnectError {
  return new WebhookConnectError("WC_ERR_NOT_FOUND", message);
}

/**
 * Answers an error as `{"error","message"}` JSON; returns the status sent.
 * Anything that is neither an AdminRequestError nor a WebhookConnectError
 * becomes a generic 500 (its message never reaches the wire).
 */
export function sendAdminError(res: AnyServerResponse, error: unknown): number {
  if (error instanceof AdminRequestError) {
    sendJson(
      res,
      error.httpStatus,
      { error: adminErrorCodes[error.code].wire, message: error.message },
      { headers: error.headers },
    );
    return error.httpStatus;
  }
  sendError(res, error);
  return error instanceof WebhookConnectError ? error.httpStatus : 500;
}
