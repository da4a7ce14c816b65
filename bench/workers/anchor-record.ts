/**
 * What a durable anchor stores per webhook, about as large as the
 * receiver's stored message: a JSON envelope (random message id, receive
 * time, path, the raw request headers; ~300 bytes) and the body, as one
 * record `[u32 envelope length][envelope][body]`. A loop turn's records
 * are packed as `[u32 record length][record]…` into one buffer that owns
 * its memory, so it can be transferred to a writer thread without a copy.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";

/** One webhook, ready to be written. */
export interface AnchorRecord {
  readonly envelope: string;
  readonly envelopeBytes: number;
  readonly body: Buffer;
}

/** The record of an accepted request. */
export function anchorRecord(req: http.IncomingMessage, body: Buffer): AnchorRecord {
  const envelope = JSON.stringify({
    id: randomUUID(),
    received_at: Date.now(),
    path: req.url,
    headers: req.rawHeaders,
  });
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
