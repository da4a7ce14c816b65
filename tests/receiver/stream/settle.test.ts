/**
 * Acks that do not travel on a stream (`POST /connect/ack`, the unary RPC
 * `Ack`) settle by message id on the channel's group when they name no
 * live connection; an empty group is the default group on both, as it is
 * when a client attaches.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { RelayService } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { type TestReceiver, useTestReceivers } from "./harness.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };

/** Sends a webhook and leases it to a long-poll connection of the default group. */
async function leased(r: TestReceiver): Promise<string> {
  const id = await r.send("json_hook", '{"settle":1}');
  const res = await request(`${r.url}/connect/stream/ch/poll?timeout=5`, { headers: auth });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
  expect((await r.buffer.stats("ch")).inFlight).toBe(1);
  return id;
}

describe("settling by message id with an empty group", () => {
  it("POST /connect/ack?group= acks in the default group", async () => {
    const r = await start();
    const id = await leased(r);
    const res = await request(`${r.url}/connect/ack?channel=ch&group=&message_id=${id}`, {
      method: "POST",
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(await r.buffer.stats("ch")).toMatchObject({ inFlight: 0, delivered: 1 });
  });

  it("the unary Ack with group '' acks in the default group", async () => {
    const r = await start();
    const id = await leased(r);
    const client = createClient(RelayService, createGrpcTransport({ baseUrl: r.url }));
    const result = await client.ack(
      { channel: "ch", group: "", ackMessageIds: [id] },
      { headers: auth },
    );
    expect(result.results.map((x) => x.ok)).toEqual([true]);
    expect(await r.buffer.stats("ch")).toMatchObject({ inFlight: 0, delivered: 1 });
  });
});
