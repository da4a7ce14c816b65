/**
 * A connection the receiver closes (an operator's eviction, a silent
 * client, shutdown) ends the same way on every transport: a closing
 * Notice / `error` frame with the documented code, then a status that is
 * not OK (gRPC/Connect) or the matching WebSocket close code.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseSse, type SseEvent } from "../../../connector/transport/sse-parser.js";
import {
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  Notice_Level,
  RelayService,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import { type TestReceiver, useTestReceivers } from "./harness.js";
import { openJsonWs } from "./ws-client.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };
const hello = { channel: "ch", connectorId: "closing", maxInFlight: 4 };

type Frame = ConnectResponse["frame"];

/** Every frame of an RPC stream until it ends, and the error it ended with (if any). */
async function drain(frames: AsyncIterable<{ frame: Frame }>, seen: Frame[]): Promise<unknown> {
  try {
    for await (const response of frames) seen.push(response.frame);
    return undefined;
  } catch (error) {
    return error;
  }
}

function onlyConnection(r: TestReceiver) {
  const [connection] = r.receiver.registry.list("ch");
  if (connection === undefined) throw new Error("no connection attached");
  return connection;
}

async function welcomed(seen: Frame[]): Promise<void> {
  await expect.poll(() => seen.some((f) => f.case === "welcome")).toBe(true);
}

function closingNotice(seen: Frame[]) {
  const last = seen.at(-1);
  expect(last?.case).toBe("notice");
  return last?.case === "notice" ? last.value : undefined;
}

/** A receiver with one client, opened by `open` and welcomed, after `act` was done to the receiver. */
async function welcomedThen<T extends { readonly seen: Frame[] }>(
  open: (url: string) => T,
  act: (r: TestReceiver) => unknown,
): Promise<T> {
  const r = await start();
  const client = open(r.url);
  await welcomed(client.seen);
  await act(r);
  return client;
}

/** An operator's eviction of the receiver's one connection. */
const evict = (r: TestReceiver) => onlyConnection(r).evict("disconnected by admin");
/** The receiver's shutdown. */
const shutDown = (r: TestReceiver) => r.receiver.close();

