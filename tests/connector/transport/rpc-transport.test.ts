import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  TooManyConnectionsError,
  TransportError,
  UnauthenticatedError,
} from "../../../connector/errors.js";
import {
  createConnectRelayTransport,
  createGrpcRelayTransport,
  rpcBaseUrl,
} from "../../../connector/transport/rpc-transport.js";
import { Notice_Level, NoticeSchema } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { makeMessage } from "../helpers/messages.js";
import { useRelaySessions } from "../helpers/relay-sessions.js";

const { relay, open, openOptions, forget } = useRelaySessions();

describe("gRPC and Connect transports", () => {
  it("maps cloud URLs to RelayService base URLs", () => {
    expect(rpcBaseUrl("https://relay.example.com/")).toBe("https://relay.example.com");
    expect(rpcBaseUrl("wss://relay.example.com/base/")).toBe("https://relay.example.com/base");
    expect(rpcBaseUrl("ws://127.0.0.1:8000")).toBe("http://127.0.0.1:8000");
  });

  it.each([
    ["grpc", createGrpcRelayTransport],
    ["connect", createConnectRelayTransport],
  ] as const)("%s: opens a session with the welcome in milliseconds", async (_name, create) => {
    const r = await relay({ heartbeatIntervalMs: 15_000, maxInFlight: 2 });
    const session = await open(create({ cloudUrl: r.url, token: "secret-token" }));
    expect(session.welcome).toEqual({
      connectionId: "conn-1",
      channel: "test-channel",
      group: "blue",
      maxInFlight: 2,
      heartbeatIntervalMs: 15_000,
      ackTimeoutMs: 30_000,
    });
    const server = await r.session(1);
    expect(server.hello.group).toBe("blue");
  });

  it("streams messages byte-exact and sends acks, nacks with delay, and heartbeats", async () => {
    const r = await relay();
    const session = await open(
      createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token" }),
    );
    const server = await r.session(1);
    const body = new Uint8Array([0, 255, 10, 13, 0x80]);
    server.sendMessage(makeMessage({ id: "x1", body }));
    const iterator = session.messages[Symbol.asyncIterator]();
    const received = await iterator.next();
    expect(received.done).toBe(false);
    expect(received.value?.messageId).toBe("x1");
    expect(received.value?.body).toEqual(body);
    expect(session.ack("x1")).toBe(true);
    expect(session.nack("x2", { retry: true, reason: "busy", delayMs: 1_500 })).toBe(true);
    session.heartbeat();
    await server.until(() => server.heartbeats === 1);
    expect(server.acks).toEqual(["x1"]);
    expect(server.nacks[0]).toMatchObject({ messageId: "x2", retry: true, reason: "busy" });
    expect(server.nacks[0]?.delay).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
  });

  it("reports notices and every frame", async () => {
    const r = await relay();
    const notices: string[] = [];
    let frames = 0;
    let fourthFrame!: () => void;
    const gotFour = new Promise<void>((resolve) => {
      fourthFrame = resolve;
    });
    await open(createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token" }), {
      onNotice: (n) => notices.push(`${n.level}:${n.code}`),
      onFrame: () => {
        if (++frames === 4) fourthFrame();
      },
    });
    const server = await r.session(1);
    server.sendHeartbeat();
    server.send({
      case: "notice",
      value: create(NoticeSchema, {
        level: Notice_Level.WARNING,
        code: "WC_ERR_STREAM_NOT_LEASED",
      }),
    });
    // Welcome, heartbeat, notice, heartbeat: the last frame proves the notice was handled.
    server.sendHeartbeat();
    await gotFour;
    expect(notices).toEqual(["warning:WC_ERR_STREAM_NOT_LEASED"]);
  });

  it("ends the session with kind 'server' when the server ends the stream", async () => {
    const r = await relay();
    const session = await open(
      createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token" }),
    );
    (await r.session(1)).end();
    expect(await session.closed).toEqual({ kind: "server" });
    expect(session.ack("late")).toBe(false);
  });

  it("half-closes on close() after sending queued acks", async () => {
    const r = await relay();
    const session = await open(
      createConnectRelayTransport({ cloudUrl: r.url, token: "secret-token" }),
    );
    const server = await r.session(1);
    session.ack("q1");
    session.ack("q2");
    await session.close();
    expect(server.ackFrames).toEqual([["q1", "q2"]]);
    expect(server.clientEnded).toBe(true);
    expect(await session.closed).toEqual({ kind: "local" });
  });

  it("rejects a bad token with UnauthenticatedError", async () => {
    const r = await relay();
    const transport = createGrpcRelayTransport({ cloudUrl: r.url, token: "nope" });
    await expect(transport.open(openOptions())).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it("maps ResourceExhausted to TooManyConnectionsError (not fatal)", async () => {
    const r = await relay();
    r.rejectWith = Code.ResourceExhausted;
    const transport = createConnectRelayTransport({ cloudUrl: r.url, token: "secret-token" });
    const error = await transport.open(openOptions()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyConnectionsError);
    expect((error as TooManyConnectionsError).fatal).toBe(false);
  });

  it("rejects an unreachable receiver with TransportError", async () => {
    const r = await relay();
    const url = r.url;
    await r.close();
    forget(r);
    const transport = createGrpcRelayTransport({ cloudUrl: url, token: "secret-token" });
    await expect(transport.open(openOptions())).rejects.toBeInstanceOf(TransportError);
  });
});
