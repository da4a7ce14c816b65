/**
 * Hostile RPC clients (issue #14 §1): the channel token is checked from
 * the request headers before any message is read, every message is capped
 * at MAX_RPC_MESSAGE_BYTES, and a malformed message is answered
 * INVALID_ARGUMENT, not INTERNAL. A stream that announces a 2 GiB message
 * and keeps sending costs the receiver neither memory nor time.
 */
import http2 from "node:http2";
import { connect as connectTcp } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  AckRequestSchema,
  ConnectRequestSchema,
  HelloSchema,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import { MAX_RPC_MESSAGE_BYTES } from "../../../receiver/stream/rpc-limits.js";
import { type ReceiverFixture, relayed, startReceiverFixture } from "./receiver-fixture.js";

const SERVICE = "/webhookconnect.v1.RelayService";
const GOOD = "Bearer tok-ch";
/** Generous for a loaded 2-core machine; the attack run saw streams open for 12 s. */
const CLOSE_WITHIN_MS = 1_000;
const RSS_BOUND_BYTES = 20 * 1024 * 1024;
/** How long the hostile client keeps sending if the server does not stop it. */
const ATTACK_MS = 1_500;

let fixture: ReceiverFixture | undefined;
const sessions: http2.ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await fixture?.close();
  fixture = undefined;
});

async function start(): Promise<ReceiverFixture> {
  fixture = await startReceiverFixture({ hook: relayed("ch") });
  return fixture;
}

/** A gRPC/Connect envelope: flags, big-endian length, payload. */
function envelope(payload: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** A protobuf message that cannot be decoded: field 1, length 16, one byte present. */
const MALFORMED = Buffer.from([0x0a, 0x10, 0x01]);

interface Outcome {
  /** grpc-status from the headers (trailers-only) or the trailers. */
  readonly grpcStatus: number | undefined;
  /** ms from the request to the stream's close. */
  readonly closedAfterMs: number;
  /** Largest RSS increase seen while the stream was open. */
  readonly rssGrowth: number;
}

/**
 * Opens a gRPC call over h2c, writes `first`, then (when `flood`) keeps
 * writing 64 KiB chunks, honouring flow control, until the server closes
 * the stream or ATTACK_MS passed.
 */
async function grpcCall(
  url: string,
  method: string,
  authorization: string,
  first: Buffer,
  flood: boolean,
): Promise<Outcome> {
  const session = http2.connect(url);
  sessions.push(session);
  session.on("error", () => undefined);
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const started = performance.now();
  const stream = session.request({
    ":method": "POST",
    ":path": `${SERVICE}/${method}`,
    "content-type": "application/grpc",
    te: "trailers",
    authorization,
  });
  stream.on("error", () => undefined);
  let grpcStatus: number | undefined;
  const readStatus = (headers: http2.IncomingHttpHeaders) => {
    const value = headers["grpc-status"];
    if (value !== undefined) grpcStatus = Number(value);
  };
  stream.on("response", readStatus);
  stream.on("trailers", readStatus);
  stream.resume();
  const closed = new Promise<number>((resolve) => {
    stream.once("close", () => resolve(performance.now() - started));
  });
  let open = true;
  void closed.then(() => {
    open = false;
  });
  stream.write(first);
  if (flood) {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    while (open && performance.now() - started < ATTACK_MS) {
      peak = Math.max(peak, process.memoryUsage.rss());
      if (!stream.write(chunk)) {
        await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), closed]);
      }
    }
  } else {
    stream.end();
  }
  const timeout = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 5_000);
  const closedAfterMs = await closed;
  clearTimeout(timeout);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { grpcStatus, closedAfterMs, rssGrowth: peak - baseline };
}

const HUGE_PREFIX = Buffer.from([0x00, 0x7f, 0xff, 0xff, 0xff]);

