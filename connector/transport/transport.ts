/**
 * The transport seam of the connector: one way of opening a session with
 * the receiver's RelayService (gRPC, Connect, WebSocket, SSE, long-poll).
 * Every transport offers the same session: Hello/Welcome, a stream of
 * messages, acks, nacks and heartbeats (SPEC §5). The runner owns
 * delivery, reconnects and the heartbeat watchdog.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { ForwardProxy } from "./proxy.js";
import type { TlsOptions } from "./tls.js";

/** How every transport reaches the receiver. */
export interface ReceiverOptions {
  /** Receiver base URL (`http(s)://` or `ws(s)://`; each transport maps it to its scheme). */
  readonly cloudUrl: string;
  /** Channel token, sent as `Authorization: Bearer …` on every request. */
  readonly token: string;
  /** TLS settings of every connection. @default verify with Node's CAs */
  readonly tls?: TlsOptions;
  /**
   * Longest wait for the session's first frame (Welcome, the `connected`
   * event, the first poll): a buffering proxy never passes it. @default 10000
   */
  readonly openTimeoutMs?: number;
  /** Forward proxy, reached with CONNECT (also for `ws://`). @default none (direct) */
  readonly proxy?: ForwardProxy | undefined;
}

/** What the connector announces in Hello. */
export interface SessionHello {
  /** Channel to consume. */
  readonly channel: string;
  /** Name of this connector instance. */
  readonly connectorId: string;
  /** Fan-out group; empty for the channel's default group. */
  readonly group: string;
  /** Most unacknowledged messages this connector accepts at once. */
  readonly maxInFlight: number;
  /** Connector software version, for diagnostics. */
  readonly clientVersion: string;
}

/** The server's Welcome, in milliseconds. */
export interface SessionWelcome {
  /** Id the server gave this connection. */
  readonly connectionId: string;
  /** Channel being consumed. */
  readonly channel: string;
  /** Group being consumed (`default` when none was asked for). */
  readonly group: string;
  /** Effective in-flight limit; 0 when the server did not say. */
  readonly maxInFlight: number;
  /** Interval of server heartbeats; 0 when the server did not say. */
  readonly heartbeatIntervalMs: number;
  /** Lease time of a delivery on the server; 0 when the server did not say. */
  readonly ackTimeoutMs: number;
  /**
   * Messages of the group not yet acknowledged when the session opened
   * (Welcome `backlog`); undefined when the server did not say.
   */
  readonly backlog?: number | undefined;
}

/** A notice frame from the server. */
export interface SessionNotice {
  /** `info`, `warning` or `error` (the connection is about to close). */
  readonly level: "info" | "warning" | "error" | "unspecified";
  /** Stable `WC_ERR_…` code. */
  readonly code: string;
  /** Human-readable text. */
  readonly message: string;
  /** Message the notice is about, or empty. */
  readonly messageId: string;
}

/**
 * Longest nack reason sent, in characters. The receiver caps every RPC
 * message at 64 KiB (docs/protocol.md, *Limits*); a reason is for the
 * dead-letter listing, so a long one (a target's error page) is cut.
 */
export const MAX_NACK_REASON_CHARS = 1_000;

/** `reason` cut to MAX_NACK_REASON_CHARS. */
export function boundedNackReason(reason: string): string {
  return reason.length <= MAX_NACK_REASON_CHARS
    ? reason
    : `${reason.slice(0, MAX_NACK_REASON_CHARS - 1)}…`;
}

/** Options of a nack. */
export interface NackOptions {
  /** true: redeliver later; false: dead-letter. */
  readonly retry: boolean;
  /** Why the delivery failed (stored with dead letters). */
  readonly reason: string;
  /** Minimum delay before redelivery, in milliseconds. */
  readonly delayMs?: number;
}

/** Why a session ended. */
export interface SessionEnd {
  /**
   * `server`: the server ended the stream; `error`: the stream failed;
   * `local`: close() was called (watchdog, shutdown).
   */
  readonly kind: "server" | "error" | "local";
  /** The error behind `error` and `local` endings, when there is one. */
  readonly error?: Error;
}

/** Everything a transport needs to open a session. */
export interface OpenSessionOptions {
  /** Hello to send. */
  readonly hello: SessionHello;
  /**
   * Aborts opening. Has no effect once the session is open, so that acks
   * of a graceful shutdown still flow; end an open session with close().
   */
  readonly signal: AbortSignal;
  /** Called on every frame from the server (heartbeats included), for the watchdog. */
  readonly onFrame?: () => void;
  /** Called on every notice from the server. */
  readonly onNotice?: (notice: SessionNotice) => void;
}

/** A transport that `auto` tried before the one that worked, with why it failed. */
export interface TransportFailure {
  /** Transport name. */
  readonly transport: string;
  /** Why it could not open a session. */
  readonly error: Error;
}

/** One open session with the receiver. */
export interface RelaySession {
  /** Name of the transport that carries it, e.g. `grpc`. */
  readonly transport: string;
  /** Transports tried first that failed (set by `auto` when it fell back). */
  readonly fallbacks?: readonly TransportFailure[];
  /** The server's answer to Hello. */
  readonly welcome: SessionWelcome;
  /**
   * Messages in the order the server sent them. Ends when the session
   * ends; iterate it once.
   */
  readonly messages: AsyncIterable<WebhookMessage>;
  /**
   * Acknowledges a delivered message. Acks that arrive close together are
   * sent as one frame. Works for any message_id, also ones received on an
   * earlier session. Returns false, sending nothing, once the session has
   * ended: the caller keeps the ack for the next session.
   */
  ack(messageId: string): boolean;
  /**
   * Rejects a message (retry later or dead-letter). Returns false, sending
   * nothing, once the session has ended.
   */
  nack(messageId: string, options: NackOptions): boolean;
  /** Sends a keep-alive frame. */
  heartbeat(): void;
  /**
   * Ends the session and resolves when it is closed. Without `error`,
   * queued acks are sent and the server gets a moment to end the stream;
   * with one (the server is presumed gone), the stream is cancelled at
   * once and `error` is reported in `closed`.
   */
  close(error?: Error): Promise<void>;
  /** Resolves once, when the session ended, with why. Never rejects. */
  readonly closed: Promise<SessionEnd>;
}

/** A way to reach the receiver. */
export interface Transport {
  /** Name used in events and errors, e.g. `grpc`, `auto`. */
  readonly name: string;
  /**
   * Opens a session: connects, sends Hello and resolves after Welcome.
   * Rejects with a ConnectorError (UnauthenticatedError, UnknownChannelError,
   * TooManyConnectionsError, TransportError, ProtocolError).
   */
  open(options: OpenSessionOptions): Promise<RelaySession>;
  /** Releases connections kept between sessions. */
  close(): Promise<void>;
}
