/**
 * A delivery's bytes: a stored WebhookMessage with its `sequence` (field 6)
 * and `delivery_attempt` (field 7) appended. Protobuf allows fields in any
 * order and takes the last value of a repeated scalar, so the stored bytes
 * go to the wire as they are, whatever sequence and attempt they held.
 */
import { varintSize, writeVarint } from "./proto-writer.js";

/** `stored` followed by `sequence` and `attempt` as fields 6 and 7. */
export function withDeliveryFields(stored: Uint8Array, sequence: number, attempt: number): Buffer {
  const out = Buffer.allocUnsafe(
    stored.byteLength + 2 + varintSize(sequence) + varintSize(attempt),
  );
  out.set(stored, 0);
  let at = stored.byteLength;
  out[at++] = 6 << 3;
  at = writeVarint(out, at, sequence);
  out[at++] = 7 << 3;
  writeVarint(out, at, attempt);
  return out;
}
