/**
 * Turns the receiver's typed events into structured log records (level,
 * fields, message) for main.ts, which owns the logger. Records carry ids
 * (request, message, connection, traceparent) and never a token, a secret
 * or a body: only fields picked here reach a log line.
 */
import type { AdminEvent } from "../admin/index.js";
import type { AuthThrottleEvent } from "../auth/index.js";
import type { BufferEvent } from "../buffer/index.js";
import type { ChannelTokenEvent } from "../channels/index.js";
import type { IngestAcceptedEvent, IngestEvent } from "../ingest/index.js";
import type { InternalErrorEvent } from "../server/index.js";
import type { SessionEvent } from "../stream/index.js";

/** A log record. */
export interface LogRecord {
  /** pino level name. */
  readonly level: "debug" | "info" | "warn" | "error";
  /** Structured fields. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Message. */
  readonly msg: string;
  /**
   * The fields are flat ids and numbers named here, none of them a
   * {@link REDACTED_KEYS} key, so redaction cannot change the line and may
   * be skipped (it cost 5 % of the receiver's CPU at ingest).
   */
  readonly plain?: true;
}

/** Keys (at the top level or one level down) whose values never reach a log line. */
export const REDACTED_KEYS = ["token", "new_token", "authorization", "headers"] as const;

function errorMessage(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Refused credentials are logged one line per request only at debug: a
 * guessing client would otherwise write a line per guess. The throttle's
 * aggregated `authentication failures` report stands for them at warn.
 */
function rejectionLevel(status: number, code: string): LogRecord["level"] {
  if (code === "WC_ERR_AUTH_FAILED" || code === "WC_ERR_AUTH_THROTTLED") return "debug";
  return status >= 500 ? "warn" : "info";
}

/**
 * The access line of an accepted webhook as pino would write it from
 * {@link ingestLogRecord} (same fields, same order, with `level`, `time`
 * and the logger's `service` in front), built as one string: it is written
 * once per webhook, and pino's generic serialisation was a tenth of the
 * receiver's time per request. Strings are JSON-quoted, so any value is
 * safe in it.
 */
export function acceptedLogLine(event: IngestAcceptedEvent, time: number, service: string): string {
  return `{"level":30,"time":${time},"service":${JSON.stringify(service)},"request_id":${JSON.stringify(event.requestId)},"webhook_id":${JSON.stringify(event.webhookId)},"duration_ms":${round(event.durationMs)},"channel":${JSON.stringify(event.channel)},"message_id":${JSON.stringify(event.messageId)},"traceparent":${JSON.stringify(event.traceparent)},"sequence":"${event.sequence}","bytes":${event.bytes},"source_ip":${JSON.stringify(event.sourceIp)},"msg":"webhook accepted"}\n`;
}

/** Log record of an ingest event. */
export function ingestLogRecord(event: IngestEvent): LogRecord {
  const base = {
    request_id: event.requestId,
    webhook_id: event.webhookId,
    duration_ms: round(event.durationMs),
  };
  switch (event.type) {
    case "accepted":
      return {
        level: "info",
        msg: "webhook accepted",
        plain: true,
        fields: {
          ...base,
          channel: event.channel,
          message_id: event.messageId,
          traceparent: event.traceparent,
          sequence: event.sequence.toString(),
          bytes: event.bytes,
          source_ip: event.sourceIp,
        },
      };
    case "rejected":
      return {
        level: rejectionLevel(event.status, event.code),
        msg: "webhook rejected",
        fields: {
          ...base,
          channel: event.channel,
          status: event.status,
          code: event.code,
          reason: event.reason,
          verifier: event.verifier,
          cause: errorMessage(event.cause),
        },
      };
    case "aborted":
      return {
        level: "info",
        msg: "webhook request aborted",
        fields: { ...base, reason: event.reason },
      };
    case "handshake":
      return {
        level: "info",
        msg: "handshake answered",
        fields: { ...base, channel: event.channel, provider: event.provider },
      };
  }
}

/** Level of a session event's record: deliveries and settlements at debug, failures at warn. */
export function sessionLogLevel(event: SessionEvent): LogRecord["level"] {
  if (event.type === "delivered") return "debug";
  if (event.type === "settled") {
    return event.outcome === "dead_lettered" || event.outcome === "error" ? "warn" : "debug";
  }
  return "info";
}

/** Log record of a session event (deliveries and settlements at debug level). */
export function sessionLogRecord(event: SessionEvent): LogRecord {
  const connection = {
    connection_id: event.info.id,
    channel: event.info.channel,
    group: event.info.group,
    connector_id: event.info.connectorId,
    protocol: event.info.protocol,
  };
  switch (event.type) {
    case "opened":
      return {
        level: "info",
        msg: "connector connected",
        fields: { ...connection, remote_address: event.info.remoteAddress },
      };
    case "closed":
      return {
        level: "info",
        msg: "connector disconnected",
        fields: { ...connection, reason: event.reason },
      };
    case "delivered":
      return {
        level: "debug",
        msg: "message delivered",
        fields: {
          ...connection,
          message_id: event.delivery.messageId,
          delivery_attempt: event.delivery.deliveryAttempt,
          traceparent: event.delivery.message.traceparent,
        },
      };
    case "settled":
      return {
        level: sessionLogLevel(event),
        msg: event.action === "ack" ? "message acked" : "message nacked",
        fields: { ...connection, message_id: event.messageId, outcome: event.outcome },
      };
  }
}

/** Log record of an admin event (reads at debug, actions and failures at info/warn). */
export function adminLogRecord(event: AdminEvent): LogRecord {
  if (event.type === "request") {
    return {
      // 401 and 429 are counted in the throttle's aggregated report instead.
      level:
        event.status === 401 || event.status === 429 || event.method === "GET" ? "debug" : "info",
      msg: "admin request",
      fields: {
        request_id: event.requestId,
        method: event.method,
        path: event.path,
        status: event.status,
        duration_ms: round(event.durationMs),
      },
    };
  }
  const { requestId, type, ...rest } = event;
  return {
    level: "info",
    msg: `admin: ${type.replaceAll("_", " ")}`,
    fields: { request_id: requestId, ...rest },
  };
}

/**
 * Log record of a throttle event: aggregated failures per scope and
 * interval, and each client that starts being refused. Per-request
 * refusals are not logged (they are in the next report and in metrics).
 */
export function authThrottleLogRecord(event: AuthThrottleEvent): LogRecord | undefined {
  switch (event.type) {
    case "failures":
      return {
        level: "warn",
        msg: "authentication failures",
        fields: {
          scope: event.scope,
          failures: event.failures,
          refused: event.refused,
          clients: event.clients.map((c) => `${c.client} x${c.failures}`).join(", "),
          other_clients: event.otherClients,
          interval_seconds: event.intervalMs / 1000,
        },
      };
    case "blocked":
      return {
        level: "warn",
        msg: "client refused after failed authentications",
        fields: {
          scope: event.scope,
          client: event.client,
          reason: event.reason,
          retry_after_seconds: event.retryAfterSeconds,
        },
      };
    case "store_error":
      return {
        level: "warn",
        msg: "shared failed-authentication counters unavailable; counting in this replica",
        fields: { error: errorMessage(event.error) },
      };
    case "refused":
      return undefined;
  }
}

/**
 * Log record of an unexpected failure: what was thrown, with its stack, so
 * a 500 can be traced. Thrown values carry no request data (the receiver's
 * errors never hold tokens or bodies).
 */
export function internalErrorLogRecord(event: InternalErrorEvent): LogRecord {
  const error = event.error;
  return {
    level: "error",
    msg: "internal error",
    fields: {
      where: event.where,
      error: errorMessage(error),
      ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
    },
  };
}

/** Log record of a buffer event (connection changes, background failures). */
export function bufferLogRecord(event: BufferEvent, backend: string): LogRecord {
  switch (event.type) {
    case "disconnected":
      return {
        level: "warn",
        msg: "buffer disconnected; ingest answers 503 until it is back",
        fields: { buffer: backend },
      };
    case "reconnected":
      return { level: "info", msg: "buffer reconnected", fields: { buffer: backend } };
    case "backgroundError":
      return {
        level: "error",
        msg: "buffer background task failed; it is retried",
        fields: { buffer: backend, task: event.task, error: errorMessage(event.error) },
      };
    case "undecodable":
      return {
        level: "error",
        msg: "undecodable message in the buffer skipped",
        fields: { buffer: backend, channel: event.channel, stream_seq: event.streamSeq },
      };
  }
}

/** Log record of a channel token event (never the token). */
export function tokenLogRecord(event: ChannelTokenEvent): LogRecord {
  switch (event.type) {
    case "loaded":
      return {
        level: "info",
        msg: "rotated channel token loaded from shared state",
        fields: { channel: event.channel, rotated_at: new Date(event.rotatedAt).toISOString() },
      };
    case "state_ignored":
      return {
        level: "warn",
        msg: "stored channel token state ignored; the configured token applies",
        fields: { channel: event.channel, reason: event.reason },
      };
    case "state_error":
      return {
        level: "warn",
        msg: "channel token state unreadable; cached tokens apply",
        fields: { channel: event.channel, error: errorMessage(event.error) },
      };
    case "rotated":
      return {
        level: "info",
        msg: "channel token rotated",
        fields: {
          channel: event.channel,
          previous_valid_until:
            event.previousValidUntil === undefined
              ? null
              : new Date(event.previousValidUntil).toISOString(),
        },
      };
    case "rejected":
      // One per refused token: the throttle's aggregated report is the warn line.
      return { level: "debug", msg: "connector token refused", fields: { channel: event.channel } };
  }
}
