/**
 * The stored form of a new webhook, encoded straight from the request:
 * the bytes `encodeWebhookMessage` would write for the WebhookMessage the
 * ingest handler used to build (sequence and attempt unset, expiry set),
 * without building that object first. Each accepted webhook is encoded
 * once, on the receiver's busiest path; tests/wire compares the
 * two encoders byte for byte.
 */
import { utf8Length, varintSize, Writer } from "./proto-writer.js";

/** What a new message is made of. */
export interface IngestedFields {
  readonly messageId: string;
  readonly channel: string;
  readonly webhookId: string;
  /** When it was received (ms since epoch, whole). */
  readonly receivedAtMs: number;
  /** When it expires (ms since epoch, whole). */
  readonly expiresAtMs: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Header names and values as received, alternating; pseudo-headers (`:path`) are skipped. */
  readonly rawHeaders: readonly string[];
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly sourceIp: string;
  readonly traceparent: string;
  /** Scheme the sender used to reach the receiver (`https`/`http`). */
  readonly scheme: string;
}

const LENGTH_DELIMITED = 2;

/** Encoded size of a Timestamp body for whole milliseconds. */
function timestampSize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

function writeTimestamp(w: Writer, field: number, ms: number, size: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  w.byte((field << 3) | LENGTH_DELIMITED);
  w.varint(size);
  if (seconds !== 0) {
    w.byte(1 << 3);
    w.varint(seconds);
  }
  if (nanos !== 0) {
    w.byte(2 << 3);
    w.varint(nanos);
  }
}

function stringSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function writeString(w: Writer, field: number, value: string, length: number): void {
  if (length === 0) return;
  w.byte((field << 3) | LENGTH_DELIMITED);
  w.string(value, length);
}

/** Tag of `scheme` (field 16): the first field whose tag takes two bytes. */
const SCHEME_TAG = (16 << 3) | LENGTH_DELIMITED;

/** Encodes a new message in its stored form (see the module comment). */
export function encodeIngestedMessage(f: IngestedFields): Buffer {
  if (f.receivedAtMs < 0 || f.expiresAtMs < 0) {
    throw new RangeError("timestamps before 1970 are not encoded by this path");
  }
  const ids = [
    utf8Length(f.messageId),
    utf8Length(f.channel),
    utf8Length(f.webhookId),
    utf8Length(f.method),
    utf8Length(f.path),
    utf8Length(f.query),
    utf8Length(f.contentType),
    utf8Length(f.sourceIp),
    utf8Length(f.traceparent),
    utf8Length(f.scheme),
  ] as const;
  const received = timestampSize(f.receivedAtMs);
  const expires = timestampSize(f.expiresAtMs);
  let size =
    stringSize(ids[0]) +
    stringSize(ids[1]) +
    stringSize(ids[2]) +
    1 +
    varintSize(received) +
    received +
    1 +
    varintSize(expires) +
    expires +
    stringSize(ids[3]) +
    stringSize(ids[4]) +
    stringSize(ids[5]) +
    stringSize(ids[6]) +
    stringSize(ids[7]) +
    stringSize(ids[8]) +
    (ids[9] === 0 ? 0 : 2 + varintSize(ids[9]) + ids[9]);
  const raw = f.rawHeaders;
  const headerSizes: number[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith(":")) continue;
    const nameLength = utf8Length(name);
    const valueLength = utf8Length(raw[i + 1]!);
    const inner = stringSize(nameLength) + stringSize(valueLength);
    headerSizes.push(nameLength, valueLength, inner);
    size += 1 + varintSize(inner) + inner;
  }
  const bodyLength = f.body.byteLength;
  if (bodyLength > 0) size += 1 + varintSize(bodyLength) + bodyLength;

  const w = new Writer(Buffer.allocUnsafe(size));
  writeString(w, 1, f.messageId, ids[0]);
  writeString(w, 2, f.channel, ids[1]);
  writeString(w, 3, f.webhookId, ids[2]);
  writeTimestamp(w, 4, f.receivedAtMs, received);
  writeTimestamp(w, 5, f.expiresAtMs, expires);
  writeString(w, 8, f.method, ids[3]);
  writeString(w, 9, f.path, ids[4]);
  writeString(w, 10, f.query, ids[5]);
  let next = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith(":")) continue;
    const nameLength = headerSizes[next++]!;
    const valueLength = headerSizes[next++]!;
    w.byte((11 << 3) | LENGTH_DELIMITED);
    w.varint(headerSizes[next++]!);
    writeString(w, 1, name, nameLength);
    writeString(w, 2, raw[i + 1]!, valueLength);
  }
  if (bodyLength > 0) {
    w.byte((12 << 3) | LENGTH_DELIMITED);
    w.bytes(f.body);
  }
  writeString(w, 13, f.contentType, ids[6]);
  writeString(w, 14, f.sourceIp, ids[7]);
  writeString(w, 15, f.traceparent, ids[8]);
  if (ids[9] > 0) {
    w.varint(SCHEME_TAG);
    w.string(f.scheme, ids[9]);
  }
  if (w.pos !== size) throw new Error(`ingested message encoder wrote ${w.pos} of ${size} bytes`);
  return w.buf;
}
