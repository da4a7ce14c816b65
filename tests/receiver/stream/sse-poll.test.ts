/**
 * SSE, long-poll and `POST /connect/ack` with plain HTTP clients: event
 * framing and headers, heartbeats under continuous traffic, the three
 * ack forms, leases that outlive a poll, and auth before anything else.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { parseSse, type SseEvent } from "../../../connector/transport/sse-parser.js";
import { useTestReceivers } from "./harness.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };

/** A receiver with one webhook (`body`) leased to a long-poll: the message id and the poll's connection id. */
async function leasedToPoll(body: string) {
  const r = await start();
  const id = await r.send("json_hook", body);
  const res = await request(`${r.url}/connect/stream/ch/poll?timeout=5`, { headers: auth });
  const connectionId = String(res.headers["x-connection-id"]);
  await res.body.dump();
  return { r, id, connectionId };
}

async function openSse(url: string) {
  const abort = new AbortController();
  const response = await request(`${url}/connect/stream/ch/sse`, {
    headers: auth,
    signal: abort.signal,
  });
  const events: (SseEvent & { at: number })[] = [];
  const listeners = new Set<() => void>();
  let raw = "";
  const tee = async function* () {
    for await (const chunk of response.body) {
      raw += Buffer.from(chunk).toString("utf8");
      yield chunk as Uint8Array;
    }
  };
  void (async () => {
    for await (const event of parseSse(tee())) {
      events.push({ ...event, at: performance.now() });
      for (const l of [...listeners]) l();
    }
  })().catch(() => undefined);
  const until = (predicate: () => boolean, timeoutMs = 5_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error("condition not met in time"));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { response, events, until, raw: () => raw, close: () => abort.abort() };
}

