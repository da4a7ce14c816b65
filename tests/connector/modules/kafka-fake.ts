/**
 * A protocol-level Kafka broker stand-in for the `kafka` module tests: one
 * node that owns every partition of the topics it is told about, speaking
 * just enough of the wire protocol for a producer — ApiVersions (v0–v2),
 * Metadata v0 and Produce v3 with uncompressed record batches (magic 2).
 * It records every produced record so a test can read them back.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";

/** One record as the broker received it. */
export interface FakeKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Buffer | null }>;
  readonly timestamp: bigint;
  readonly acks: number;
}

/** A running fake broker. */
export interface FakeKafka {
  readonly port: number;
  readonly records: FakeKafkaRecord[];
  /** Makes produce requests for `topic` fail with a Kafka error code (0 clears it). */
  failTopic(topic: string, errorCode: number): void;
  close(): Promise<void>;
}

const API_PRODUCE = 0;
const API_METADATA = 3;
const API_VERSIONS = 18;

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}
  int8() {
    return this.buf.readInt8(this.offset++);
  }
  int16() {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32() {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  int64() {
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const v = this.buf.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return v;
  }
  bytes(length: number): Buffer | null {
    if (length < 0) return null;
    const v = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }
  varint(): number {
    let shift = 0;
    let value = 0;
    for (;;) {
      const byte = this.buf.readUInt8(this.offset++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return (value >>> 1) ^ -(value & 1);
  }
}

class Writer {
  private readonly parts: Buffer[] = [];
  /** Appends a `size`-byte big-endian field that `write` fills. */
  private fixed(size: number, write: (field: Buffer) => void) {
    const field = Buffer.alloc(size);
    write(field);
    this.parts.push(field);
    return this;
  }
  int16(v: number) {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number) {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }
  int64(v: bigint) {
    return this.fixed(8, (b) => b.writeBigInt64BE(v));
  }
  string(v: string) {
    const s = Buffer.from(v, "utf8");
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function decodeRecordBatches(topic: string, partition: number, acks: number, set: Buffer) {
  const out: FakeKafkaRecord[] = [];
  const r = new Reader(set);
  while (r.offset < set.length) {
    r.int64(); // base offset
    const batchLength = r.int32();
    const end = r.offset + batchLength;
    r.int32(); // partition leader epoch
    const magic = r.int8();
    if (magic !== 2) throw new Error(`fake kafka: record batch magic ${magic} not supported`);
    r.int32(); // crc
    const attributes = r.int16();
    if ((attributes & 0x07) !== 0) throw new Error("fake kafka: compressed batches not supported");
    r.int32(); // last offset delta
    const firstTimestamp = r.int64();
    r.int64(); // max timestamp
    r.int64(); // producer id
    r.int16(); // producer epoch
    r.int32(); // base sequence
    const count = r.int32();
    for (let i = 0; i < count; i++) {
      r.varint(); // record length
      r.int8(); // attributes
      const timestampDelta = r.varint();
      r.varint(); // offset delta
      const key = r.bytes(r.varint());
      const value = r.bytes(r.varint());
      const headerCount = r.varint();
      const headers = [];
      for (let h = 0; h < headerCount; h++) {
        const headerKey = r.bytes(r.varint())?.toString("utf8") ?? "";
        headers.push({ key: headerKey, value: r.bytes(r.varint()) });
      }
      out.push({
        topic,
        partition,
        key: key === null ? null : Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        headers,
        timestamp: firstTimestamp + BigInt(timestampDelta),
        acks,
      });
    }
    r.offset = end;
  }
  return out;
}

/** Starts the fake broker on 127.0.0.1 and a free port, serving `topics` (one partition each). */
export async function startFakeKafka(topics: readonly string[]): Promise<FakeKafka> {
  const records: FakeKafkaRecord[] = [];
  const failures = new Map<string, number>();
  const sockets = new Set<Socket>();
  let port = 0;

  function respond(api: number, version: number, body: Reader): Buffer {
    if (api === API_VERSIONS) {
      const w = new Writer().int16(0).int32(3);
      w.int16(API_PRODUCE).int16(3).int16(3);
      w.int16(API_METADATA).int16(0).int16(0);
      w.int16(API_VERSIONS).int16(0).int16(2);
      if (version >= 1) w.int32(0);
      return w.done();
    }
    if (api === API_METADATA) {
      const requested: string[] = [];
      const count = body.int32();
      for (let i = 0; i < count; i++) requested.push(body.string() ?? "");
      const names = requested.length === 0 ? [...topics] : requested;
      const w = new Writer().int32(1).int32(0).string("127.0.0.1").int32(port);
      w.int32(names.length);
      for (const name of names) {
        const known = topics.includes(name);
        w.int16(known ? 0 : 3).string(name);
        if (!known) {
          w.int32(0);
          continue;
        }
        w.int32(1).int16(0).int32(0).int32(0).int32(1).int32(0).int32(1).int32(0);
      }
      return w.done();
    }
    if (api === API_PRODUCE) {
      body.string(); // transactional id
      const acks = body.int16();
      body.int32(); // timeout
      const results: Array<{ topic: string; partition: number; error: number }> = [];
      const topicCount = body.int32();
      for (let t = 0; t < topicCount; t++) {
        const topic = body.string() ?? "";
        const partitionCount = body.int32();
        for (let p = 0; p < partitionCount; p++) {
          const partition = body.int32();
          const set = body.bytes(body.int32()) ?? Buffer.alloc(0);
          const error = failures.get(topic) ?? 0;
          if (error === 0) records.push(...decodeRecordBatches(topic, partition, acks, set));
          results.push({ topic, partition, error });
        }
      }
      const w = new Writer().int32(results.length);
      for (const result of results) {
        w.string(result.topic).int32(1).int32(result.partition).int16(result.error);
        w.int64(BigInt(records.length)).int64(-1n);
      }
      return w.int32(0).done();
    }
    throw new Error(`fake kafka: api ${api} v${version} not implemented`);
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const r = new Reader(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        const api = r.int16();
        const version = r.int16();
        const correlationId = r.int32();
        r.string(); // client id
        let body: Buffer;
        try {
          body = respond(api, version, r);
        } catch {
          socket.destroy();
          return;
        }
        const header = Buffer.alloc(8);
        header.writeInt32BE(4 + body.length, 0);
        header.writeInt32BE(correlationId, 4);
        socket.write(Buffer.concat([header, body]));
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
  return {
    port,
    records,
    failTopic(topic, errorCode) {
      if (errorCode === 0) failures.delete(topic);
      else failures.set(topic, errorCode);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
