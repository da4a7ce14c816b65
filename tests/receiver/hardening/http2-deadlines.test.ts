/**
 * HTTP/2 gets the deadlines HTTP/1.1 has (issue #14 §3): an ingest stream
 * whose body trickles in at 1 byte/s is answered 408 and reset once the
 * request timeout passed, a session that never completes a request is
 * closed after the headers timeout, and a session may not open more than
 * `maxConcurrentStreams` streams at once. The bidi `Connect` RPC, whose
 * request body is open by design, is exempt.
 */
import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  HeartbeatSchema,
  HelloSchema,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import { openSocket } from "./raw-client.js";
import { type ReceiverFixture, relayed, startReceiverFixture } from "./receiver-fixture.js";

const LIMITS = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 1_500,
  maxConcurrentStreams: 8,
};
/** Slack on top of a deadline for a loaded 2-core machine. */
const SLACK_MS = 1_500;

let fixture: ReceiverFixture | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await fixture?.close();
  fixture = undefined;
});

async function start(heartbeatIntervalMs?: number): Promise<ReceiverFixture> {
  fixture = await startReceiverFixture(
    { hook: relayed("ch") },
    {
      limits: LIMITS,
      ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    },
  );
  return fixture;
}

function h2(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url);
  session.on("error", () => undefined);
  cleanups.push(() => session.destroy());
  return session;
}

interface SlowStream {
  /** Status answered, if any. */
  status(): number | undefined;
  /** Resolves with ms from the request to the stream's close. */
  readonly closed: Promise<number>;
}

/** A POST announcing 1,000 bytes that then sends one byte per second. */
function slowPost(session: http2.ClientHttp2Session): SlowStream {
  const started = performance.now();
  const stream = session.request({
    ":method": "POST",
    ":path": "/webhook/hook",
    "content-type": "application/json",
    "content-length": "1000",
  });
  stream.on("error", () => undefined);
  let status: number | undefined;
  stream.on("response", (headers) => {
    status = headers[":status"];
  });
  stream.resume();
  stream.write("[");
  const trickle = setInterval(() => {
    if (!stream.destroyed && stream.writable) stream.write(" ");
  }, 1_000);
  cleanups.push(() => clearInterval(trickle));
  const closed = new Promise<number>((resolve) =>
    stream.once("close", () => {
      clearInterval(trickle);
      resolve(performance.now() - started);
    }),
  );
  return { status: () => status, closed };
}

describe("HTTP/2 ingest deadlines", () => {
  it("answers 408 and resets streams whose body trickles in at 1 byte/s", async () => {
    const f = await start();
    const session = h2(f.url);
    const streams = Array.from({ length: 5 }, () => slowPost(session));
    const closedAfter = await Promise.all(streams.map((s) => s.closed));
    for (const ms of closedAfter) expect(ms).toBeLessThan(LIMITS.requestTimeoutMs + SLACK_MS);
    expect(streams.map((s) => s.status())).toEqual([408, 408, 408, 408, 408]);
  });

  it("closes a session that completes no request within the headers timeout", async () => {
    const f = await start();
    const session = h2(f.url);
    const started = performance.now();
    // Pings keep the connection busy without ever sending a request.
    const pinging = setInterval(() => {
      if (!session.destroyed) session.ping(() => undefined);
    }, 200);
    cleanups.push(() => clearInterval(pinging));
    await new Promise<void>((resolve) => session.once("close", resolve));
    expect(performance.now() - started).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
  });

  it(`advertises and enforces at most ${LIMITS.maxConcurrentStreams} streams at once per session`, async () => {
    const f = await start();
    const session = h2(f.url);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(LIMITS.maxConcurrentStreams);

    // A client that ignores the setting: raw frames, streams opened without ending them.
    const socket = await openSocket(f.port);
    cleanups.push(() => socket.destroy());
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const streams = LIMITS.maxConcurrentStreams + 4;
    const refused = new Promise<number[]>((resolve) => {
      const check = () => {
        const ids = refusedStreams(Buffer.concat(received));
        if (ids.length >= 4) resolve(ids);
      };
      socket.on("data", check);
      socket.once("close", () => resolve(refusedStreams(Buffer.concat(received))));
    });
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))]));
    for (let i = 0; i < streams; i++) {
      socket.write(frame(HEADERS, END_HEADERS, 2 * i + 1, POST_HOOK_HEADER_BLOCK));
    }
    const ids = await refused;
    expect(ids.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 4 }, (_, i) => 2 * (LIMITS.maxConcurrentStreams + i) + 1),
    );
  });
});

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const END_HEADERS = 0x4;
const REFUSED_STREAM = 0x7;

/** HPACK: :method POST, :scheme http, :path /webhook/hook, :authority x (no Huffman). */
const POST_HOOK_HEADER_BLOCK = Buffer.concat([
  Buffer.from([0x83, 0x86, 0x44, 13]),
  Buffer.from("/webhook/hook"),
  Buffer.from([0x41, 1]),
  Buffer.from("x"),
]);

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** Ids of the streams the server reset with REFUSED_STREAM. */
function refusedStreams(bytes: Buffer): number[] {
  const ids: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    if (bytes[at + 3] === RST_STREAM && bytes.readUInt32BE(at + 9) === REFUSED_STREAM) {
      ids.push(bytes.readUInt32BE(at + 5) & 0x7fffffff);
    }
  }
  return ids;
}

describe("HTTP/2 streams exempt from the request deadline", () => {
  it("keeps a bidi Connect call open past the request timeout", async () => {
    const f = await start(400);
    const session = h2(f.url);
    const stream = session.request({
      ":method": "POST",
      ":path": "/webhookconnect.v1.RelayService/Connect",
      "content-type": "application/grpc",
      te: "trailers",
      authorization: "Bearer tok-ch",
    });
    stream.on("error", () => undefined);
    const hello = toBinary(
      ConnectRequestSchema,
      create(ConnectRequestSchema, {
        frame: { case: "hello", value: create(HelloSchema, { channel: "ch" }) },
      }),
    );
    const head = Buffer.alloc(5);
    head.writeUInt32BE(hello.length, 1);
    stream.write(Buffer.concat([head, hello]));
    const heartbeat = toBinary(
      ConnectRequestSchema,
      create(ConnectRequestSchema, {
        frame: { case: "heartbeat", value: create(HeartbeatSchema) },
      }),
    );
    const heartbeatHead = Buffer.alloc(5);
    heartbeatHead.writeUInt32BE(heartbeat.length, 1);
    const started = performance.now();
    let pending = Buffer.alloc(0);
    let heartbeats = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
          const length = pending.readUInt32BE(1);
          const frame = fromBinary(ConnectResponseSchema, pending.subarray(5, 5 + length));
          pending = pending.subarray(5 + length);
          if (frame.frame.case === "heartbeat") {
            heartbeats++;
            // Answer each beat, as a connector does, so the session's liveness check is met.
            stream.write(Buffer.concat([heartbeatHead, heartbeat]));
          }
          // Past the request timeout and still receiving: the stream was not cut.
          if (performance.now() - started > LIMITS.requestTimeoutMs + 500) resolve();
        }
      });
      stream.once("close", () => reject(new Error(`stream closed after ${heartbeats} heartbeats`)));
    });
    expect(stream.closed).toBe(false);
    stream.close();
  });
});
