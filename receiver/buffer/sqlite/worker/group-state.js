// @ts-check
/**
 * The stored form of a group's consumer state (see consumer-group.ts): one
 * small binary record, written once per round in which the group changed.
 * Float64 values: format (1), cursor, the number of outstanding messages,
 * then per message its sequence, attempt count, retry time and first
 * failure time (ms since epoch, 0 for none). Binary because it is written
 * on every round of a busy group: serialising it as JSON cost more than
 * the rest of the round on the main thread.
 */

const FORMAT = 1;
const HEADER = 3;
const FIELDS = 4;

/**
 * @typedef {readonly [seq: number, attempt: number, availableAt: number, firstFailedAt: number]} OutstandingRecord
 */

/**
 * @param {number} cursor
 * @param {readonly OutstandingRecord[]} out
 * @returns {Uint8Array}
 */
export function encodeGroupState(cursor, out) {
  const values = new Float64Array(HEADER + FIELDS * out.length);
  values[0] = FORMAT;
  values[1] = cursor;
  values[2] = out.length;
  let at = HEADER;
  for (const record of out) {
    values[at++] = record[0];
    values[at++] = record[1];
    values[at++] = record[2];
    values[at++] = record[3];
  }
  return new Uint8Array(values.buffer);
}

/**
 * @param {Uint8Array} bytes
 * @returns {{ cursor: number, out: OutstandingRecord[] }}
 */
export function decodeGroupState(bytes) {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const values = new Float64Array(copy.buffer, 0, Math.floor(bytes.byteLength / 8));
  if (values[0] !== FORMAT || values.length < HEADER) {
    throw new Error(`unknown group state format ${values[0]}`);
  }
  const count = values[2] ?? 0;
  if (values.length !== HEADER + FIELDS * count) throw new Error("truncated group state");
  /** @type {OutstandingRecord[]} */
  const out = [];
  for (let at = HEADER; at < values.length; at += FIELDS) {
    out.push([values[at] ?? 0, values[at + 1] ?? 0, values[at + 2] ?? 0, values[at + 3] ?? 0]);
  }
  return { cursor: values[1] ?? 0, out };
}
