/**
 * Closing WebSockets of the stream endpoint: a close frame with a code
 * that says why, then a hard terminate if the client does not complete
 * the closing handshake, so an evicted connection really goes away.
 */
import type { WebSocket } from "ws";
import { WebhookConnectError } from "../errors.js";
import { closeCodeOf, closeReasonText, wsCloseCodes } from "./websocket-close.js";

/** How long a client gets to answer a close frame before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/** Closes `ws` for a session close `reason`. */
export function closeWebSocket(ws: WebSocket, reason: string, code = closeCodeOf(reason)): void {
  if (ws.readyState === ws.CLOSED) return;
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
    ws.close(code, closeReasonText(reason));
  }
  const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  ws.once("close", () => clearTimeout(timer));
}

/**
 * The code and text of the closing `error` frame / Notice for a client
 * that could not be attached: the typed error's own, or WC_ERR_INTERNAL
 * with no detail (the cause goes to the log, never onto the wire).
 */
export function attachFailureOf(error: unknown): { code: string; message: string } {
  return error instanceof WebhookConnectError
    ? { code: error.code, message: error.message }
    : { code: "WC_ERR_INTERNAL", message: "internal error" };
}

/** Closes `ws` after a session could not be opened. */
export function openErrorClose(ws: WebSocket, error: unknown): void {
  if (error instanceof WebhookConnectError) {
    const code =
      error.code === "WC_ERR_STREAM_TOO_MANY_CONNECTIONS"
        ? wsCloseCodes.tryAgainLater
        : error.httpStatus >= 500
          ? wsCloseCodes.internalError
          : wsCloseCodes.policyViolation;
    closeWebSocket(ws, error.message, code);
    return;
  }
  closeWebSocket(ws, "internal error", wsCloseCodes.internalError);
}
