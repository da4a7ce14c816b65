import { once } from "node:events";
import { connect } from "node:net";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { deferred, storedMessages, withPublish } from "./buffers.js";
import { parseResponse, postHead, rawRequest, relayEntry } from "./harness.js";
import { startOnSqlite } from "./on-sqlite.js";

/** A server for the one relayed webhook `hook`, or for `document`. */
function start(document: Record<string, unknown> = { hook: relayEntry() }) {
  return startOnSqlite(document);
}

describe("ingest: accepted webhooks", () => {
  it("answers 200 with the message id and channel once stored", async () => {
    const { server, buffer } = await start();
    const accepted = server.nextEvent("accepted");
    const body = '{"type":"payment_intent.succeeded"}';
    const response = await rawRequest(server.port, postHead("/webhook/hook", body), body);

    expect(response.status).toBe(200);
    const json = response.json();
    expect(json).toEqual({ status: "accepted", message_id: json["message_id"], channel: "ch" });
    expect(response.headers["x-webhook-message-id"]).toBe(json["message_id"]);
    const [stored] = await storedMessages(buffer);
    expect(stored?.messageId).toBe(json["message_id"]);
    const event = await accepted;
    expect(event).toMatchObject({
      webhookId: "hook",
      channel: "ch",
      messageId: json["message_id"],
    });
    expect(event.bytes).toBe(body.length);
  });

  it("sends nothing until publish resolved", async () => {
    const called = deferred<void>();
    const release = deferred<void>();
    const { server } = await startOnSqlite(
      { hook: relayEntry() },
      {
        through: (base) =>
          withPublish(base, async (channel, message) => {
            called.resolve();
            await release.promise;
            return base.publish(channel, message);
          }),
      },
    );

    const socket = connect({ port: server.port, host: "127.0.0.1" });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const body = "{}";
    socket.write(`${postHead("/webhook/hook", body)}\r\nConnection: close\r\n\r\n${body}`);
    await called.promise;
    // Give a handler that answered early every chance to have its bytes arrive.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(0);

    release.resolve();
    await once(socket, "close");
    expect(parseResponse(Buffer.concat(received))?.status).toBe(200);
  });

  it("stores JSON bodies byte for byte, odd spacing and unicode escapes included", async () => {
    const { server, buffer } = await start();
    const body = Buffer.from(
      '{ "a" :1 ,\n\t"u":"\\u00e9\\ud83d\\ude00 é😀",  "n" : 1.0E+2 }\n',
      "utf8",
    );
    const response = await rawRequest(server.port, postHead("/webhook/hook", body), body);
    expect(response.status).toBe(200);
    const [stored] = await storedMessages(buffer);
    expect(Buffer.from(stored!.body).equals(body)).toBe(true);
  });

  it("stores binary blobs byte for byte", async () => {
    const { server, buffer } = await start({ blob: relayEntry({}, { data_type: "blob" }) });
    const body = Buffer.from(Array.from({ length: 512 }, (_, index) => (index * 7) % 256));
    const head = postHead("/webhook/blob", body, ["Content-Type: application/octet-stream"]);
    const response = await rawRequest(server.port, head, body);
    expect(response.status).toBe(200);
    const [stored] = await storedMessages(buffer);
    expect(Buffer.from(stored!.body).equals(body)).toBe(true);
    expect(stored?.contentType).toBe("application/octet-stream");
  });

  it("keeps every header in order with its original case, repeats included", async () => {
    const { server, buffer } = await start();
    const body = "{}";
    const head = postHead("/webhook/hook", body, [
      "X-Zeta: 1",
      "content-type: application/json",
      "x-ALPHA: two words ",
      "X-Dup: a",
      "X-Dup: b",
    ]);
    expect((await rawRequest(server.port, head, body)).status).toBe(200);
    const [stored] = await storedMessages(buffer);
    expect(stored?.headers.map(({ name, value }) => [name, value])).toEqual([
      ["Host", "relay.test"],
      ["X-Zeta", "1"],
      ["content-type", "application/json"],
      ["x-ALPHA", "two words"],
      ["X-Dup", "a"],
      ["X-Dup", "b"],
      ["Content-Length", "2"],
      ["Connection", "close"],
    ]);
  });

  it("records method, path, raw query, source address and expiry", async () => {
    const { server, buffer } = await start({ hook: relayEntry({ ttl_seconds: 60 }) });
    const body = "[]";
    const head = postHead("/webhook/hook?b=2&a=%20x&a=1&flag", body).replace("POST", "PUT");
    expect((await rawRequest(server.port, head, body)).status).toBe(200);
    const [stored] = await storedMessages(buffer);
    expect(stored).toMatchObject({
      channel: "ch",
      webhookId: "hook",
      method: "PUT",
      path: "/webhook/hook",
      query: "b=2&a=%20x&a=1&flag",
      contentType: "application/json",
      sourceIp: "127.0.0.1",
    });
    const receivedAt = timestampMs(stored!.receivedAt!);
    expect(timestampMs(stored!.expiresAt!) - receivedAt).toBe(60_000);
  });

  it("keeps a valid incoming traceparent", async () => {
    const { server, buffer } = await start();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const head = postHead("/webhook/hook", "{}", [`traceparent: ${traceparent}`]);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(200);
    expect((await storedMessages(buffer))[0]?.traceparent).toBe(traceparent);
  });

  it("starts a new trace when the incoming traceparent is invalid", async () => {
    const { server, buffer } = await start();
    const invalid = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    const head = postHead("/webhook/hook", "{}", [`traceparent: ${invalid}`]);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(200);
    const traceparent = (await storedMessages(buffer))[0]?.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparent).not.toBe(invalid);
  });

  it("accepts JSON without a Content-Type and with +json media types", async () => {
    const { server, buffer } = await start();
    const noType = postHead("/webhook/hook", "1", []);
    expect((await rawRequest(server.port, noType, "1")).status).toBe(200);
    const vendor = postHead("/webhook/hook", "2", [
      'Content-Type: application/vnd.github+json; charset="UTF-8"',
    ]);
    expect((await rawRequest(server.port, vendor, "2")).status).toBe(200);
    expect(await storedMessages(buffer)).toHaveLength(2);
  });

  it("accepts a body of exactly max_message_bytes", async () => {
    const { server } = await start({ hook: relayEntry({ max_message_bytes: 16 }) });
    const body = `"${"x".repeat(14)}"`;
    expect((await rawRequest(server.port, postHead("/webhook/hook", body), body)).status).toBe(200);
  });
});
