import { afterEach, describe, expect, it } from "vitest";
import { Pull } from "zeromq";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

describe("zeromq module against a real ZeroMQ PULL socket", () => {
  const built: TestDeliverer[] = [];
  const sockets: Pull[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    for (const s of sockets.splice(0)) s.close();
  });

  async function pull(): Promise<{ socket: Pull; endpoint: string }> {
    const socket = new Pull({ linger: 0 });
    sockets.push(socket);
    await socket.bind("tcp://127.0.0.1:*");
    return { socket, endpoint: socket.lastEndpoint! };
  }

  async function build(moduleConfig: Record<string, unknown>) {
    const b = await deliverFrom({
      hook: { data_type: "blob", module: "zeromq", "module-config": moduleConfig },
    });
    built.push(b);
    return b;
  }

  it("sends metadata and the exact body bytes as two frames, in order", async () => {
    const { socket, endpoint } = await pull();
    const b = await build({ endpoint });
    const messages = [blobMessage(new Uint8Array([0, 1, 255])), blobMessage(new Uint8Array([7]))];
    for (const m of messages) expect(await b.deliverer.deliver(m, never)).toEqual({ kind: "ack" });
    for (const m of messages) {
      const [meta, body, ...rest] = await socket.receive();
      expect(rest).toHaveLength(0);
      expect(JSON.parse(meta!.toString())).toMatchObject({
        message_id: m.messageId,
        webhook_id: "hook",
      });
      expect(new Uint8Array(body!)).toEqual(m.body);
    }
  });

  it("concurrent deliveries are all sent", async () => {
    const { socket, endpoint } = await pull();
    const b = await build({ endpoint });
    const messages = Array.from({ length: 20 }, (_, i) => jsonMessage({ i }));
    const outcomes = await Promise.all(messages.map((m) => b.deliverer.deliver(m, never)));
    expect(outcomes.every((o) => o.kind === "ack")).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < messages.length; i++) {
      const [meta] = await socket.receive();
      seen.add((JSON.parse(meta!.toString()) as { message_id: string }).message_id);
    }
    expect(seen).toEqual(new Set(messages.map((m) => m.messageId)));
  });

  it("PUSH without a peer is a retry after the timeout", async () => {
    const b = await build({ endpoint: "tcp://127.0.0.1:1", timeout: 0.2 });
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("validates module-config", async () => {
    await expect(build({ endpoint: "http://x" })).rejects.toThrow(/module-config\.endpoint/);
    await expect(build({ endpoint: "tcp://127.0.0.1:5555", topic: "t" })).rejects.toThrow(
      /module-config\.topic: only for socket_type 'pub'/,
    );
  });
});
