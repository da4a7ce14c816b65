/**
 * Errors of the admin API. Authentication and not-found answers reuse the
 * receiver's codes (`WC_ERR_ADMIN_DISABLED`, `WC_ERR_ADMIN_UNAUTHORIZED`,
 * `WC_ERR_NOT_FOUND`); bad input and wrong methods use the admin-only codes
 * of the same table (receiver/errors.ts).
 */
import { type ErrorCode, WebhookConnectError } from "../errors.js";
import type { AnyResponse } from "../server/index.js";
import { sendError } from "../server/index.js";

/** Codes of errors only the admin API answers with. */
export type AdminErrorCode = Extract<
  ErrorCode,
  "WC_ERR_ADMIN_BAD_REQUEST" | "WC_ERR_ADMIN_METHOD" | "WC_ERR_ADMIN_TOO_LARGE"
>;

/** A client error of the admin API with a stable code and a message that says what to fix. */
export class AdminRequestError extends WebhookConnectError {
  /** Extra response headers (e.g. `Allow`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: AdminErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = "AdminRequestError";
    this.headers = headers;
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
 * Anything that is not a WebhookConnectError becomes a generic 500 (its message never reaches the wire).
 */
export function sendAdminError(res: AnyResponse, error: unknown): number {
  sendError(res, error, error instanceof AdminRequestError ? { headers: error.headers } : {});
  return error instanceof WebhookConnectError ? error.httpStatus : 500;
}
