/**
 * Raw JetStream API requests for the few calls the client library does not
 * type for nats-server 2.9 (`next_by_subj` message gets), plus the mapping
 * of client failures onto BufferUnavailableError, and JSON subscriptions.
 */
import { JetStreamApiError } from "@nats-io/jetstream";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { BufferUnavailableError, WebhookConnectError } from "../../errors.js";

/** JetStream error code: no message at the requested sequence. */
export const ERR_NO_MESSAGE = 10037;
/** JetStream error code: stream not found. */
export const ERR_STREAM_NOT_FOUND = 10059;
/** JetStream error code: consumer not found. */
export const ERR_CONSUMER_NOT_FOUND = 10014;
/** JetStream error code: the stream holds `max_msgs` (discard new). */
export const ERR_MAX_MESSAGES = 10077;

/** A message read directly from a stream. */
export interface StoredMessage {
  /** Stream sequence. */
  readonly seq: number;
  /** Subject it was published on. */
  readonly subject: string;
  /** Payload. */
  readonly data: Uint8Array;
  /** Headers as sent (`Name: value` lines parsed). */
  readonly headers: ReadonlyMap<string, string>;
}

/** An error answer of the JetStream API. */
export class JetStreamApiFailure extends Error {
  /** JetStream `err_code` (e.g. 10037). */
  readonly errCode: number;

  constructor(errCode: number, description: string) {
    super(description);
    this.name = "JetStreamApiFailure";
    this.errCode = errCode;
  }
}

/** The JetStream `err_code` of an error from the client library or a raw request, if any. */
export function errCodeOf(error: unknown): number | undefined {
  if (error instanceof JetStreamApiFailure) return error.errCode;
  if (error instanceof JetStreamApiError) return error.code;
  return undefined;
}

/** Wraps anything but our own errors into BufferUnavailableError. */
export function unavailable(what: string, error: unknown): WebhookConnectError {
  if (error instanceof WebhookConnectError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new BufferUnavailableError(`NATS JetStream: ${what} failed: ${detail}`, error);
}

/** Sends a JetStream API request and parses the JSON answer; throws JetStreamApiFailure. */
export async function apiRequest<T>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs: number,
): Promise<T> {
  const reply = await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs });
  const parsed = reply.json<
    T & { error?: { err_code?: number; code?: number; description?: string } }
  >();
  if (parsed.error !== undefined) {
    throw new JetStreamApiFailure(
      parsed.error.err_code ?? parsed.error.code ?? 0,
      parsed.error.description ?? "JetStream API error",
    );
  }
  return parsed;
}

interface RawStoredMessage {
  message: { subject: string; seq: number; hdrs?: string; data?: string };
}

function parseHeaderBlock(encoded: string | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  if (encoded === undefined || encoded === "") return headers;
  const lines = globalThis.Buffer.from(encoded, "base64").toString("utf8").split("\r\n");
  // The first line is the `NATS/1.0` preamble.
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Reads the first message at or after `seq` on a subject matching `subject`,
 * or undefined when there is none. Uses `next_by_subj` (nats-server ≥ 2.9).
 */
export async function getNextMessage(
  nc: NatsConnection,
  stream: string,
  seq: number,
  subject: string,
  timeoutMs: number,
): Promise<StoredMessage | undefined> {
  try {
    const { message } = await apiRequest<RawStoredMessage>(
      nc,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      { seq, next_by_subj: subject },
      timeoutMs,
    );
    return {
      seq: message.seq,
      subject: message.subject,
      data: globalThis.Buffer.from(message.data ?? "", "base64"),
      headers: parseHeaderBlock(message.hdrs),
    };
  } catch (error) {
    if (errCodeOf(error) === ERR_NO_MESSAGE) return undefined;
    throw error;
  }
}

/** Deletes one message from a stream; false when it was already gone. */
export async function deleteMessage(
  nc: NatsConnection,
  stream: string,
  seq: number,
  timeoutMs: number,
): Promise<boolean> {
  try {
    const answer = await apiRequest<{ success: boolean }>(
      nc,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
      { seq, no_erase: true },
      timeoutMs,
    );
    return answer.success;
  } catch (error) {
    if (errCodeOf(error) === ERR_NO_MESSAGE) return false;
    throw error;
  }
}

/** Reads a header of a NATS message. */
export function headerOf(headers: MsgHdrs | undefined, name: string): string | undefined {
  const value = headers?.get(name);
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Subscribes to `subject` (in the queue group `queue`, if given) and hands
 * each message's JSON body to `handle`. A body that is not JSON comes from
 * no replica of ours: it is dropped unanswered.
 */
export function subscribeJson<T>(
  nc: NatsConnection,
  subject: string,
  handle: (value: T, msg: Msg) => void,
  queue?: string,
): Subscription {
  return nc.subscribe(subject, {
    ...(queue === undefined ? {} : { queue }),
    callback: (_error, msg) => {
      let value: T;
      try {
        value = msg.json<T>();
      } catch {
        return;
      }
      handle(value, msg);
    },
  });
}
