/**
 * Deeply nested JSON (issue #14 §2): a `json` webhook refuses nesting
 * beyond the documented depth with 400, and a deep body that was stored
 * anyway (a `blob` webhook takes any bytes) is delivered on every JSON
 * transport instead of failing the long-poll with 500 or silencing SSE.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { parseSse } from "../../../connector/transport/sse-parser.js";
import { MAX_JSON_DEPTH } from "../../../receiver/ingest/json-scan.js";
import { useTestReceivers } from "../stream/harness.js";
import { openJsonWs } from "../stream/ws-client.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };

/** `depth` opening brackets, then as many closing ones: valid JSON. */
function nested(depth: number): Buffer {
  return Buffer.concat([Buffer.alloc(depth, "["), Buffer.alloc(depth, "]")]);
}

/** The body of the attack run: 3,000,000 `[` then 3,000,000 `]` (6 MB). */
const HOSTILE = nested(3_000_000);

async function post(url: string, webhookId: string, body: Buffer) {
  const res = await request(`${url}/webhook/${webhookId}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe("ingest of deeply nested JSON", () => {
  it("answers 400 json_too_deep for the 3,000,000-level body", async () => {
    const r = await start();
    const answer = await post(r.url, "json_hook", HOSTILE);
    expect(answer.status).toBe(400);
    expect(answer.json["error"]).toBe("json_too_deep");
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, async () => {
    const r = await start();
    expect((await post(r.url, "json_hook", nested(MAX_JSON_DEPTH))).status).toBe(200);
    const over = await post(r.url, "json_hook", nested(MAX_JSON_DEPTH + 1));
    expect(over.status).toBe(400);
    expect(over.json["error"]).toBe("json_too_deep");
  });
});

describe("a stored deeply nested body on the JSON transports", () => {
  it("long-poll answers 200 with the body as text and the exact bytes", async () => {
    const r = await start();
    const id = await r.send("blob_hook", HOSTILE, "application/json");
    const res = await request(`${r.url}/connect/stream/ch/poll?timeout=5&max_messages=1`, {
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    const frames = (await res.body.json()) as Record<string, unknown>[];
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ message_id: id, payload: HOSTILE.toString("latin1") });
    expect(Buffer.from(String(frames[0]!["body_base64"]), "base64").equals(HOSTILE)).toBe(true);
  });

  it("SSE delivers the webhook event, then the next message", async () => {
    const r = await start();
    const deep = await r.send("blob_hook", HOSTILE, "application/json");
    const next = await r.send("json_hook", '{"after":"deep"}');
    const abort = new AbortController();
    const res = await request(`${r.url}/connect/stream/ch/sse`, {
      headers: auth,
      signal: abort.signal,
    });
    const ids: string[] = [];
    for await (const event of parseSse(res.body as AsyncIterable<Uint8Array>)) {
      if (event.event === "webhook") ids.push(event.id ?? "");
      if (ids.length === 2) break;
    }
    abort.abort();
    expect(ids).toEqual([deep, next]);
  });

  it("the WebSocket delivers the webhook frame", async () => {
    const r = await start();
    const id = await r.send("blob_hook", HOSTILE, "application/json");
    const client = await openJsonWs(`${r.url.replace(/^http/, "ws")}/connect/stream/ch`, auth);
    const webhook = await client.next("webhook", 10_000);
    expect(webhook).toMatchObject({ message_id: id, payload: HOSTILE.toString("latin1") });
    client.ws.close();
  });
});
