/**
 * RelayService over HTTP/1.1: Connect `Subscribe` (server streaming) plus
 * unary `Ack`, and gRPC-Web — both served by the same connectNodeAdapter
 * and Session as the HTTP/2 bidi call.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { RelayService } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { useTestReceivers } from "./harness.js";

const start = useTestReceivers();
const headers = { authorization: "Bearer tok" };

describe.each([
  ["connect", createConnectTransport],
  ["grpc-web", createGrpcWebTransport],
] as const)("%s over HTTP/1.1", (protocol, createTransport) => {
  it("subscribes, receives byte-exact, acks with the unary Ack call", async () => {
    const r = await start();
    const client = createClient(
      RelayService,
      createTransport({ baseUrl: r.url, httpVersion: "1.1" }),
    );
    const abort = new AbortController();
    const stream = client
      .subscribe({ hello: { channel: "ch", connectorId: "h1" } }, { headers, signal: abort.signal })
      [Symbol.asyncIterator]();
    try {
      const first = await stream.next();
      expect(first.value?.frame.case).toBe("welcome");
      const connectionId =
        first.value?.frame.case === "welcome" ? first.value.frame.value.connectionId : "";
      expect(r.receiver.registry.find(connectionId)?.info.protocol).toBe(protocol);
      const body = Buffer.from([0x7b, 0x7d]);
      const id = await r.send("json_hook", body);
      let next = await stream.next();
      while (next.value?.frame.case === "heartbeat") next = await stream.next();
      expect(next.value?.frame.case).toBe("message");
      const message = next.value?.frame.case === "message" ? next.value.frame.value : undefined;
      expect(message?.messageId).toBe(id);
      expect(Buffer.from(message!.body).equals(body)).toBe(true);
      const result = await client.ack(
        { channel: "ch", connectionId, ackMessageIds: [id] },
        { headers },
      );
      expect(result.results.map((x) => [x.messageId, x.ok])).toEqual([[id, true]]);
      expect(await r.buffer.stats("ch")).toMatchObject({ inFlight: 0, delivered: 1 });
    } finally {
      abort.abort();
    }
  });
});
