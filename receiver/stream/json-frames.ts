/**
 * The JSON frames of the WebSocket, SSE and long-poll transports
 * (docs/protocol.md): a mapping of WebhookMessage and the client frames
 * that is compatible with existing connectors of the seed's system
 * (`type: connected | webhook | heartbeat | error`, `ack`, `nack`,
 * `heartbeat`), with our extra fields added, never changing theirs.
 */
import { isUtf8 } from "node:buffer";
import { type Duration, durationMs, timestampDate } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Welcome } from "../../gen/webhookconnect/v1/relay_pb.js";
import { byteOrderMarkLength, JsonScan, MAX_JSON_DEPTH, scanJson } from "../ingest/index.js";
import type { Session } from "./session.js";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `payload` as JSON text: the body's own bytes when they are one JSON
 * value (UTF-8, at most MAX_JSON_DEPTH deep), spliced in without parsing
 * and re-serialising them; otherwise the body as a JSON string.
 */
function payloadText(body: Buffer): string {
  const start = byteOrderMarkLength(body);
  if (isUtf8(body) && scanJson(body, start) === JsonScan.VALID) {
    return body.toString("utf8", start);
  }
  return JSON.stringify(body.toString("utf8"));
}

/** Options of {@link webhookFrameText}. */
export interface WebhookFrameTextOptions {
  /**
   * Keep the text on one line (SSE `data:`): line breaks of the spliced
   * payload, which valid JSON only has as whitespace, become spaces.
   * @default false
   */
  readonly singleLine?: boolean;
}

const LINE_BREAK = /[\r\n]/g;

/**
 * The `webhook` frame of a message as JSON text (a flat object, see
 * docs/protocol.md). `payload` is the body when it is JSON, else its text;
 * `body_base64` always carries the exact bytes. `headers` is an object
 * (repeated names joined with ", ") for the seed's connectors;
 * `header_list` keeps order, case and repeats.
 */
export function webhookFrameText(
  message: WebhookMessage,
  options: WebhookFrameTextOptions = {},
): string {
  const headers: Record<string, string> = {};
  for (const { name, value } of message.headers) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  const receivedAt =
    message.receivedAt === undefined ? undefined : timestampDate(message.receivedAt).toISOString();
  const expiresAt =
    message.expiresAt === undefined ? undefined : timestampDate(message.expiresAt).toISOString();
  const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  const head = JSON.stringify({
    type: "webhook",
    message_id: message.messageId,
    sequence: Number(message.sequence),
    webhook_id: message.webhookId,
    timestamp: receivedAt ?? iso(Date.now()),
    headers,
  });
  const tail = JSON.stringify({
    channel: message.channel,
    delivery_attempt: message.deliveryAttempt,
    content_type: message.contentType,
    body_base64: body.toString("base64"),
    method: message.method,
    path: message.path,
    query: message.query,
    header_list: message.headers.map(({ name, value }) => [name, value]),
    received_at: receivedAt ?? null,
    expires_at: expiresAt ?? null,
    source_ip: message.sourceIp,
    traceparent: message.traceparent,
    scheme: message.scheme,
  });
  let payload = payloadText(body);
  if (options.singleLine === true) payload = payload.replace(LINE_BREAK, " ");
  return `${head.slice(0, -1)},"payload":${payload},${tail.slice(1)}`;
}

/** The `connected` frame, sent first on every JSON stream: the JSON form of the Welcome (`backlog` left out when unknown). */
export function connectedFrame(welcome: Welcome) {
  return {
    type: "connected",
    connection_id: welcome.connectionId,
    channel: welcome.channel,
    group: welcome.group,
    max_in_flight: welcome.maxInFlight,
    heartbeat_interval_seconds: secondsOf(welcome.heartbeatInterval),
    ack_timeout_seconds: secondsOf(welcome.ackTimeout),
    ...(welcome.backlog === undefined ? {} : { backlog: Number(welcome.backlog) }),
    timestamp: iso(Date.now()),
  };
}

function secondsOf(duration: Duration | undefined): number {
  return duration === undefined ? 0 : durationMs(duration) / 1000;
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

/**
 * Parses client JSON (a frame, an ack body): scanned first, so nesting
 * deeper than MAX_JSON_DEPTH is refused before `JSON.parse` builds it.
 * Returns the reason instead of a value when the bytes are not usable JSON.
 */
export function parseClientJson(bytes: Buffer): { value: unknown } | { invalid: string } {
  if (!isUtf8(bytes)) return { invalid: "not valid UTF-8" };
  const start = byteOrderMarkLength(bytes);
  const scan = scanJson(bytes, start);
  if (scan === JsonScan.TOO_DEEP) {
    return { invalid: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  if (scan !== JsonScan.VALID) return { invalid: "not valid JSON" };
  return { value: JSON.parse(bytes.toString("utf8", start)) as unknown };
}

/** Parses a text frame; malformed JSON is an invalid frame, never an exception. */
export function parseClientFrame(bytes: Buffer): ClientFrame | ClientFrameError {
  const parsed = parseClientJson(bytes);
  if ("invalid" in parsed) return { kind: "invalid", reason: `frame is ${parsed.invalid}` };
  return clientFrameOf(parsed.value);
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