const transports: ReadonlyArray<readonly [string, (baseUrl: string) => Transport]> = [
  ["gRPC", (baseUrl) => createGrpcTransport({ baseUrl })],
  ["Connect", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" })],
];

describe.each(transports)("RelayService over %s, closed by the receiver", (_name, transportOf) => {
  /** A bidi Connect call that sends Hello and then stays open (no heartbeats back). */
  function openConnect(url: string) {
    const client = createClient(RelayService, transportOf(url));
    const abort = new AbortController();
    async function* outgoing() {
      yield create(ConnectRequestSchema, { frame: { case: "hello", value: hello } });
      await new Promise((resolve) => abort.signal.addEventListener("abort", resolve));
    }
    const seen: Frame[] = [];
    const ended = drain(client.connect(outgoing(), { headers: auth }), seen).finally(() =>
      abort.abort(),
    );
    return { seen, ended };
  }

  it("Connect: an eviction sends an ERROR notice, then ends with Aborted", async () => {
    const call = await welcomedThen(openConnect, evict);
    const error = await call.ended;
    expect(ConnectError.from(error).code).toBe(Code.Aborted);
    expect(ConnectError.from(error).rawMessage).toContain("disconnected by admin");
    const notice = closingNotice(call.seen);
    expect(notice?.level).toBe(Notice_Level.ERROR);
    expect(notice?.code).toBe("WC_ERR_STREAM_EVICTED");
    expect(notice?.message).toBe("connection closed by the receiver: disconnected by admin");
  });

  it("Connect: a silent client gets HEARTBEAT_TIMEOUT, then DeadlineExceeded", async () => {
    const r = await start({ heartbeatIntervalMs: 100 });
    const call = openConnect(r.url);
    const error = await call.ended;
    expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
    expect(closingNotice(call.seen)?.code).toBe("WC_ERR_STREAM_HEARTBEAT_TIMEOUT");
    expect(call.seen.filter((f) => f.case === "heartbeat").length).toBeGreaterThanOrEqual(2);
  });

  it("Connect: shutdown sends SHUTDOWN, then ends with Unavailable", async () => {
    const call = await welcomedThen(openConnect, shutDown);
    const error = await call.ended;
    expect(ConnectError.from(error).code).toBe(Code.Unavailable);
    expect(closingNotice(call.seen)?.code).toBe("WC_ERR_STREAM_SHUTDOWN");
  });

  it("Subscribe: an eviction sends an ERROR notice, then ends with Aborted", async () => {
    const { seen, ended } = await welcomedThen((url) => {
      const client = createClient(RelayService, transportOf(url));
      const frames: Frame[] = [];
      return { seen: frames, ended: drain(client.subscribe({ hello }, { headers: auth }), frames) };
    }, evict);
    expect(ConnectError.from(await ended).code).toBe(Code.Aborted);
    expect(closingNotice(seen)?.code).toBe("WC_ERR_STREAM_EVICTED");
  });
});

describe("WebSocket, closed by the receiver", () => {
  function openProto(url: string) {
    const ws = new WebSocket(
      `${url.replace("http", "ws")}/connect/stream/ch`,
      ["webhookconnect.v1.proto"],
      { headers: auth },
    );
    const seen: Frame[] = [];
    ws.on("message", (data) => seen.push(fromBinary(ConnectResponseSchema, data as Buffer).frame));
    ws.once("open", () =>
      ws.send(
        toBinary(
          ConnectRequestSchema,
          create(ConnectRequestSchema, { frame: { case: "hello", value: hello } }),
        ),
      ),
    );
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    return { seen, closed };
  }

  it("protobuf: an eviction sends an ERROR notice, then closes with 4000", async () => {
    const client = await welcomedThen(openProto, evict);
    expect(await client.closed).toBe(4000);
    expect(closingNotice(client.seen)?.code).toBe("WC_ERR_STREAM_EVICTED");
  });

  it("protobuf: shutdown sends SHUTDOWN, then closes with 1001", async () => {
    const client = await welcomedThen(openProto, shutDown);
    expect(await client.closed).toBe(1001);
    expect(closingNotice(client.seen)?.code).toBe("WC_ERR_STREAM_SHUTDOWN");
  });

  it("JSON: a silent client gets a heartbeat_timeout error frame, then 4008", async () => {
    const r = await start({ heartbeatIntervalMs: 100 });
    const client = await openJsonWs(`${r.url.replace("http", "ws")}/connect/stream/ch`, auth, {
      autoPong: false,
    });
    await client.next("connected");
    expect((await client.closed).code).toBe(4008);
    const last = client.frames.at(-1);
    expect(last?.type).toBe("error");
    expect(last?.["code"]).toBe("WC_ERR_STREAM_HEARTBEAT_TIMEOUT");
  });

  it("JSON: shutdown sends a SHUTDOWN error frame, then 1001", async () => {
    const r = await start();
    const client = await openJsonWs(`${r.url.replace("http", "ws")}/connect/stream/ch`, auth);
    await client.next("connected");
    await r.receiver.close();
    expect((await client.closed).code).toBe(1001);
    expect(client.frames.at(-1)?.["code"]).toBe("WC_ERR_STREAM_SHUTDOWN");
  });
});

describe("SSE, closed by the receiver", () => {
  it("an eviction ends the stream after an error event with the code", async () => {
    const r = await start();
    const response = await request(`${r.url}/connect/stream/ch/sse`, { headers: auth });
    const events: SseEvent[] = [];
    const done = (async () => {
      for await (const event of parseSse(response.body)) {
        events.push(event);
        if (event.event === "connected") onlyConnection(r).evict("disconnected by admin");
      }
    })();
    await done;
    const last = events.at(-1);
    expect(last?.event).toBe("error");
    expect(JSON.parse(last?.data ?? "{}")).toMatchObject({
      type: "error",
      code: "WC_ERR_STREAM_EVICTED",
      message: "connection closed by the receiver: disconnected by admin",
    });
  });
});
