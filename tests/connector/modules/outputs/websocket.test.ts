import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function server(onMessage?: (socket: WebSocket, data: Buffer, isBinary: boolean) => void) {
  const frames: Array<{ data: Buffer; isBinary: boolean; auth: string | undefined }> = [];
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  let connections = 0;
  wss.on("connection", (socket, request) => {
    connections++;
    socket.on("message", (data: Buffer, isBinary) => {
      frames.push({ data, isBinary, auth: request.headers.authorization });
      onMessage?.(socket, data, isBinary);
    });
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  const { port } = wss.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/hooks`, frames, connections: () => connections };
}

async function deliverer(moduleConfig: Record<string, unknown>) {
  const built: TestDeliverer = await deliverFrom({
    hook: { module: "websocket", "module-config": moduleConfig },
  });
  cleanups.unshift(built.close);
  return built.deliverer;
}

describe("websocket module", () => {
  it("sends the envelope as a text frame over one reused connection", async () => {
    const s = await server();
    const d = await deliverer({
      url: s.url,
      headers: { Authorization: "Bearer ws" },
      include_headers: true,
    });
    const first = jsonMessage({ n: 1 });
    const second = jsonMessage({ n: 2 });
    expect(await d.deliver(first, never)).toEqual({ kind: "ack" });
    expect(await d.deliver(second, never)).toEqual({ kind: "ack" });
    await expect.poll(() => s.frames.length).toBe(2);
    expect(s.connections()).toBe(1);
    expect(s.frames[0]!.isBinary).toBe(false);
    expect(s.frames[0]!.auth).toBe("Bearer ws");
    expect(JSON.parse(s.frames[0]!.data.toString())).toMatchObject({
      message_id: first.messageId,
      payload: { n: 1 },
      headers: { "x-signature": "sha256=abc" },
    });
  });

  it("sends raw bodies as binary frames", async () => {
    const s = await server();
    const d = await deliverer({ url: s.url, format: "raw" });
    const message = jsonMessage({ raw: 1 });
    await d.deliver(message, never);
    await expect.poll(() => s.frames.length).toBe(1);
    expect(s.frames[0]!.isBinary).toBe(true);
    expect(s.frames[0]!.data).toEqual(Buffer.from(message.body));
  });

  it("with wait_for_response acks only after the server answered", async () => {
    const s = await server((socket) => socket.send("ok"));
    const d = await deliverer({ url: s.url, wait_for_response: true });
    expect(await d.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(s.frames).toHaveLength(1);
  });

  it("with wait_for_response a silent server gives retry", async () => {
    const s = await server();
    const d = await deliverer({ url: s.url, wait_for_response: true, timeout: 0.3 });
    expect((await d.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("reconnects after the server dropped the connection", async () => {
    let sockets: WebSocket[] = [];
    const s = await server((socket) => sockets.push(socket));
    const d = await deliverer({ url: s.url });
    await d.deliver(jsonMessage({ n: 1 }), never);
    await expect.poll(() => sockets.length).toBe(1);
    const dropped = new Promise((resolve) => sockets[0]!.once("close", resolve));
    sockets[0]!.terminate();
    sockets = [];
    await dropped;
    // The module sees the close and opens a new connection for the next message.
    await expect
      .poll(async () => (await d.deliver(jsonMessage({ n: 2 }), never)).kind, { interval: 50 })
      .toBe("ack");
    await expect.poll(() => s.connections()).toBe(2);
  });

  it("an unreachable server gives a retry outcome", async () => {
    const s = await server();
    await cleanups.pop()!();
    const d = await deliverer({ url: s.url, max_retries: 2, timeout: 1 });
    expect((await d.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });
});
