/**
 * Events of the connector runner. The runner never logs; the CLI turns
 * these into log lines. No event carries the token or message bodies.
 */
import type { SessionNotice } from "../transport/index.js";

/** Why a session ended, as reported in `disconnected`. */
export type DisconnectReason =
  /** The server ended the stream. */
  | "server_closed"
  /** The stream failed (network, HTTP/2, server error). */
  | "error"
  /** The server was silent for longer than the heartbeat timeout. */
  | "heartbeat_timeout"
  /** The connector is shutting down. */
  | "shutdown";

/** What `delivered` and `failed` say about the message and its delivery. */
export interface DeliveryFacts {
  readonly messageId: string;
  readonly webhookId: string;
  /** The buffer's delivery attempt (1 on the first delivery). */
  readonly deliveryAttempt: number;
  /** Method of the original request. */
  readonly method: string;
  /** Path of the original request (`/webhook/{id}`). */
  readonly path: string;
  /** Raw query of the original request, without `?`. */
  readonly query: string;
  /** HTTP status the target answered last (HTTP mode; absent after a timeout or network error). */
  readonly status?: number;
  /** Requests this delivery made (local retries included; HTTP mode). */
  readonly attempts?: number;
}

/** Everything the runner reports. */
export type ConnectorEvent =
  /** Opening a session. */
  | { readonly type: "connecting"; readonly attempt: number }
  /** A session is open. */
  | {
      readonly type: "connected";
      readonly transport: string;
      readonly connectionId: string;
      readonly channel: string;
      readonly group: string;
      readonly maxInFlight: number;
      readonly heartbeatIntervalMs: number;
      /** Messages of the group not yet acked when the session opened; undefined when the server did not say. */
      readonly backlog?: number | undefined;
      /** Transports `auto` tried first that failed, with why (empty when none). */
      readonly fallbacks: readonly { readonly transport: string; readonly reason: string }[];
    }
  /** Opening a session failed; `fatal` means an operator must act (token, channel). */
  | {
      readonly type: "connect_failed";
      readonly code: string;
      readonly message: string;
      readonly fatal: boolean;
      readonly error: Error;
    }
  /** An open session ended. */
  | {
      readonly type: "disconnected";
      readonly transport: string;
      readonly reason: DisconnectReason;
      readonly message: string;
      readonly durationMs: number;
      readonly delivered: number;
    }
  /** Waiting before the next attempt. */
  | {
      readonly type: "reconnecting";
      readonly delayMs: number;
      readonly attempt: number;
      readonly fatal: boolean;
    }
  /** A message was delivered and acked. */
  | ({
      readonly type: "delivered";
      readonly durationMs: number;
    } & DeliveryFacts)
  /** A delivery failed and was nacked (`retry` false: dead-lettered). */
  | ({
      readonly type: "failed";
      readonly retry: boolean;
      readonly reason: string;
      readonly delayMs?: number;
      readonly durationMs: number;
    } & DeliveryFacts)
  /**
   * A message arrived again while its first delivery was still running, or
   * after it was delivered: it is acked once, not delivered twice.
   */
  | { readonly type: "duplicate"; readonly messageId: string; readonly inFlight: boolean }
  /** The server sent a notice. */
  | { readonly type: "notice"; readonly notice: SessionNotice }
  /** Shutdown began; `inFlight` deliveries get the grace period. */
  | { readonly type: "stopping"; readonly inFlight: number }
  /** The runner stopped; `abandoned` deliveries did not finish within the grace period. */
  | { readonly type: "stopped"; readonly abandoned: number };

/** Receives runner events; must not throw. */
export type ConnectorEventListener = (event: ConnectorEvent) => void;
