/**
 * JSON responses for HTTP/1.1 and HTTP/2 (compat API) alike. Error bodies
 * are `{"error":"<code>","message":"<human text>"}` built from a
 * WebhookConnectError; anything else is answered as a generic 500 so an
 * internal message never reaches the wire.
 */
import type { Http2ServerResponse } from "node:http2";
import type { CustomResponse, ResponsePart, ResponsePlaceholder } from "../config/index.js";
import { WebhookConnectError } from "../errors.js";
import type { AnyResponse } from "../server/http-types.js";

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

function isHttp2(res: AnyResponse): res is Http2ServerResponse {
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
  if (isHttp2(res)) {
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

/**
 * The 200 of an accepted webhook, written with the fewest steps: the body
 * from a template (the ids are plain ASCII: a UUID and a channel name),
 * the headers as one flat list for HTTP/1.1 (node:http's fast path).
 */
export function sendAccepted(
  res: AnyResponse,
  messageId: string,
  channel: string,
  requestId: string,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = `{"status":"accepted","message_id":"${messageId}","channel":"${channel}"}`;
  if (isHttp2(res)) {
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": body.length,
      "cache-control": "no-store",
      "x-webhook-message-id": messageId,
      "x-request-id": requestId,
    });
  } else {
    res.writeHead(200, [
      "Content-Type",
      "application/json; charset=utf-8",
      "Content-Length",
      String(body.length),
      "Cache-Control",
      "no-store",
      "X-Webhook-Message-Id",
      messageId,
      "X-Request-Id",
      requestId,
    ]);
  }
  res.end(body, "latin1");
}

/**
 * Sends a complete answer given as status, headers and a UTF-8 body (a
 * handshake's), with `Content-Length` and the request id added.
 */
export function sendAnswer(
  res: AnyResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  requestId: string,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const payload = Buffer.from(body, "utf8");
  res.writeHead(status, {
    ...headers,
    "Content-Length": payload.length,
    "X-Request-Id": requestId,
  });
  res.end(payload);
}

function fill(
  parts: readonly ResponsePart[],
  values: Readonly<Record<ResponsePlaceholder, string>>,
): string {
  let text = "";
  for (const part of parts) text += typeof part === "string" ? part : values[part.placeholder];
  return text;
}

/**
 * The answer of an accepted webhook whose entry has a `response` block:
 * its status, headers and body with the placeholders filled, plus
 * `X-Webhook-Message-Id` and `X-Request-Id`.
 */
export function sendCustomAccepted(
  res: AnyResponse,
  response: CustomResponse,
  values: Readonly<Record<ResponsePlaceholder, string>>,
  requestId: string,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const headers: Record<string, string | number> = {};
  for (const header of response.headers) headers[header.name] = fill(header.value, values);
  const payload = Buffer.from(fill(response.body, values), "utf8");
  if (response.status !== 204) headers["Content-Length"] = payload.length;
  headers["X-Webhook-Message-Id"] = values.message_id;
  headers["X-Request-Id"] = requestId;
  res.writeHead(response.status, headers);
  res.end(payload);
}