describe("gRPC before authentication", () => {
  it("refuses a wrong token at once, without reading the 2 GiB message it announces", async () => {
    const f = await start();
    const outcome = await grpcCall(f.url, "Connect", "Bearer wrong-token", HUGE_PREFIX, true);
    expect(outcome.grpcStatus).toBe(Code.Unauthenticated);
    expect(outcome.closedAfterMs).toBeLessThan(CLOSE_WITHIN_MS);
    expect(outcome.rssGrowth).toBeLessThan(RSS_BOUND_BYTES);
  });

  it("refuses a missing token on the unary calls before reading the body", async () => {
    const f = await start();
    for (const method of ["Ack", "Pull", "Subscribe"]) {
      const outcome = await grpcCall(f.url, method, "", HUGE_PREFIX, true);
      expect(outcome.grpcStatus, method).toBe(Code.Unauthenticated);
      expect(outcome.closedAfterMs, method).toBeLessThan(CLOSE_WITHIN_MS);
    }
  });

  it("refuses a wrong token on the Connect protocol over HTTP/1.1 and closes the connection", async () => {
    const f = await start();
    const socket = connectTcp(f.port, "127.0.0.1");
    socket.on("error", () => undefined);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    const started = performance.now();
    const closed = new Promise<number>((resolve) =>
      socket.once("close", () => resolve(performance.now() - started)),
    );
    socket.write(
      `POST ${SERVICE}/Subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/connect+proto\r\n` +
        "Authorization: Bearer wrong\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    socket.write(`5\r\n${HUGE_PREFIX.toString("latin1")}\r\n`, "latin1");
    let open = true;
    void closed.then(() => {
      open = false;
    });
    const chunk = `10000\r\n${"a".repeat(0x10000)}\r\n`;
    while (open && performance.now() - started < ATTACK_MS) {
      if (!socket.write(chunk)) {
        await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed]);
      }
    }
    const timeout = setTimeout(() => socket.destroy(), 5_000);
    const closedAfterMs = await closed;
    clearTimeout(timeout);
    expect(Buffer.concat(chunks).toString("latin1")).toContain("unauthenticated");
    expect(closedAfterMs).toBeLessThan(CLOSE_WITHIN_MS);
  });
});

describe("RPC message size cap", () => {
  it(`refuses a message announced over ${MAX_RPC_MESSAGE_BYTES} bytes with the right token`, async () => {
    const f = await start();
    const outcome = await grpcCall(f.url, "Connect", GOOD, HUGE_PREFIX, true);
    expect(outcome.grpcStatus).toBe(Code.ResourceExhausted);
    expect(outcome.closedAfterMs).toBeLessThan(CLOSE_WITHIN_MS);
    expect(outcome.rssGrowth).toBeLessThan(RSS_BOUND_BYTES);
  });

  it("accepts a message of exactly the cap", async () => {
    const f = await start();
    const ids = Array.from({ length: 1 }, () => "m".repeat(MAX_RPC_MESSAGE_BYTES - 40));
    let ack = toBinary(
      AckRequestSchema,
      create(AckRequestSchema, { channel: "ch", ackMessageIds: ids }),
    );
    // Pad the one id until the encoded message is exactly MAX_RPC_MESSAGE_BYTES.
    const id = "m".repeat(MAX_RPC_MESSAGE_BYTES - 40 + (MAX_RPC_MESSAGE_BYTES - ack.length));
    ack = toBinary(
      AckRequestSchema,
      create(AckRequestSchema, { channel: "ch", ackMessageIds: [id] }),
    );
    expect(ack.length).toBe(MAX_RPC_MESSAGE_BYTES);
    const outcome = await grpcCall(f.url, "Ack", GOOD, envelope(ack), false);
    expect(outcome.grpcStatus).toBe(0);
  });
});

describe("malformed messages", () => {
  const hello = toBinary(
    ConnectRequestSchema,
    create(ConnectRequestSchema, {
      frame: { case: "hello", value: create(HelloSchema, { channel: "ch" }) },
    }),
  );

  it("answers INVALID_ARGUMENT for a malformed first frame of Connect", async () => {
    const f = await start();
    const outcome = await grpcCall(f.url, "Connect", GOOD, envelope(MALFORMED), false);
    expect(outcome.grpcStatus).toBe(Code.InvalidArgument);
  });

  it("answers INVALID_ARGUMENT for a malformed frame after the Hello", async () => {
    const f = await start();
    const frames = Buffer.concat([envelope(hello), envelope(MALFORMED)]);
    const outcome = await grpcCall(f.url, "Connect", GOOD, frames, false);
    expect(outcome.grpcStatus).toBe(Code.InvalidArgument);
  });

  it.each(["Subscribe", "Ack", "Pull"])(
    "answers INVALID_ARGUMENT for a malformed %s request",
    async (method) => {
      const f = await start();
      const outcome = await grpcCall(f.url, method, GOOD, envelope(MALFORMED), false);
      expect(outcome.grpcStatus).toBe(Code.InvalidArgument);
    },
  );

  it("answers 400 invalid_argument for a malformed unary Connect request", async () => {
    const f = await start();
    const res = await request(`${f.url}${SERVICE}/Ack`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: GOOD },
      body: MALFORMED,
    });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("answers invalid_argument for a malformed gRPC-Web request", async () => {
    const f = await start();
    const res = await request(`${f.url}${SERVICE}/Ack`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", authorization: GOOD },
      body: envelope(MALFORMED),
    });
    const text = Buffer.from(await res.body.arrayBuffer()).toString("latin1");
    expect(text).toMatch(new RegExp(`grpc-status: ?${Code.InvalidArgument}\\b`));
  });
});
