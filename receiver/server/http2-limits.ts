/**
 * HTTP/2 counterparts of HTTP/1.1's limits, which Node applies to HTTP/1.1
 * only: the header list size, the request deadline per stream, and the
 * headers/keep-alive timeouts per session (issue #14 §3).
 */
import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { ListenerLimits } from "./listener.js";

/**
 * Header list size of an HTTP/2 request as RFC 9113 §6.5.2 counts it
 * (name + value + 32 per field, pseudo-headers included).
 */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += Buffer.byteLength(field);
  return size + (rawHeaders.length / 2) * 32;
}

/** Answers an HTTP/2 request with a small JSON error, then closes its stream. */
export function answerAndClose(
  res: Http2ServerResponse,
  status: number,
  error: string,
  message: string,
) {
  const body = JSON.stringify({ error, message });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body, () => {
    if (!res.stream.destroyed) res.stream.close();
  });
}

/**
 * HTTP/1.1's request timeout for one HTTP/2 stream: a request not
 * received in full (the client's END_STREAM) within `timeoutMs` is
 * answered 408 if nothing was answered yet, and its stream reset.
 */
export function armRequestDeadline(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  timeoutMs: number,
) {
  const { stream } = req;
  if (stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (stream.destroyed || stream.state.remoteClose === 1) return;
    if (!res.headersSent) {
      answerAndClose(
        res,
        408,
        "request_timeout",
        `the request was not received within ${timeoutMs / 1000} s`,
      );
    } else {
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }, timeoutMs);
  timer.unref();
  stream.once("close", () => clearTimeout(timer));
}

/**
 * Closes an HTTP/2 session that has no stream open for too long: a new
 * session gets `headersTimeoutMs` to complete its first request (as an
 * HTTP/1.1 connection gets to send its headers), later ones
 * `keepAliveTimeoutMs` between requests. Frames that open no stream (pings,
 * a header block sent a byte at a time) do not keep it open.
 */
export function closeIdleSessions(session: http2.ServerHttp2Session, limits: ListenerLimits): void {
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    idle = setTimeout(() => {
      if (!session.destroyed) session.close();
    }, ms);
    idle.unref();
  };
  arm(limits.headersTimeoutMs);
  session.on("stream", (stream) => {
    open += 1;
    clearTimeout(idle);
    stream.once("close", () => {
      open -= 1;
      if (open === 0 && !session.closed) arm(limits.keepAliveTimeoutMs);
    });
  });
  session.once("close", () => clearTimeout(idle));
}
