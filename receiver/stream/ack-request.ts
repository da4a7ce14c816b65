/**
 * The forms `POST /connect/ack` accepts (docs/protocol.md):
 * - the seed's query string: `?message_id=…&status=ack|nack&retry=true|false&reason=…`;
 * - one JSON frame as on the WebSocket: `{"type":"ack","message_id"}`,
 *   `{"type":"nack","message_id","retry":false,"reason"}` (`status` or
 *   `action` in place of `type`; `{"message_id"}` alone is an ack);
 * - a JSON array of such frames;
 * - a batch `{"acks":[ids…],"nacks":[{message_id,retry,reason,delay_seconds}…]}`.
 * Batches may name `channel`, `group` and `connection_id` at the top level.
 */
import { WebhookConnectError } from "../errors.js";
import { type ClientFrame, clientFrameOf } from "./json-frames.js";

/** A parsed ack request. */
export interface AckRequestBody {
  /** Ack and nack frames in request order. */
  readonly frames: readonly (ClientFrame & { readonly kind: "ack" | "nack" })[];
  /** Channel named by the request, if any. */
  readonly channel?: string;
  /** Group named by the request, if any. */
  readonly group?: string;
  /** Connection id named in the body, if any. */
  readonly connectionId?: string;
}

function invalid(message: string): WebhookConnectError {
  return new WebhookConnectError("WC_ERR_STREAM_PROTOCOL", message);
}

function frameOf(value: unknown): ClientFrame & { kind: "ack" | "nack" } {
  const withType =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !("type" in value) &&
    !("status" in value) &&
    !("action" in value)
      ? { ...(value as Record<string, unknown>), type: nackFlag(value) ? "nack" : "ack" }
      : value;
  const frame = clientFrameOf(withType);
  if (frame.kind === "invalid") throw invalid(frame.reason);
  if (frame.kind === "heartbeat") throw invalid("an ack request holds acks and nacks only");
  return frame;
}

function nackFlag(value: object): boolean {
  const record = value as Record<string, unknown>;
  return record["nack"] === true || record["ack"] === false;
}

function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Parses a JSON body. Throws WC_ERR_STREAM_PROTOCOL for anything else. */
export function parseAckBody(body: unknown): AckRequestBody {
  if (Array.isArray(body)) return { frames: body.map(frameOf) };
  if (typeof body !== "object" || body === null) throw invalid("expected a JSON object or array");
  const record = body as Record<string, unknown>;
  const context = {
    ...(stringField(record, "channel") === undefined
      ? {}
      : { channel: stringField(record, "channel")! }),
    ...(stringField(record, "group") === undefined ? {} : { group: stringField(record, "group")! }),
    ...(stringField(record, "connection_id") === undefined
      ? {}
      : { connectionId: stringField(record, "connection_id")! }),
  };
  const acks = record["acks"] ?? record["ack_message_ids"];
  const nacks = record["nacks"];
  if (acks !== undefined || nacks !== undefined) {
    if (
      acks !== undefined &&
      (!Array.isArray(acks) || !acks.every((id) => typeof id === "string"))
    ) {
      throw invalid("acks must be an array of message ids");
    }
    if (nacks !== undefined && !Array.isArray(nacks)) throw invalid("nacks must be an array");
    const frames = [
      ...((acks as string[] | undefined) ?? []).map((id) =>
        frameOf({ type: "ack", message_id: id }),
      ),
      ...((nacks as unknown[] | undefined) ?? []).map((n) =>
        frameOf(typeof n === "object" && n !== null ? { ...n, type: "nack" } : n),
      ),
    ];
    return { frames, ...context };
  }
  return { frames: [frameOf(record)], ...context };
}

/** Parses the seed's query-string form. */
export function parseAckQuery(query: URLSearchParams): AckRequestBody {
  const ids = query.getAll("message_id").filter((id) => id !== "");
  if (ids.length === 0) throw invalid("name the message: message_id is required");
  const status = query.get("status") ?? query.get("action") ?? query.get("type") ?? "ack";
  const retryText = query.get("retry");
  const retry = retryText === null ? true : retryText === "true" || retryText === "1";
  const reason = query.get("reason") ?? "";
  const frames = ids.map((id) => frameOf({ type: status, message_id: id, retry, reason }));
  const channel = query.get("channel");
  const group = query.get("group");
  return {
    frames,
    ...(channel === null || channel === "" ? {} : { channel }),
    ...(group === null || group === "" ? {} : { group }),
  };
}
