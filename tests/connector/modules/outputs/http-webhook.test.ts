import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function target(status: number | (() => number)) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      });
      res.statusCode = typeof status === "number" ? status : status();
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}/in`, received };
}

async function deliverer(moduleConfig: Record<string, unknown>, dataType = "json") {
  const built: TestDeliverer = await deliverFrom({
    hook: { module: "http_webhook", data_type: dataType, "module-config": moduleConfig },
  });
  cleanups.unshift(built.close);
  return built.deliverer;
}

describe("http_webhook module", () => {
  it("sends the body byte-for-byte with content type, relay headers and custom headers", async () => {
    const { url, received } = await target(204);
    const d = await deliverer({ url, method: "PUT", headers: { Authorization: "Bearer t" } });
    const message = jsonMessage({ b: 2, a: 1 });
    expect(await d.deliver(message, never)).toEqual({ kind: "ack" });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe("PUT");
    expect(request!.body).toEqual(Buffer.from(message.body));
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["x-webhook-message-id"]).toBe(message.messageId);
    expect(request!.headers["x-webhook-id"]).toBe("hook");
    expect(request!.headers["authorization"]).toBe("Bearer t");
    expect(request!.headers["x-signature"]).toBeUndefined();
  });

  it("forwards original headers, repeated ones included, with forward_headers", async () => {
    const { url, received } = await target(200);
    const d = await deliverer({ url, forward_headers: true });
    await d.deliver(jsonMessage({}), never);
    const raw = received[0]!.rawHeaders;
    expect(raw).toContain("X-Signature");
    expect(raw.filter((value) => value === "X-Trace")).toHaveLength(2);
  });

  it("forwards only allowed_headers when given", async () => {
    const { url, received } = await target(200);
    const d = await deliverer({ url, forward_headers: true, allowed_headers: ["x-trace"] });
    await d.deliver(jsonMessage({}), never);
    expect(received[0]!.headers["x-trace"]).toBe("one, two");
    expect(received[0]!.headers["x-signature"]).toBeUndefined();
  });

  it("keeps binary bodies exact", async () => {
    const { url, received } = await target(200);
    const d = await deliverer({ url }, "blob");
    const bytes = new Uint8Array([0, 200, 13, 10, 255]);
    await d.deliver(blobMessage(bytes), never);
    expect(new Uint8Array(received[0]!.body)).toEqual(bytes);
    expect(received[0]!.headers["content-type"]).toBe("application/octet-stream");
  });

  it.each([
    [500, "retry"],
    [503, "retry"],
    [429, "retry"],
    [408, "retry"],
    [400, "reject"],
    [404, "reject"],
    [410, "reject"],
  ])("maps status %i to %s", async (status, kind) => {
    const { url } = await target(status);
    const d = await deliverer({ url });
    expect((await d.deliver(jsonMessage({}), never)).kind).toBe(kind);
  });

  it("returns retry when the server is unreachable", async () => {
    const { url } = await target(200);
    await cleanups.shift()!();
    const d = await deliverer({ url, timeout: 2 });
    const outcome = await d.deliver(jsonMessage({}), never);
    expect(outcome.kind).toBe("retry");
  });

  it("returns retry when the server is slower than the timeout", async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const { port } = server.address() as AddressInfo;
    const d = await deliverer({ url: `http://127.0.0.1:${port}/`, timeout: 0.3 });
    const outcome = await d.deliver(jsonMessage({}), never);
    expect(outcome.kind).toBe("retry");
  });

  it("rejects a non-http URL at start-up", async () => {
    const error = await deliverFrom({
      a: { module: "http_webhook", "module-config": { url: "file:///etc/passwd" } },
    }).catch((e: unknown) => e as Error);
    expect(String(error)).toContain("a.module-config.url");
  });
});
