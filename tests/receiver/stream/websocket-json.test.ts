/**
 * The WebSocket endpoint with a client that speaks only the documented
 * JSON frames (seed-compatible): receive, ack, nack, malformed frames,
 * auth, connection limits, liveness and eviction.
 */

import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { useTestReceivers } from "./harness.js";
import { openJsonWs } from "./ws-client.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };
const wsUrl = (url: string, suffix = "") =>
  `${url.replace(/^http/, "ws")}/connect/stream/ch${suffix}`;

/** A receiver and a JSON WebSocket client of its channel `ch`, past the connected frame. */
async function connectedClient() {
  const r = await start();
  const client = await openJsonWs(wsUrl(r.url), auth);
  await client.next("connected");
  return { r, client };
}

describe("WebSocket JSON frames", () => {
  it("reports the group's waiting messages as the connected frame's backlog", async () => {
    const r = await start();
    const empty = await openJsonWs(wsUrl(r.url), auth);
    expect(await empty.next("connected")).toMatchObject({ backlog: 0 });
    empty.ws.close();
    for (let i = 0; i < 2; i++) await r.send("json_hook", `{"n":${i}}`);
    const client = await openJsonWs(wsUrl(r.url, "?group=late&max_in_flight=1"), auth);
    // A new group receives only messages published after it was created.
    expect(await client.next("connected")).toMatchObject({ group: "late", backlog: 0 });
    client.ws.close();
    const again = await openJsonWs(wsUrl(r.url, "?max_in_flight=1"), auth);
    expect(await again.next("connected")).toMatchObject({ group: "default", backlog: 2 });
    again.ws.close();
  });

  it("sends connected, then flat webhook frames with the exact body", async () => {
    const r = await start();
    const client = await openJsonWs(wsUrl(r.url), auth);
    const connected = await client.next("connected");
    expect(connected).toMatchObject({ type: "connected", channel: "ch" });
    expect(connected["connection_id"]).toEqual(expect.any(String));
    expect(Date.parse(String(connected["timestamp"]))).not.toBeNaN();
    const body = '{ "amount" :42,\n "name":"caf\\u00e9" }';
    const id = await r.send("json_hook", body);
    const webhook = await client.next("webhook");
    expect(webhook).toMatchObject({
      type: "webhook",
      message_id: id,
      webhook_id: "json_hook",
      channel: "ch",
      delivery_attempt: 1,
      content_type: "application/json",
      method: "POST",
      payload: { amount: 42, name: "café" },
    });
    expect(webhook["sequence"]).toEqual(expect.any(Number));
    expect((webhook["headers"] as Record<string, string>)["X-Test"]).toBe("yes");
    expect(webhook["header_list"]).toContainEqual(["X-Test", "yes"]);
    expect(Buffer.from(String(webhook["body_base64"]), "base64").toString()).toBe(body);
    client.ws.close();
  });

  it("gives a non-JSON body as text in payload", async () => {
    const { r, client } = await connectedClient();
    await r.send("blob_hook", "plain text, not json", "text/plain");
    const webhook = await client.next("webhook");
    expect(webhook["payload"]).toBe("plain text, not json");
    client.ws.close();
  });

  it("removes an acked message and dead-letters a nack with retry false", async () => {
    const { r, client } = await connectedClient();
    const good = await r.send("json_hook", '{"n":1}');
    const bad = await r.send("json_hook", '{"n":2}');
    const first = await client.next("webhook");
    const second = await client.next("webhook");
    expect([first["message_id"], second["message_id"]]).toEqual([good, bad]);
    client.send({ type: "ack", message_id: good });
    client.send({ type: "nack", message_id: bad, retry: false });
    await expect.poll(async () => (await r.buffer.stats("ch")).deadLettered).toBe(1);
    const stats = await r.buffer.stats("ch");
    expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: 1 });
    const dead = await r.buffer.listDeadLetters("ch", { limit: 10, offset: 0 });
    expect(dead.map((d) => d.message.messageId)).toEqual([bad]);
    client.ws.close();
  });

  it("redelivers a nack with retry true with a higher delivery_attempt", async () => {
    const { r, client } = await connectedClient();
    const id = await r.send("json_hook", '{"retry":1}');
    await client.next("webhook");
    client.send({ type: "nack", message_id: id, retry: true });
    const again = await client.next("webhook", 10_000);
    expect(again).toMatchObject({ message_id: id, delivery_attempt: 2 });
    client.ws.close();
  });

  it("answers a malformed frame with an error frame and keeps processing acks", async () => {
    const { r, client } = await connectedClient();
    const id = await r.send("json_hook", '{"n":1}');
    await client.next("webhook");
    client.send("{this is not json");
    const error = await client.next("error");
    expect(error["code"]).toBe("WC_ERR_STREAM_PROTOCOL");
    client.send({ type: "frobnicate", message_id: id });
    expect((await client.next("error"))["message_id"]).toBe(id);
    client.send({ type: "heartbeat" });
    client.send({ type: "ack", message_id: id });
    await expect.poll(async () => (await r.buffer.stats("ch")).delivered).toBe(1);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.close();
  });

  it("sends heartbeats with timestamp and server_time", async () => {
    const r = await start({ heartbeatIntervalMs: 100 });
    const client = await openJsonWs(wsUrl(r.url), auth);
    const beat = await client.next("heartbeat");
    expect(Date.parse(String(beat["timestamp"]))).not.toBeNaN();
    expect(Date.parse(String(beat["server_time"]))).not.toBeNaN();
    client.ws.close();
  });

  it("refuses a bad token with 401 before the upgrade", async () => {
    const r = await start();
    await expect(openJsonWs(wsUrl(r.url), { authorization: "Bearer nope" })).rejects.toThrow(
      "unexpected response 401",
    );
  });

  it("accepts ?token= only when the receiver enables it", async () => {
    const off = await start();
    await expect(openJsonWs(wsUrl(off.url, "?token=tok"), {})).rejects.toThrow("401");
    const on = await start({ allowQueryToken: true });
    const client = await openJsonWs(wsUrl(on.url, "?token=tok"), {});
    await client.next("connected");
    client.ws.close();
  });

  it("closes a connection over max_connections with 1013 and an error frame", async () => {
    const r = await start({ channel: { max_connections: 1 } });
    const first = await openJsonWs(wsUrl(r.url), auth);
    await first.next("connected");
    const second = await openJsonWs(wsUrl(r.url), auth);
    expect((await second.next("error"))["code"]).toBe("WC_ERR_STREAM_TOO_MANY_CONNECTIONS");
    expect((await second.closed).code).toBe(1013);
    first.ws.close();
  });

  it("drops a client that stays silent for 3 heartbeat intervals", async () => {
    const r = await start({ heartbeatIntervalMs: 100 });
    const client = await openJsonWs(wsUrl(r.url), auth, { autoPong: false });
    await client.next("connected");
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    expect(client.frames.filter((f) => f.type === "heartbeat").length).toBeGreaterThanOrEqual(2);
  });

  it("keeps a client that answers pings alive", async () => {
    const r = await start({ heartbeatIntervalMs: 100 });
    const client = await openJsonWs(wsUrl(r.url), auth);
    for (let i = 0; i < 6; i++) await client.next("heartbeat");
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.close();
  });

  it("really closes the socket on eviction", async () => {
    const r = await start();
    const client = await openJsonWs(wsUrl(r.url), auth);
    const connected = await client.next("connected");
    const attached = r.receiver.registry.find(String(connected["connection_id"]));
    attached?.evict("evicted by admin");
    const closed = await client.closed;
    expect(closed).toEqual({ code: 4000, reason: "evicted by admin" });
    expect(r.receiver.registry.list("ch")).toHaveLength(0);
  });
});
