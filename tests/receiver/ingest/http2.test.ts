import { once } from "node:events";
import {
  type ClientHttp2Session,
  connect,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
} from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { createIngestHandler, type IngestHandler } from "../../../receiver/ingest/index.js";
import { sqliteBufferFor, storedMessages } from "./buffers.js";
import { configOf, relayEntry } from "./harness.js";

let server: Http2Server | undefined;
let session: ClientHttp2Session | undefined;
let handler: IngestHandler | undefined;
let buffer: SqliteBuffer | undefined;

afterEach(async () => {
  session?.close();
  if (server !== undefined) {
    server.close();
    await once(server, "close");
  }
  await handler?.close();
  await buffer?.close();
  server = session = handler = buffer = undefined;
});

/** Starts a cleartext (prior knowledge) HTTP/2 server and connects a client session. */
async function start(maxMessageBytes = 1024): Promise<ClientHttp2Session> {
  const config = configOf({ hook: relayEntry({ max_message_bytes: maxMessageBytes }) });
  buffer = await sqliteBufferFor(config);
  const ingest = createIngestHandler({ config, buffer, createVerifiers: () => [] });
  handler = ingest;
  server = createServer((req, res) => {
    void ingest.handle(req, res, (req.url ?? "").split("?")[0]!.slice("/webhook/".length));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  session = connect(`http://127.0.0.1:${address.port}`);
  return session;
}

async function post(
  client: ClientHttp2Session,
  headers: Record<string, string>,
  body: Buffer | string,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  const stream = client.request({ ":method": "POST", ...headers });
  stream.end(body);
  const [responseHeaders] = (await once(stream, "response")) as [IncomingHttpHeaders];
  let text = "";
  stream.setEncoding("utf8");
  for await (const chunk of stream) text += chunk;
  return { headers: responseHeaders, body: text };
}

describe("ingest over HTTP/2", () => {
  it("stores the request with its regular headers and without pseudo-headers", async () => {
    const client = await start();
    const response = await post(
      client,
      { ":path": "/webhook/hook?x=1", "content-type": "application/json", "x-custom": "v" },
      '{"a": 1}',
    );
    expect(response.headers[":status"]).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: "accepted", channel: "ch" });
    const [stored] = await storedMessages(buffer!);
    expect(stored).toMatchObject({ path: "/webhook/hook", query: "x=1", method: "POST" });
    expect(stored?.headers.map((header) => header.name)).toEqual(["content-type", "x-custom"]);
    expect(Buffer.from(stored!.body).toString()).toBe('{"a": 1}');
  });

  it("answers 413 for an oversized body without a Connection header", async () => {
    const client = await start(8);
    const response = await post(
      client,
      { ":path": "/webhook/hook", "content-type": "application/json" },
      '{"a": "0123456789"}',
    );
    expect(response.headers[":status"]).toBe(413);
    expect(response.headers["connection"]).toBeUndefined();
    expect(JSON.parse(response.body)["error"]).toBe("payload_too_large");
  });
});
