/**
 * Hostile input at a running receiver (SPEC §3.2): header count and size
 * limits, slow clients, bad names and encodings, HTTP/2 header floods,
 * compressed JSON. Each case is answered 4xx (or cut off) and nothing is
 * stored; after each one a normal webhook is still accepted.
 */
import http2 from "node:http2";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_GROUP } from "../../../receiver/buffer/buffer.js";
import { collectUntilClose, exchange, openSocket, type RawExchange } from "./raw-client.js";
import { type ReceiverFixture, relayed, send, startReceiverFixture } from "./receiver-fixture.js";

const LIMITS = {
  headersTimeoutMs: 500,
  requestTimeoutMs: 1_500,
  maxHeaderBytes: 8_192,
} as const;
/** How late a timeout may fire on a loaded machine (the check runs on an interval). */
const TIMEOUT_SLACK_MS = 2_500;

let fixture: ReceiverFixture;
let accepted = 0;

beforeAll(async () => {
  fixture = await startReceiverFixture(
    {
      hook: relayed("ch"),
      blob: relayed("ch", { data_type: "blob" }),
    },
    { limits: LIMITS },
  );
});

afterAll(async () => {
  await fixture?.close();
});

afterEach(async () => {
  // Nothing hostile was stored, and the receiver still takes a normal webhook.
  expect(await fixture.stored("ch")).toEqual([]);
  const answer = await send(`${fixture.url}/webhook/hook`, {
    headers: { "Content-Type": "application/json" },
    body: `{"n":${accepted}}`,
  });
  expect(answer.status).toBe(200);
  accepted += 1;
  const [message] = await fixture.stored("ch");
  expect(Buffer.from(message!.body).toString()).toBe(`{"n":${accepted - 1}}`);
  // Leased to the test: ack so the next case starts from an empty channel.
  await fixture.buffer.ack("ch", DEFAULT_GROUP, message!.messageId);
});

const GOAWAY = 0x7;

/** Types of the HTTP/2 frames in `bytes` (9-byte headers, 24-bit lengths). */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    types.push(bytes[at + 3]!);
  }
  return types;
}

function request(lines: readonly string[], body = ""): string {
  return `${[...lines, "Connection: close", `Content-Length: ${Buffer.byteLength(body)}`].join("\r\n")}\r\n\r\n${body}`;
}

describe("header limits", () => {
  it("answers 431 to more than 100 headers", async () => {
    const headers = Array.from({ length: 101 }, (_, i) => `X-H${i}: v`);
    const result = await exchange(
      fixture.port,
      request(["POST /webhook/hook HTTP/1.1", "Host: t", ...headers.slice(0, 99)], "{}"),
    );
    // 99 + Host + Connection + Content-Length = 102 headers.
    expect(result.statuses).toEqual([431]);
  });

  it("answers 431 when the headers exceed the size limit", async () => {
    const big = `X-Big: ${"a".repeat(LIMITS.maxHeaderBytes)}`;
    const result = await exchange(
      fixture.port,
      request(["POST /webhook/hook HTTP/1.1", "Host: t", big], "{}"),
    );
    expect(result.statuses).toEqual([431]);
  });
});

/**
 * Writes `next()` every 10 ms while `socket` is writable until the server
 * closes it, and checks the close came once `timeoutMs` had passed (within
 * the slack) with nothing but 4xx answers.
 */
async function expectCutOffWhileDripping(
  socket: Socket,
  closed: Promise<RawExchange>,
  next: () => Buffer | string,
  timeoutMs: number,
): Promise<void> {
  const drip = setInterval(() => {
    if (socket.writable) socket.write(next());
  }, 10);
  const result = await closed;
  clearInterval(drip);
  expect(result.durationMs).toBeGreaterThanOrEqual(timeoutMs - 50);
  expect(result.durationMs).toBeLessThan(timeoutMs + TIMEOUT_SLACK_MS);
  expect(result.statuses.every((status) => status >= 400 && status < 500)).toBe(true);
}

describe("slow clients", () => {
  it("cuts off a client sending its headers byte by byte (slowloris)", async () => {
    const socket = await openSocket(fixture.port);
    const closed = collectUntilClose(socket);
    const endless = Buffer.from(
      "POST /webhook/hook HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa",
    );
    let sent = 0;
    const nextByte = () => {
      const byte = endless.subarray(sent % endless.length, (sent % endless.length) + 1);
      sent += 1;
      return byte;
    };
    await expectCutOffWhileDripping(socket, closed, nextByte, LIMITS.headersTimeoutMs);
  });

  it("accepts a request whose first bytes arrive one by one (not taken for HTTP/2)", async () => {
    const socket = await openSocket(fixture.port);
    const closed = collectUntilClose(socket);
    const bytes = Buffer.from(request(["PUT /webhook/blob HTTP/1.1", "Host: t"], "slow-start"));
    // The HTTP/2 preface is 24 bytes; deliver more than that in 1-byte segments.
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < 30) {
        socket.write(bytes.subarray(sent, sent + 1));
        sent += 1;
        return;
      }
      clearInterval(drip);
      socket.write(bytes.subarray(sent));
    }, 5);
    const result = await closed;
    expect(result.statuses).toEqual([200]);
    const [message] = await fixture.stored("ch");
    expect(Buffer.from(message!.body).toString()).toBe("slow-start");
    await fixture.buffer.ack("ch", DEFAULT_GROUP, message!.messageId);
  });

  it("cuts off a client sending its body byte by byte", async () => {
    const socket = await openSocket(fixture.port);
    const closed = collectUntilClose(socket);
    socket.write(
      "POST /webhook/blob HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
    );
    await expectCutOffWhileDripping(socket, closed, () => "x", LIMITS.requestTimeoutMs);
  });
});

