/**
 * The JSON frames of the WebSocket, SSE and long-poll transports
 * (docs/protocol.md): a mapping of WebhookMessage and the client frames
 * that is compatible with existing connectors of the seed's system
 * (`type: connected | webhook | heartbeat | error`, `ack`, `nack`,
 * `heartbeat`), with our extra fields added, never changing theirs.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Session } from "./session.js";

/** A webhook frame as JSON (a flat object, see docs/protocol.md). */
export type WebhookFrameJson = Record<string, unknown> & { readonly type: "webhook" };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function payloadOf(body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Maps a message to its JSON frame. `payload` is the parsed JSON body when
 * the body is JSON, else its text; `body_base64` always carries the exact
 * bytes. `headers` is an object (repeated names joined with ", ") for the
 * seed's connectors; `header_list` keeps order, case and repeats.
 */
export function webhookFrame(message: WebhookMessage): WebhookFrameJson {
  const headers: Record<string, string> = {};
  for (const { name, value } of message.headers) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  const receivedAt =
    message.receivedAt === undefined ? undefined : timestampDate(message.receivedAt).toISOString();
  const expiresAt =
    message.expiresAt === undefined ? undefined : timestampDate(message.expiresAt).toISOString();
  return {
    type: "webhook",
    message_id: message.messageId,
    sequence: Number(message.sequence),
    webhook_id: message.webhookId,
    timestamp: receivedAt ?? iso(Date.now()),
    headers,
    payload: payloadOf(message.body),
    channel: message.channel,
    delivery_attempt: message.deliveryAttempt,
    content_type: message.contentType,
    body_base64: Buffer.from(message.body).toString("base64"),
    method: message.method,
    path: message.path,
    query: message.query,
    header_list: message.headers.map(({ name, value }) => [name, value]),
    received_at: receivedAt ?? null,
    expires_at: expiresAt ?? null,
    source_ip: message.sourceIp,
    traceparent: message.traceparent,
  };
}

/** The `connected` frame, sent first on every JSON stream. */
export function connectedFrame(
  session: Session,
  heartbeatIntervalMs: number,
  ackTimeoutMs: number,
) {
  return {
    type: "connected",
    connection_id: session.info.id,
    channel: session.info.channel,
    group: session.info.group,
    max_in_flight: session.info.maxInFlight,
    heartbeat_interval_seconds: heartbeatIntervalMs / 1000,
    ack_timeout_seconds: ackTimeoutMs / 1000,
    timestamp: iso(Date.now()),
  };
}

/** The `heartbeat` frame. */
export function heartbeatFrame(at: number) {
  return { type: "heartbeat", timestamp: iso(at), server_time: iso(Date.now()) };
}

/** An `error` frame: a rejected client frame (the connection goes on) or the reason of a close. */
export function errorFrame(code: string, message: string, messageId?: string) {
  return {
    type: "error",
    code,
    message,
    ...(messageId === undefined || messageId === "" ? {} : { message_id: messageId }),
    timestamp: iso(Date.now()),
  };
}

/** A parsed client frame. */
export type ClientFrame =
  | { readonly kind: "ack"; readonly messageIds: readonly string[] }
  | {
      readonly kind: "nack";
      readonly messageId: string;
      readonly retry: boolean;
      readonly reason: string;
      readonly delayMs?: number;
    }
  | { readonly kind: "heartbeat" };

/** A client frame that could not be understood. */
export interface ClientFrameError {
  readonly kind: "invalid";
  readonly reason: string;
  readonly messageId?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function delayOf(frame: Record<string, unknown>): number | undefined {
  const seconds = frame["delay_seconds"] ?? frame["retry_after"];
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0)
    return seconds * 1000;
  const ms = frame["delay_ms"];
  if (typeof ms === "number" && Number.isFinite(ms) && ms >= 0) return ms;
  return undefined;
}

/**
 * Interprets one client frame object: `{"type":"ack","message_id"}` (or
 * `message_ids`), `{"type":"nack","message_id","retry"}` (retry defaults
 * to true; optional `reason`, `delay_seconds`), `{"type":"heartbeat"}`.
 * `status`/`action` are accepted in place of `type` (seed query form).
 */
export function clientFrameOf(value: unknown): ClientFrame | ClientFrameError {
  if (!isRecord(value)) return { kind: "invalid", reason: "a frame must be a JSON object" };
  const type = value["type"] ?? value["status"] ?? value["action"];
  const id = value["message_id"];
  const messageId = typeof id === "string" ? id : undefined;
  if (type === "heartbeat" || type === "ping" || type === "pong") return { kind: "heartbeat" };
  if (type === "ack") {
    const ids = value["message_ids"];
    if (Array.isArray(ids) && ids.length > 0 && ids.every((x) => typeof x === "string")) {
      return { kind: "ack", messageIds: ids as string[] };
    }
    if (messageId === undefined || messageId === "") {
      return { kind: "invalid", reason: "ack needs a message_id string" };
    }
    return { kind: "ack", messageIds: [messageId] };
  }
  if (type === "nack") {
    if (messageId === undefined || messageId === "") {
      return { kind: "invalid", reason: "nack needs a message_id string" };
    }
    const retry = value["retry"];
    if (retry !== undefined && typeof retry !== "boolean") {
      return { kind: "invalid", reason: "nack retry must be true or false", messageId };
    }
    const reason = value["reason"] ?? value["error"];
    const delayMs = delayOf(value);
    return {
      kind: "nack",
      messageId,
      retry: retry ?? true,
      reason: typeof reason === "string" ? reason : "",
      ...(delayMs === undefined ? {} : { delayMs }),
    };
  }
  return {
    kind: "invalid",
    reason: `unknown frame type ${JSON.stringify(type ?? null)} (expected ack, nack or heartbeat)`,
    ...(messageId === undefined ? {} : { messageId }),
  };
}

/** Parses a text frame; malformed JSON is an invalid frame, never an exception. */
export function parseClientFrame(text: string): ClientFrame | ClientFrameError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "invalid", reason: "frame is not valid JSON" };
  }
  return clientFrameOf(value);
}

/** Outcome of applying one client frame: ids that were not applied, with why. */
export interface AppliedFrame {
  readonly failures: readonly { readonly messageId: string; readonly error: string }[];
}

/** Applies an ack, nack or heartbeat to the session. */
export async function applyClientFrame(
  session: Session,
  frame: ClientFrame,
): Promise<AppliedFrame> {
  session.touch();
  if (frame.kind === "heartbeat") return { failures: [] };
  const results =
    frame.kind === "ack"
      ? await session.ack(frame.messageIds)
      : [
          await session.nack(frame.messageId, {
            retry: frame.retry,
            reason: frame.reason,
            ...(frame.delayMs === undefined ? {} : { delayMs: frame.delayMs }),
          }),
        ];
  return {
    failures: results
      .filter((r) => !r.ok)
      .map((r) => ({ messageId: r.messageId, error: r.error ?? "not applied" })),
  };
}
