/**
 * Answers for upgrade requests that are refused before the WebSocket
 * handshake: a plain HTTP/1.1 response with the usual JSON error body.
 */
import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WebhookConnectError } from "../errors.js";
import { remoteAddressOf } from "../ingest/index.js";

/** Writes the JSON error response of `error` on a raw socket and closes it. */
export function writeUpgradeError(socket: Duplex, error: unknown): void {
  const known = error instanceof WebhookConnectError;
  const status = known ? error.httpStatus : 500;
  const body = JSON.stringify(
    known
      ? { error: error.wireError, message: error.message }
      : { error: "internal_error", message: "internal error" },
  );
  const retryAfter =
    known && error.retryAfterSeconds !== undefined
      ? `Retry-After: ${Math.ceil(error.retryAfterSeconds)}\r\n`
      : "";
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      retryAfter +
      "Connection: close\r\n\r\n" +
      body,
  );
}

/** The client address of an upgrade request. */
export function remoteAddressOfSocket(req: IncomingMessage): string {
  return remoteAddressOf(req);
}