async function ack(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${url}/connect/ack`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe("SSE", () => {
  it("streams connected, webhook and heartbeat events with anti-buffering headers", async () => {
    const r = await start({ heartbeatIntervalMs: 200 });
    const sse = await openSse(r.url);
    expect(sse.response.statusCode).toBe(200);
    expect(sse.response.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(sse.response.headers["cache-control"]).toMatch(/no-cache/);
    expect(sse.response.headers["x-accel-buffering"]).toBe("no");
    await sse.until(() => sse.events.some((e) => e.event === "connected"));
    expect(sse.raw().startsWith(":")).toBe(true);
    expect(sse.raw().indexOf("event: connected")).toBeGreaterThan(2048);
    const connected = JSON.parse(sse.events[0]!.data) as Record<string, unknown>;
    expect(connected).toMatchObject({ type: "connected", channel: "ch" });
    const id = await r.send("json_hook", '{"sse":1}');
    await sse.until(() => sse.events.some((e) => e.event === "webhook"));
    const webhook = sse.events.find((e) => e.event === "webhook")!;
    expect(webhook.id).toBe(id);
    expect(JSON.parse(webhook.data)).toMatchObject({ message_id: id, payload: { sse: 1 } });
    await sse.until(() => sse.events.some((e) => e.event === "heartbeat"));
    const result = await ack(
      r.url,
      { type: "ack", message_id: id },
      {
        "x-connection-id": String(connected["connection_id"]),
      },
    );
    expect(result.status).toBe(200);
    expect((await r.buffer.stats("ch")).delivered).toBe(1);
    sse.close();
  });

  it("keeps heartbeats on their interval during a sustained stream, without duplicates", async () => {
    const r = await start({ heartbeatIntervalMs: 200, channel: { max_in_flight: 1000 } });
    const sse = await openSse(r.url);
    await sse.until(() => sse.events.some((e) => e.event === "connected"));
    const connectionId = String(JSON.parse(sse.events[0]!.data)["connection_id"]);
    const ids: string[] = [];
    const startedAt = performance.now();
    // 1.5 s of continuous traffic: more than 3 heartbeat intervals.
    while (performance.now() - startedAt < 1_500) {
      ids.push(await r.send("json_hook", JSON.stringify({ n: ids.length })));
    }
    await sse.until(() => sse.events.filter((e) => e.event === "webhook").length >= ids.length);
    const webhooks = sse.events.filter((e) => e.event === "webhook").map((e) => e.id);
    expect(new Set(webhooks).size).toBe(webhooks.length);
    expect(webhooks.sort()).toEqual([...ids].sort());
    const beats = sse.events.filter((e) => e.event === "heartbeat" && e.at >= startedAt);
    expect(beats.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < beats.length; i++) {
      expect(beats[i]!.at - beats[i - 1]!.at).toBeLessThan(600);
    }
    expect((await ack(r.url, { acks: ids }, { "x-connection-id": connectionId })).status).toBe(200);
    expect((await r.buffer.stats("ch")).delivered).toBe(ids.length);
    sse.close();
  });

  it("refuses a bad token with 401 before revealing anything", async () => {
    const r = await start();
    const res = await request(`${r.url}/connect/stream/ch/sse`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(res.statusCode).toBe(401);
    expect(await res.body.json()).toMatchObject({ error: "unauthorized" });
    const ackRes = await request(`${r.url}/connect/ack?message_id=x`, {
      method: "POST",
      headers: { authorization: "Bearer nope", "x-connection-id": "whatever" },
    });
    expect(ackRes.statusCode).toBe(401);
    await ackRes.body.dump();
  });
});

describe("long-poll", () => {
  it("answers 204 on timeout and 200 with a JSON array, leases surviving the poll", async () => {
    const r = await start();
    const empty = await request(`${r.url}/connect/stream/ch/poll?timeout=0.2`, { headers: auth });
    expect(empty.statusCode).toBe(204);
    const connectionId = String(empty.headers["x-connection-id"]);
    expect(connectionId).not.toBe("");
    await empty.body.dump();
    const id = await r.send("json_hook", '{"poll":1}');
    const full = await request(
      `${r.url}/connect/stream/ch/poll?timeout=5&max_messages=5&connection_id=${connectionId}`,
      { headers: auth },
    );
    expect(full.statusCode).toBe(200);
    expect(full.headers["x-connection-id"]).toBe(connectionId);
    const messages = (await full.body.json()) as Record<string, unknown>[];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: "webhook", message_id: id, payload: { poll: 1 } });
    expect((await r.buffer.stats("ch")).inFlight).toBe(1);
    // The seed's query-string form, after the poll request is long over.
    const res = await request(`${r.url}/connect/ack?message_id=${id}&status=ack`, {
      method: "POST",
      headers: { ...auth, "x-connection-id": connectionId },
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(await r.buffer.stats("ch")).toMatchObject({ inFlight: 0, delivered: 1 });
  });

  it("nacks through a JSON batch and dead-letters retry=false", async () => {
    const { r, id, connectionId } = await leasedToPoll('{"poll":2}');
    const result = await ack(
      r.url,
      { nacks: [{ message_id: id, retry: false, reason: "bad payload" }] },
      { "x-connection-id": connectionId },
    );
    expect(result.status).toBe(200);
    const dead = await r.buffer.listDeadLetters("ch", { limit: 5, offset: 0 });
    expect(dead.map((d) => [d.message.messageId, d.reason])).toEqual([[id, "bad payload"]]);
  });

  it("acks by message id after the connection is gone when the channel is named", async () => {
    const { r, id, connectionId } = await leasedToPoll('{"poll":3}');
    const closed = await request(`${r.url}/connect/stream/ch/poll`, {
      method: "DELETE",
      headers: { ...auth, "x-connection-id": connectionId },
    });
    expect(closed.statusCode).toBe(204);
    await closed.body.dump();
    const gone = await ack(
      r.url,
      { type: "ack", message_id: id },
      { "x-connection-id": connectionId },
    );
    expect(gone.status).toBe(404);
    const anonymous = await ack(r.url, [{ type: "ack", message_id: id }]);
    expect(anonymous.status).toBe(404);
    const byChannel = await ack(r.url, { channel: "ch", acks: [id] });
    expect(byChannel.status).toBe(200);
    expect((await r.buffer.stats("ch")).delivered).toBe(1);
  });

  it("answers a malformed ack body with 400 and a protocol error", async () => {
    const r = await start();
    const result = await ack(r.url, { channel: "ch", type: "frobnicate", message_id: "x" });
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ error: "protocol_error" });
  });
});
