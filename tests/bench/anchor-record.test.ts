/**
 * The ingest anchors' shared parts: the record framing a writer thread and
 * the JetStream anchor read back, and the signature check (one valid
 * request, then one thing broken per test).
 */
import { createHmac } from "node:crypto";
import type http from "node:http";
import { describe, expect, it } from "vitest";
import {
  anchorRecord,
  forEachRecord,
  packRecords,
  recordBytes,
} from "../../bench/workers/anchor-record.js";
import { createSignatureCheck } from "../../bench/workers/signed-request.js";

const SIGNING = { secret: "test-secret", header: "X-Test-Signature" };

function request(headers: Record<string, string>): http.IncomingMessage {
  const rawHeaders = Object.entries(headers).flat();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { url: "/webhook/x", headers: lower, rawHeaders } as unknown as http.IncomingMessage;
}

describe("packRecords / forEachRecord", () => {
  it("gives back every record, envelope then body, in order", () => {
    const bodies = [Buffer.from('{"a":1}'), Buffer.from('{"b":"ü"}'), Buffer.alloc(0)];
    const records = bodies.map((body) => anchorRecord(request({ "X-Id": "é" }), body, "message"));
    const packed = packRecords(records);
    const seen: Buffer[] = [];
    forEachRecord(packed, (record) => seen.push(Buffer.from(record)));
    expect(seen).toHaveLength(3);
    seen.forEach((record, index) => {
      const envelopeBytes = record.readUInt32LE(0);
      const envelope = JSON.parse(record.toString("utf8", 4, 4 + envelopeBytes));
      expect(envelope.headers).toEqual(["X-Id", "é"]);
      expect(record.subarray(4 + envelopeBytes)).toEqual(bodies[index]);
      expect(record.length).toBe(recordBytes(records[index]!));
    });
  });

  it("packs into a buffer that owns its memory, so it can be transferred", () => {
    const packed = packRecords([anchorRecord(request({}), Buffer.from("{}"), "headers")]);
    expect(packed.byteOffset).toBe(0);
    expect(packed.buffer.byteLength).toBe(packed.length);
  });
});

describe("createSignatureCheck", () => {
  const check = createSignatureCheck(SIGNING);
  const body = Buffer.from('{"event":"x"}');
  const valid = createHmac("sha256", SIGNING.secret).update(body).digest("hex");

  it("accepts the signature of the body", () => {
    expect(check(request({ [SIGNING.header]: valid }), body)).toBe(true);
  });

  it("rejects a signature of another body", () => {
    expect(check(request({ [SIGNING.header]: valid }), Buffer.from('{"event":"y"}'))).toBe(false);
  });

  it("rejects a missing signature", () => {
    expect(check(request({}), body)).toBe(false);
  });

  it("rejects a valid signature with a trailing character", () => {
    expect(check(request({ [SIGNING.header]: `${valid}0` }), body)).toBe(false);
  });

  it("rejects a signature whose last digit is not hex", () => {
    expect(check(request({ [SIGNING.header]: `${valid.slice(0, 63)}z` }), body)).toBe(false);
  });
});

describe("anchorRecord", () => {
  const req = request({ "Content-Type": "application/json" });

  it("holds only the raw headers for the SQLite anchor", () => {
    expect(JSON.parse(anchorRecord(req, Buffer.from("{}"), "headers").envelope)).toEqual([
      "Content-Type",
      "application/json",
    ]);
  });

  it("holds a message id, time and path besides the headers for the JetStream anchor", () => {
    const envelope = JSON.parse(anchorRecord(req, Buffer.from("{}"), "message").envelope);
    expect(envelope).toMatchObject({
      path: "/webhook/x",
      headers: ["Content-Type", "application/json"],
    });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof envelope.received_at).toBe("number");
  });
});
