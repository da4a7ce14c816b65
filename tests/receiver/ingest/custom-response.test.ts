/**
 * The `response` block through a running receiver: an accepted webhook is
 * stored as always and answered with the configured status, headers and
 * body (placeholders filled); refusals keep their JSON error bodies. Also
 * over HTTP/2 (h2c), together with a GET handshake.
 */
import { once } from "node:events";
import { connect, type IncomingHttpHeaders } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ReceiverFixture,
  relayed,
  send,
  startReceiverFixture,
} from "../hardening/receiver-fixture.js";

let fixture: ReceiverFixture;
const BODY = '{"event":"ping"}';
const JSON_HEADERS = { "Content-Type": "application/json" };

beforeAll(async () => {
  fixture = await startReceiverFixture({
    empty: relayed("empty", { response: {} }),
    ok: relayed("ok", { response: { body: "OK" } }),
    receipt: relayed("receipt", {
      response: {
        status: 202,
        headers: { "Content-Type": "application/json", "X-Receipt": "{webhook_id}:{message_id}" },
        body: '{"received":true,"id":"{message_id}","channel":"{channel}"}',
      },
    }),
    "no-content": relayed("no-content", { response: { status: 204 } }),
    guarded: relayed("guarded", {
      authorization: "Bearer right-token",
      response: { body: "OK" },
    }),
    dropbox: relayed("dropbox", { handshake: { provider: "dropbox" }, response: { body: "OK" } }),
  });
});

afterAll(async () => {
  await fixture?.close();
});

async function storedIds(channel: string): Promise<string[]> {
  return (await fixture.stored(channel)).map((message) => message.messageId);
}

describe("custom response", () => {
  it("answers an empty 200 and stores the webhook", async () => {
    const answer = await send(`${fixture.url}/webhook/empty`, {
      headers: JSON_HEADERS,
      body: BODY,
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe("");
    expect(answer.headers["content-length"]).toBe("0");
    expect(answer.headers["content-type"]).toBeUndefined();
    const id = answer.headers["x-webhook-message-id"] as string;
    expect(await storedIds("empty")).toEqual([id]);
  });

  it("answers a plain OK as text/plain", async () => {
    const answer = await send(`${fixture.url}/webhook/ok`, { headers: JSON_HEADERS, body: BODY });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answer.text).toBe("OK");
    expect(await storedIds("ok")).toEqual([answer.headers["x-webhook-message-id"]]);
  });

  it("fills {message_id}, {channel} and {webhook_id} in the body and headers", async () => {
    const answer = await send(`${fixture.url}/webhook/receipt`, {
      headers: JSON_HEADERS,
      body: BODY,
    });
    expect(answer.status).toBe(202);
    expect(answer.headers["content-type"]).toBe("application/json");
    const [stored] = await fixture.stored("receipt");
    expect(stored).toBeDefined();
    const id = stored!.messageId;
    expect(JSON.parse(answer.text)).toEqual({ received: true, id, channel: "receipt" });
    expect(answer.headers["x-receipt"]).toBe(`receipt:${id}`);
    expect(answer.headers["x-webhook-message-id"]).toBe(id);
    expect(Buffer.from(stored!.body).toString("utf8")).toBe(BODY);
  });

  it("answers 204 without a body", async () => {
    const answer = await send(`${fixture.url}/webhook/no-content`, {
      headers: JSON_HEADERS,
      body: BODY,
    });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe("");
    expect(await storedIds("no-content")).toEqual([answer.headers["x-webhook-message-id"]]);
  });

  it("keeps the JSON error answers: a refused sender gets the generic 401", async () => {
    const answer = await send(`${fixture.url}/webhook/guarded`, {
      headers: { ...JSON_HEADERS, Authorization: "Bearer wrong-token" },
      body: BODY,
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({
      error: "unauthorized",
      message: "authentication failed",
    });
    expect(await storedIds("guarded")).toEqual([]);
  });

  it("keeps the JSON error answers: malformed JSON gets 400", async () => {
    const answer = await send(`${fixture.url}/webhook/ok`, { headers: JSON_HEADERS, body: "{" });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ error: "malformed_json" });
  });
});

describe("over HTTP/2 (h2c)", () => {
  async function h2(
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ headers: IncomingHttpHeaders; text: string }> {
    const session = connect(fixture.url);
    try {
      const stream = session.request(headers);
      stream.end(body);
      const [responseHeaders] = (await once(stream, "response")) as [IncomingHttpHeaders];
      let text = "";
      stream.setEncoding("utf8");
      for await (const chunk of stream) text += chunk;
      return { headers: responseHeaders, text };
    } finally {
      session.close();
    }
  }

  it("answers a custom response", async () => {
    const answer = await h2(
      { ":method": "POST", ":path": "/webhook/receipt", "content-type": "application/json" },
      BODY,
    );
    expect(answer.headers[":status"]).toBe(202);
    const [stored] = await fixture.stored("receipt");
    expect(JSON.parse(answer.text)).toEqual({
      received: true,
      id: stored!.messageId,
      channel: "receipt",
    });
  });

  it("answers a Dropbox challenge and stores nothing", async () => {
    const answer = await h2({ ":method": "GET", ":path": "/webhook/dropbox?challenge=h2-token" });
    expect(answer.headers[":status"]).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/plain");
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    expect(answer.text).toBe("h2-token");
    expect(await storedIds("dropbox")).toEqual([]);
  });

  it("answers an ordinary notification on the Dropbox webhook with its custom response", async () => {
    const answer = await h2(
      { ":method": "POST", ":path": "/webhook/dropbox", "content-type": "application/json" },
      BODY,
    );
    expect(answer.headers[":status"]).toBe(200);
    expect(answer.text).toBe("OK");
    expect(await storedIds("dropbox")).toEqual([answer.headers["x-webhook-message-id"]]);
  });
});
