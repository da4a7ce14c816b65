import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  HeaderSchema,
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../gen/webhookconnect/v1/message_pb.js";
import {
  decodeWebhookMessage,
  encodeWebhookMessage,
  encodeWebhookMessageField,
  MessageDecodeError,
} from "../../wire/webhook-message.js";

/** A small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return { next, int };
}

type Rng = ReturnType<typeof prng>;

const alphabet = ["a", "Z", "0", "-", " ", "é", "ß", "€", "中", "😀", "\u0000", "\n", "\t", '"'];

function randomString(rng: Rng): string {
  const kind = rng.int(40);
  if (kind < 6) return "";
  // Lengths that cross the one/two/three-byte varint boundaries.
  const length = kind === 39 ? 16_000 + rng.int(1_000) : rng.int(140);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[rng.int(alphabet.length)];
  return out;
}

function randomBigUint64(rng: Rng): bigint {
  const pick = rng.int(5);
  if (pick === 0) return 0n;
  if (pick === 1) return BigInt(rng.int(1000));
  if (pick === 2) return (1n << 64n) - 1n - BigInt(rng.int(1000));
  if (pick === 3) return (1n << 53n) + BigInt(rng.int(1000));
  return BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31));
}

function randomTimestamp(rng: Rng): Timestamp | undefined {
  const pick = rng.int(6);
  if (pick === 0) return undefined;
  if (pick === 1) return create(TimestampSchema, {});
  const seconds = pick === 2 ? -BigInt(rng.int(2 ** 31)) : BigInt(Math.floor(1.7e9 + rng.int(1e8)));
  const nanos = pick === 3 ? -rng.int(1e9) : rng.int(1e9);
  return create(TimestampSchema, { seconds, nanos });
}

function randomBody(rng: Rng): Uint8Array {
  const pick = rng.int(4);
  const length = pick === 0 ? 0 : pick === 1 ? rng.int(200) : rng.int(20_000);
  const body = new Uint8Array(length);
  for (let i = 0; i < length; i++) body[i] = rng.int(256);
  return body;
}

function randomMessage(rng: Rng): WebhookMessage {
  const headers = Array.from({ length: rng.int(4) === 0 ? 0 : rng.int(40) }, () =>
    create(HeaderSchema, { name: randomString(rng), value: randomString(rng) }),
  );
  const receivedAt = randomTimestamp(rng);
  const expiresAt = randomTimestamp(rng);
  return create(WebhookMessageSchema, {
    messageId: randomString(rng),
    channel: randomString(rng),
    webhookId: randomString(rng),
    ...(receivedAt === undefined ? {} : { receivedAt }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    sequence: randomBigUint64(rng),
    deliveryAttempt: rng.int(3) === 0 ? 0 : rng.int(3) === 0 ? 2 ** 32 - 1 : rng.int(300),
    method: randomString(rng),
    path: randomString(rng),
    query: randomString(rng),
    headers,
    body: randomBody(rng),
    contentType: randomString(rng),
    sourceIp: randomString(rng),
    traceparent: randomString(rng),
    scheme: randomString(rng),
  });
}

const reference = (message: WebhookMessage) => toBinary(WebhookMessageSchema, message);

describe("WebhookMessage codec", () => {
  it("encodes 300 generated messages byte for byte like protobuf-es", () => {
    const rng = prng(0x5eed);
    for (let i = 0; i < 300; i++) {
      const message = randomMessage(rng);
      const ours = encodeWebhookMessage(message);
      expect(Buffer.compare(ours, Buffer.from(reference(message))), `message ${i}`).toBe(0);
    }
  });

  it("decodes 300 generated messages to what protobuf-es decodes", () => {
    const rng = prng(0xdec0de);
    for (let i = 0; i < 300; i++) {
      const bytes = reference(randomMessage(rng));
      const ours = decodeWebhookMessage(bytes);
      const theirs = fromBinary(WebhookMessageSchema, bytes);
      expect(equals(WebhookMessageSchema, ours, theirs), `message ${i}`).toBe(true);
      expect(Buffer.compare(Buffer.from(reference(ours)), Buffer.from(bytes))).toBe(0);
    }
  });

  it("applies overrides without touching the message", () => {
    const rng = prng(7);
    const message = randomMessage(rng);
    const expiresAt = create(TimestampSchema, { seconds: 1_900_000_000n, nanos: 5 });
    const encoded = encodeWebhookMessage(message, {
      sequence: 0n,
      deliveryAttempt: 0,
      expiresAt,
    });
    const expected = create(WebhookMessageSchema, {
      ...message,
      sequence: 0n,
      deliveryAttempt: 0,
      expiresAt,
    });
    expect(Buffer.compare(encoded, Buffer.from(reference(expected)))).toBe(0);
    const cleared = encodeWebhookMessage(message, { expiresAt: undefined });
    expect(decodeWebhookMessage(cleared).expiresAt).toBeUndefined();
    expect(decodeWebhookMessage(encodeWebhookMessage(message)).sequence).toBe(message.sequence);
  });

  it("reads non-canonical input: any order, repeats, split sub-messages, unknown fields", () => {
    const w = new BinaryWriter();
    w.tag(12, WireType.LengthDelimited).bytes(new Uint8Array([1, 2, 3]));
    w.tag(1, WireType.LengthDelimited).string("first-id");
    w.tag(99, WireType.Varint).uint64(12345n);
    w.tag(4, WireType.LengthDelimited).bytes(
      toBinary(TimestampSchema, create(TimestampSchema, { seconds: 100n })),
    );
    w.tag(6, WireType.Varint).uint64(5n);
    w.tag(11, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string("v");
    w.tag(1, WireType.LengthDelimited).string("n").tag(7, WireType.Bit32).fixed32(9).join();
    w.tag(100, WireType.Bit64).fixed64(77n);
    w.tag(101, WireType.StartGroup).tag(1, WireType.Varint).int32(3).tag(101, WireType.EndGroup);
    w.tag(4, WireType.LengthDelimited).bytes(
      toBinary(TimestampSchema, create(TimestampSchema, { nanos: 7 })),
    );
    w.tag(1, WireType.LengthDelimited).string("last-id");
    w.tag(6, WireType.Varint).uint64(6n);
    w.tag(102, WireType.LengthDelimited).bytes(new Uint8Array([9, 9]));
    const bytes = w.finish();

    const ours = decodeWebhookMessage(bytes);
    const theirs = fromBinary(WebhookMessageSchema, bytes);
    expect(equals(WebhookMessageSchema, ours, theirs)).toBe(true);
    expect(ours.messageId).toBe("last-id");
    expect(ours.sequence).toBe(6n);
    expect(ours.receivedAt).toMatchObject({ seconds: 100n, nanos: 7 });
    expect(ours.headers[0]).toMatchObject({ name: "n", value: "v" });
    // Unknown fields survive a round trip through our encoder, as through protobuf-es.
    expect(ours.$unknown?.map((field) => field.no)).toEqual([99, 100, 101, 102]);
    expect(Buffer.compare(encodeWebhookMessage(ours), Buffer.from(reference(theirs)))).toBe(0);
  });

  it("gives a plain Uint8Array body, not a Node Buffer", () => {
    const message = create(WebhookMessageSchema, { body: new Uint8Array([1, 2]) });
    const decoded = decodeWebhookMessage(Buffer.from(reference(message)));
    expect(Buffer.isBuffer(decoded.body)).toBe(false);
    expect([...decoded.body]).toEqual([1, 2]);
  });

  it("rejects truncated and malformed input with MessageDecodeError", () => {
    const bytes = reference(randomMessage(prng(11)));
    for (const cut of [1, 2, 5, Math.floor(bytes.length / 2), bytes.length - 1]) {
      if (cut >= bytes.length) continue;
      expect(() => decodeWebhookMessage(bytes.subarray(0, cut)), `cut ${cut}`).toThrow(
        MessageDecodeError,
      );
    }
    // Field 1 sent as a varint, a length past the end, a bad wire type, field number 0.
    for (const bad of [[0x08, 0x01], [0x0a, 0x7f, 0x41], [0x0f], [0x02, 0x00]]) {
      expect(() => decodeWebhookMessage(new Uint8Array(bad)), `${bad}`).toThrow(MessageDecodeError);
    }
    // An over-long varint.
    expect(() => decodeWebhookMessage(new Uint8Array([0x30, ...Array(11).fill(0xff)]))).toThrow(
      MessageDecodeError,
    );
  });

  it("encodes a message as a length-delimited field value, with or without its tag", () => {
    for (const size of [0, 1, 100, 127, 128, 16_383, 16_384, 70_000]) {
      const message = create(WebhookMessageSchema, {
        messageId: "m",
        body: new Uint8Array(size).fill(3),
      });
      const plain = toBinary(WebhookMessageSchema, message);
      const value = new BinaryWriter().bytes(plain).finish();
      const field = new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(plain).finish();
      expect(Buffer.compare(encodeWebhookMessageField(message), Buffer.from(value))).toBe(0);
      expect(Buffer.compare(encodeWebhookMessageField(message, 0x12), Buffer.from(field))).toBe(0);
    }
  });
});
