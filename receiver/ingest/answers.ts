/**
 * The answers of the ingest endpoint besides errors: the 200 of an accepted
 * webhook, a webhook's own `response` block, and a provider handshake's.
 */
import type { CustomResponse, ResponsePart, ResponsePlaceholder } from "../config/index.js";
import type { AnyResponse } from "../server/index.js";
import { isHttp2Response } from "../server/index.js";

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
  if (isHttp2Response(res)) {
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
