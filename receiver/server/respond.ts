/** JSON responses for both HTTP versions. Error bodies are `{"error","message"}`. */
import type { WebhookConnectError } from "../errors.js";
import type { AnyResponse } from "./listener.js";

/** Sends a JSON body with a status and extra headers. */
export function sendJson(
  res: AnyResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(payload));
  res.setHeader("cache-control", "no-store");
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(payload);
}

/** Sends a WebhookConnectError as its status, `Retry-After` when set, and the error body. */
export function sendError(
  res: AnyResponse,
  error: WebhookConnectError,
  headers: Readonly<Record<string, string>> = {},
): void {
  const extra: Record<string, string> = { ...headers };
  if (error.retryAfterSeconds !== undefined) {
    extra["retry-after"] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  }
  sendJson(res, error.httpStatus, { error: error.wireError, message: error.message }, extra);
}
