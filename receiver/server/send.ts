/**
 * JSON responses for HTTP/1.1 and HTTP/2 (compat API) alike. Error bodies
 * are `{"error":"<code>","message":"<human text>"}` built from a
 * WebhookConnectError; anything else is answered as a generic 500 so an
 * internal message never reaches the wire.
 */
import type { Http2ServerResponse } from "node:http2";
import { WebhookConnectError } from "../errors.js";
import type { AnyResponse } from "./http-types.js";

/** Options of sendJson and sendError. */
export interface SendOptions {
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Ask the client to close the connection after this response (HTTP/1.x
   * `Connection: close`); used when the request body is left unread. On
   * HTTP/2 the stream is reset after the response instead.
   */
  readonly closeConnection?: boolean;
}

/** Whether `res` is of node:http2's compatibility API (its headers are written differently). */
export function isHttp2Response(res: AnyResponse): res is Http2ServerResponse {
  return "stream" in res;
}

/**
 * Sends `body` as JSON with `status`. Does nothing when a response was
 * already started (the connection is then destroyed, so the client sees a
 * failure rather than a truncated success).
 */
export function sendJson(
  res: AnyResponse,
  status: number,
  body: unknown,
  options: SendOptions = {},
): void {
  sendJsonText(res, status, JSON.stringify(body), options);
}

/** Like sendJson, for a body that is JSON text already. */
export function sendJsonText(
  res: AnyResponse,
  status: number,
  json: string,
  options: SendOptions = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const payload = Buffer.from(json, "utf8");
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": payload.length,
    "Cache-Control": "no-store",
    ...options.headers,
  };
  if (isHttp2Response(res)) {
    res.writeHead(status, headers);
    if (options.closeConnection) {
      const stream = res.stream;
      res.once("finish", () => {
        if (!stream.destroyed) stream.close();
      });
    }
    res.end(payload);
    return;
  }
  if (options.closeConnection) headers["Connection"] = "close";
  res.writeHead(status, headers);
  res.end(payload);
}

/**
 * Sends the JSON error body of `error` with its HTTP status and, when it
 * has one, a `Retry-After` header. Errors that are not WebhookConnectErrors
 * become a generic `internal_error` 500.
 */
export function sendError(res: AnyResponse, error: unknown, options: SendOptions = {}): void {
  if (!(error instanceof WebhookConnectError)) {
    sendJson(res, 500, { error: "internal_error", message: "internal error" }, options);
    return;
  }
  const headers: Record<string, string> = { ...options.headers };
  const hasRetryAfter = Object.keys(headers).some((name) => name.toLowerCase() === "retry-after");
  if (error.retryAfterSeconds !== undefined && !hasRetryAfter) {
    headers["Retry-After"] = String(Math.max(0, Math.ceil(error.retryAfterSeconds)));
  }
  sendJson(
    res,
    error.httpStatus,
    { error: error.wireError, message: error.message },
    { ...options, headers },
  );
}
