/**
 * What a durable anchor stores per webhook, as one record
 * `[u32 envelope length][envelope][body]`. The envelope is JSON: for the
 * SQLite anchor the raw request headers only (issue #12: a row holds the
 * headers and the body; its sequence is the row's key); for the JetStream
 * anchor also a random message id, the receive time and the path (~300
 * bytes, so the payload is as large as the receiver's stored message). A
 * loop turn's records are packed as `[u32 record length][record]…` into
 * one buffer that owns its memory, so it can be transferred to a writer
 * thread without a copy.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";

/** One webhook, ready to be written. */
export interface AnchorRecord {
  readonly envelope: string;
  readonly envelopeBytes: number;
  readonly body: Buffer;
}

/** What the envelope holds: the headers, or the headers with a message's id, time and path. */
export type EnvelopeKind = "headers" | "message";

/** The record of an accepted request. */
export function anchorRecord(
  req: http.IncomingMessage,
  body: Buffer,
  kind: EnvelopeKind,
): AnchorRecord {
  const envelope = JSON.stringify(
    kind === "headers"
      ? req.rawHeaders
      : { id: randomUUID(), received_at: Date.now(), path: req.url, headers: req.rawHeaders },
  );
  return { envelope, envelopeBytes: Buffer.byteLength(envelope), body };
}

/** Bytes of a record once written. */
export function recordBytes(record: AnchorRecord): number {
  return 4 + record.envelopeBytes + record.body.length;
}

/** Packs `records` into one buffer with its own ArrayBuffer (transferable). */
export function packRecords(records: readonly AnchorRecord[]): Buffer {
  let total = 0;
  for (const record of records) total += 4 + recordBytes(record);
  const packed = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  for (const record of records) {
    offset = packed.writeUInt32LE(recordBytes(record), offset);
    offset = packed.writeUInt32LE(record.envelopeBytes, offset);
    offset += packed.write(record.envelope, offset, "utf8");
    offset += record.body.copy(packed, offset);
  }
  return packed;
}

/** Calls `visit` with a view of each record in `packed` (no copies). */
export function forEachRecord(packed: Buffer, visit: (record: Buffer) => void): void {
  let offset = 0;
  while (offset < packed.length) {
    const length = packed.readUInt32LE(offset);
    offset += 4;
    visit(packed.subarray(offset, offset + length));
    offset += length;
  }
}