describe("bad request targets and methods", () => {
  it.each([
    ["..", "/webhook/.."],
    ["an encoded ..", "/webhook/%2E%2E"],
    ["a traversal", "/webhook/..%2F..%2Fetc%2Fpasswd"],
    ["65 characters", `/webhook/${"a".repeat(65)}`],
    ["a bad character", "/webhook/ho$ok"],
    ["a leading dot", "/webhook/.hook"],
    ["an encoded NUL", "/webhook/ho%00ok"],
    ["bad percent-encoding", "/webhook/%zz"],
    ["a truncated UTF-8 escape", "/webhook/%E0%A4%A"],
    ["an invalid UTF-8 escape", "/webhook/%C3%28"],
  ])("answers 400 to a webhook id with %s", async (_what, path) => {
    const answer = await exchange(
      fixture.port,
      request([`POST ${path} HTTP/1.1`, "Host: t", "Content-Type: application/json"], "{}"),
    );
    expect(answer.statuses).toEqual([400]);
    expect(JSON.parse(answer.bytes.toString().split("\r\n\r\n")[1] ?? "")).toMatchObject({
      error: "bad_request",
    });
  });

  it.each(["DELETE", "GET", "OPTIONS", "PROPFIND"])("answers 405 to %s", async (method) => {
    const answer = await send(`${fixture.url}/webhook/hook`, { method, body: "{}" });
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("POST, PUT, PATCH");
  });
});

describe("bad content", () => {
  it.each([
    ["a truncated object", '{"a":1'],
    ["a trailing comma", '{"a":1,}'],
    ["two values", "{} {}"],
    ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ["an empty body", ""],
  ])("answers 400 to malformed JSON: %s", async (_what, body) => {
    const answer = await send(`${fixture.url}/webhook/hook`, {
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ error: "malformed_json" });
  });

  it("answers 415 to a gzip-encoded body for a json webhook", async () => {
    const answer = await send(`${fixture.url}/webhook/hook`, {
      headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
      body: gzipSync('{"a":1}'),
    });
    expect(answer.status).toBe(415);
  });
});

describe("HTTP/2 (h2c on the same port)", () => {
  let session: http2.ClientHttp2Session | undefined;

  afterEach(() => {
    session?.destroy();
    session = undefined;
  });

  async function h2Post(headers: http2.OutgoingHttpHeaders, body = "{}") {
    session ??= http2.connect(fixture.url);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": "/webhook/hook", ...headers });
    stream.end(body);
    return new Promise<{ status: number | undefined; error: Error | undefined }>((resolve) => {
      let status: number | undefined;
      stream.on("response", (responseHeaders) => {
        status = responseHeaders[":status"];
      });
      stream.on("error", (error) => resolve({ status, error }));
      stream.on("close", () => resolve({ status, error: undefined }));
      stream.resume();
    });
  }

  it("accepts a normal request", async () => {
    const result = await h2Post({ "content-type": "application/json" });
    expect(result.status).toBe(200);
    const [message] = await fixture.stored("ch");
    expect(message?.method).toBe("POST");
    await fixture.buffer.ack("ch", DEFAULT_GROUP, message!.messageId);
  });

  it("refuses a header list larger than the limit", async () => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    for (let i = 0; i < 40; i++) headers[`x-flood-${i}`] = "v".repeat(400);
    const result = await h2Post(headers);
    expect(result.status === undefined || result.status >= 400).toBe(true);
    expect(result.status).not.toBe(200);
  });

  it("accepts exactly 100 headers (pseudo-headers do not count)", async () => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    for (let i = 0; i < 99; i++) headers[`x-many-${i}`] = "v";
    const result = await h2Post(headers);
    expect(result.status).toBe(200);
    const [message] = await fixture.stored("ch");
    expect(message?.headers).toHaveLength(100);
    await fixture.buffer.ack("ch", DEFAULT_GROUP, message!.messageId);
  });

  it("answers 431 to more than 100 headers", async () => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    for (let i = 0; i < 100; i++) headers[`x-many-${i}`] = "v";
    const result = await h2Post(headers);
    expect(result.status).toBe(431);
  });

  it("survives a session that sends garbage after the preface", async () => {
    const socket = await openSocket(fixture.port);
    const closed = collectUntilClose(socket);
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    socket.write(Buffer.alloc(64, 0xff));
    const result = await closed;
    expect(frameTypes(result.bytes)).toContain(GOAWAY);
  });
});
