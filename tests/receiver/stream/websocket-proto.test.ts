/**
 * The `webhookconnect.v1.proto` WebSocket subprotocol: binary
 * ConnectRequest/ConnectResponse frames, the bidi session over a socket.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import { useTestReceivers } from "./harness.js";

const start = useTestReceivers();

function openProto(url: string) {
  const ws = new WebSocket(
    `${url.replace("http", "ws")}/connect/stream/ch`,
    ["webhookconnect.v1.proto"],
    {
      headers: { authorization: "Bearer tok" },
    },
  );
  const frames: ConnectResponse[] = [];
  const listeners = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(fromBinary(ConnectResponseSchema, data as Buffer));
    for (const l of [...listeners]) l();
  });
  const next = (kind: ConnectResponse["frame"]["case"]) =>
    new Promise<ConnectResponse>((resolve) => {
      const check = () => {
        const index = frames.findIndex((f) => f.frame.case === kind);
        if (index === -1) return;
        listeners.delete(check);
        resolve(frames.splice(index, 1)[0]!);
      };
      listeners.add(check);
      check();
    });
  const send = (frame: Parameters<typeof create<typeof ConnectRequestSchema>>[1]) =>
    ws.send(toBinary(ConnectRequestSchema, create(ConnectRequestSchema, frame)));
  return { ws, next, send, open: new Promise((resolve) => ws.once("open", resolve)) };
}

describe("WebSocket protobuf subprotocol", () => {
  it("reports the group's waiting messages as the Welcome's backlog", async () => {
    const r = await start();
    for (let i = 0; i < 3; i++) await r.send("json_hook", `{"n":${i}}`);
    const client = openProto(r.url);
    await client.open;
    client.send({
      frame: { case: "hello", value: { channel: "ch", connectorId: "p", maxInFlight: 1 } },
    });
    const welcome = await client.next("welcome");
    expect(welcome.frame.case === "welcome" && welcome.frame.value.backlog).toBe(3n);
    client.ws.close();
  });

  it("welcomes after Hello, delivers messages and takes acks", async () => {
    const r = await start();
    const client = openProto(r.url);
    await client.open;
    expect(client.ws.protocol).toBe("webhookconnect.v1.proto");
    client.send({
      frame: { case: "hello", value: { channel: "ch", connectorId: "p", maxInFlight: 4 } },
    });
    const welcome = await client.next("welcome");
    expect(welcome.frame.case === "welcome" && welcome.frame.value.maxInFlight).toBe(4);
    const id = await r.send("blob_hook", Buffer.from([0, 1, 2, 255]), "application/octet-stream");
    const message = await client.next("message");
    const value = message.frame.case === "message" ? message.frame.value : undefined;
    expect(value?.messageId).toBe(id);
    expect([...(value?.body ?? [])]).toEqual([0, 1, 2, 255]);
    client.ws.send(Buffer.from([0xff, 0xff, 0xff]));
    const notice = await client.next("notice");
    expect(notice.frame.case === "notice" && notice.frame.value.code).toBe(
      "WC_ERR_STREAM_PROTOCOL",
    );
    client.send({ frame: { case: "ack", value: { messageIds: [id] } } });
    await expect.poll(async () => (await r.buffer.stats("ch")).delivered).toBe(1);
    client.ws.close();
  });
});
