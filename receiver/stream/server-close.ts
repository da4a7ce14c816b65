/**
 * Why the receiver closed a connection, as every transport reports it: the
 * `WC_ERR_…` code of the closing Notice (gRPC/Connect, WebSocket protobuf)
 * or `error` frame (WebSocket JSON, SSE), the Connect status the call then
 * ends with, and the WebSocket close code. One table, so a fault reads the
 * same on every transport (docs/errors.md, docs/protocol.md).
 */
import { Code } from "@connectrpc/connect";
import { wsCloseCodes } from "./websocket-close.js";

/** What made the receiver close a connection. */
export type ServerCloseKind = "evicted" | "shutdown" | "heartbeat_timeout" | "buffer_error";

/** A connection the receiver closed, and how each transport says so. */
export interface ServerClose {
  readonly kind: ServerCloseKind;
  /** Stable error code of the closing Notice / `error` frame. */
  readonly code: string;
  /** Human-readable text: `connection closed by the receiver: <reason>`. */
  readonly message: string;
  /** Status a gRPC/Connect call ends with (never OK). */
  readonly connectCode: Code;
  /** WebSocket close code. */
  readonly wsCode: number;
}

const table: Readonly<Record<ServerCloseKind, Omit<ServerClose, "kind" | "message">>> = {
  // An operator disconnected it (admin API): reconnecting is allowed.
  evicted: {
    code: "WC_ERR_STREAM_EVICTED",
    connectCode: Code.Aborted,
    wsCode: wsCloseCodes.evicted,
  },
  // Reconnect, to another replica if there is one.
  shutdown: {
    code: "WC_ERR_STREAM_SHUTDOWN",
    connectCode: Code.Unavailable,
    wsCode: wsCloseCodes.goingAway,
  },
  heartbeat_timeout: {
    code: "WC_ERR_STREAM_HEARTBEAT_TIMEOUT",
    connectCode: Code.DeadlineExceeded,
    wsCode: wsCloseCodes.heartbeatTimeout,
  },
  buffer_error: {
    code: "WC_ERR_BUFFER_UNAVAILABLE",
    connectCode: Code.Unavailable,
    wsCode: wsCloseCodes.internalError,
  },
};

/** The close of `kind` for `reason` (the session's close reason). */
export function serverClose(kind: ServerCloseKind, reason: string): ServerClose {
  return { kind, ...table[kind], message: `connection closed by the receiver: ${reason}` };
}
