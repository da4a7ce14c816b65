/**
 * The ingest encoder writes exactly the bytes of the generic encoder for
 * the same message: checked on generated requests (unicode, empty values,
 * pseudo-headers, long strings, empty bodies, whole-second times).
 */
import { toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WebhookMessageSchema } from "../../gen/webhookconnect/v1/message_pb.js";
import { encodeMessage } from "../../receiver/buffer/sqlite/codec.js";
import { buildMessage } from "../../receiver/ingest/message.js";
import { encodeIngestedMessage, type IngestedFields } from "../../wire/ingested-message.js";
import { encodeWebhookMessage } from "../../wire/webhook-message.js";

function prng(seed: number) {
  let state = seed >>> 0;
  return (max: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

const alphabet = [
  "a",
  "Z",
  "0",
  "-",
  " ",
  "é",
  "ß",
  "€",
  "中",
  "😀",
  "\u0000",
  "\n",
  '"',
  "\u00ff",
];

function fieldsOf(int: (max: number) => number): IngestedFields {
  const text = (max = 90) => {
    if (int(8) === 0) return "";
    const length = int(20) === 0 ? 200 + int(20_000) : int(max);
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  const rawHeaders: string[] = [];
  const headerCount = int(12);
  for (let i = 0; i < headerCount; i++) {
    rawHeaders.push(int(10) === 0 ? `:pseudo${i}` : text(30), text());
  }
  const body = new Uint8Array(int(4) === 0 ? 0 : int(3_000));
  for (let i = 0; i < body.length; i++) body[i] = int(256);
  const time = () =>
    int(5) === 0 ? 0 : int(5) === 0 ? 1_700_000_000_000 : 1_700_000_000_000 + int(2 ** 30);
  return {
    messageId: text(40),
    channel: text(64),
    webhookId: text(64),
    receivedAtMs: time(),
    expiresAtMs: time(),
    method: text(8),
    path: text(),
    query: text(),
    rawHeaders,
    body,
    contentType: text(),
    sourceIp: text(40),
    traceparent: text(60),
    scheme: text(8),
  };
}

describe("ingest encoder", () => {
  it("writes the generic encoders' bytes for 2,000 generated messages", () => {
    const int = prng(20261207);
    for (let run = 0; run < 2_000; run++) {
      const fields = fieldsOf(int);
      const direct = encodeIngestedMessage(fields);
      const message = buildMessage(fields);
      expect(Buffer.compare(direct, encodeWebhookMessage(message)), `run ${run}`).toBe(0);
      expect(Buffer.compare(direct, Buffer.from(encodeMessage(message, fields.expiresAtMs)))).toBe(
        0,
      );
      expect(Buffer.compare(direct, Buffer.from(toBinary(WebhookMessageSchema, message)))).toBe(0);
    }
  });

  it("refuses times before 1970 (the fast path handles whole positive milliseconds)", () => {
    const fields = fieldsOf(prng(1));
    expect(() => encodeIngestedMessage({ ...fields, receivedAtMs: -1 })).toThrow(RangeError);
  });
});
