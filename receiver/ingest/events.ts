/**
 * Typed events of the ingest handler, one union discriminated by `type`;
 * the receiver turns them into metrics and main.ts into log lines.
 */
import type { ErrorCode } from "../errors.js";

/** A webhook was stored durably and answered 200. */
export interface IngestAcceptedEvent {
  /** Discriminant. */
  readonly type: "accepted";
  /** Request id (a plain incoming `X-Request-Id`, else a new one; echoed in the response). */
  readonly requestId: string;
  /** W3C traceparent stored with the message. */
  readonly traceparent: string;
  /** Webhook id from the path. */
  readonly webhookId: string;
  /** Channel it was stored in. */
  readonly channel: string;
  /** Message id returned to the sender. */
  readonly messageId: string;
  /** Sequence the buffer assigned. */
  readonly sequence: bigint;
  /** Body size in bytes. */
  readonly bytes: number;
  /** Sender address recorded on the message. */
  readonly sourceIp: string;
  /** Time from request start to the answer, in ms. */
  readonly durationMs: number;
}

/** A provider handshake was answered by the receiver; nothing was stored. */
export interface IngestHandshakeEvent {
  /** Discriminant. */
  readonly type: "handshake";
  /** Request id (echoed in the response). */
  readonly requestId: string;
  /** Webhook id from the path. */
  readonly webhookId: string;
  /** Channel of the webhook. */
  readonly channel: string;
  /** The provider whose handshake it was, e.g. `slack`. */
  readonly provider: string;
  /** Time from request start to the answer, in ms. */
  readonly durationMs: number;
}

/** A webhook was answered with an error; nothing was stored. */
export interface IngestRejectedEvent {
  /** Discriminant. */
  readonly type: "rejected";
  /** Request id (echoed in the response). */
  readonly requestId: string;
  /** Webhook id from the path (may be invalid, it is what the client sent). */
  readonly webhookId: string;
  /** Channel, when the webhook is known and relayed. */
  readonly channel: string | undefined;
  /** Stable error code. */
  readonly code: ErrorCode;
  /** HTTP status answered. */
  readonly status: number;
  /** Detail for the log (e.g. why a signature failed); never sent to the client. */
  readonly reason: string;
  /** The failing verifier's method, for authentication and validation failures. */
  readonly verifier: string | undefined;
  /** Underlying error, for the log. */
  readonly cause: unknown;
  /** Time from request start to the answer, in ms. */
  readonly durationMs: number;
}

/** The client went away before the request was complete; nothing was stored or answered. */
export interface IngestAbortedEvent {
  /** Discriminant. */
  readonly type: "aborted";
  /** Request id. */
  readonly requestId: string;
  /** Webhook id from the path. */
  readonly webhookId: string;
  /** What happened. */
  readonly reason: string;
  /** Time from request start to the abort, in ms. */
  readonly durationMs: number;
}

/** Any ingest event: what `IngestHandlerOptions.onEvent` is told, once per request. */
export type IngestEvent =
  | IngestAcceptedEvent
  | IngestRejectedEvent
  | IngestAbortedEvent
  | IngestHandshakeEvent;
