/**
 * Message frames over every RPC protocol and both codecs. For binary
 * (protobuf) calls the receiver writes messages pre-encoded by its direct
 * codec; JSON calls get ordinary frames. Either way a client must see the
 * same message: id, sequence, attempt, headers and byte-exact body.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { RelayService } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { useTestReceivers } from "./harness.js";

const startReceiver = useTestReceivers();
const auth = { headers: { authorization: "Bearer tok" } };

const transports: Record<string, (baseUrl: string) => Transport> = {
  "grpc proto": (baseUrl) => createGrpcTransport({ baseUrl }),
  "grpc json": (baseUrl) => createGrpcTransport({ baseUrl, useBinaryFormat: false }),
  "connect proto": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }),
  "connect json": (baseUrl) =>
    createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }),
  "connect proto over HTTP/1.1": (baseUrl) =>
    createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "grpc-web proto": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  "grpc-web json": (baseUrl) =>
    createGrpcWebTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
};

function checkMessage(message: WebhookMessage, id: string, body: Buffer, sequence: bigint) {
  expect(message.messageId).toBe(id);
  expect(message.channel).toBe("ch");
  expect(message.webhookId).toBe("blob_hook");
  expect(message.sequence).toBe(sequence);
  expect(message.deliveryAttempt).toBe(1);
  expect(Buffer.from(message.body).equals(body)).toBe(true);
  expect(message.headers).toContainEqual(expect.objectContaining({ name: "X-Test", value: "yes" }));
  expect(message.receivedAt?.seconds).toBeGreaterThan(0n);
  expect(message.expiresAt?.seconds).toBeGreaterThan(message.receivedAt?.seconds ?? 0n);
}

describe.each(Object.entries(transports))("message frames over %s", (_name, transportOf) => {
  it("Subscribe and Pull deliver the message exactly", async () => {
    const receiver = await startReceiver();
    const client = createClient(RelayService, transportOf(receiver.url));
    // Every byte value, invalid UTF-8 included, must survive both codecs.
    const bodies = [0, 1, 2].map((n) =>
      Buffer.concat([Buffer.from(`{"n":${n},"t":"é😀"}`), Buffer.from([0, 0xff, 0xfe, 0x80])]),
    );
    const ids: string[] = [];
    for (const body of bodies) {
      ids.push(await receiver.send("blob_hook", body, "application/octet-stream"));
    }
    const abort = new AbortController();

    // Server stream: the first message.
    const subscribed = client.subscribe(
      { hello: { channel: "ch", connectorId: "sub", maxInFlight: 1 } },
      { ...auth, signal: abort.signal },
    );
    for await (const response of subscribed) {
      if (response.frame.case !== "message") continue;
      checkMessage(response.frame.value, ids[0]!, bodies[0]!, 1n);
      const acked = await client.ack(
        { channel: "ch", connectionId: "", ackMessageIds: [ids[0]!] },
        auth,
      );
      expect(acked.results).toEqual([expect.objectContaining({ ok: true })]);
      break;
    }
    abort.abort();

    // Unary long-poll: the other two, in order.
    const pulled = await client.pull(
      {
        hello: { channel: "ch", connectorId: "poll" },
        maxMessages: 5,
        timeout: durationFromMs(2_000),
      },
      auth,
    );
    expect(pulled.connectionId).not.toBe("");
    expect(pulled.messages).toHaveLength(2);
    checkMessage(pulled.messages[0]!, ids[1]!, bodies[1]!, 2n);
    checkMessage(pulled.messages[1]!, ids[2]!, bodies[2]!, 3n);
  });
});
