import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type HistoryStore,
  openHistoryStore,
  type RecordedDelivery,
} from "../../../connector/inspector/history-store.js";
import { isLoopback, parseInspectAddress } from "../../../connector/inspector/index.js";
import { createReplayer } from "../../../connector/inspector/replay.js";
import { startInspectorServer } from "../../../connector/inspector/server.js";
import { tempDir } from "../../helpers/processes.js";

const opened: HistoryStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function open(options: { maxDeliveries?: number; maxBytes?: number } = {}) {
  const store = openHistoryStore({ path: join(tempDir("wc-history-"), "h.db"), ...options });
  opened.push(store);
  return store;
}

let clock = 1_000;
function delivery(id: string, body = "{}"): RecordedDelivery {
  clock += 1;
  return {
    request: {
      messageId: id,
      webhookId: "demo",
      channel: "c",
      receivedAt: clock,
      deliveryAttempt: 1,
      method: "POST",
      path: "/webhook/demo",
      query: "",
      headers: [["Content-Type", "application/json"]],
      body: Buffer.from(body),
      contentType: "application/json",
      sourceIp: "127.0.0.1",
      traceparent: "",
    },
    outcome: "acked",
    status: 200,
    durationMs: 3,
    attempts: [],
    settledAt: clock,
  };
}

describe("inspector history", () => {
  it("keeps at most maxDeliveries, dropping the oldest", () => {
    const store = open({ maxDeliveries: 3 });
    for (const id of ["a", "b", "c", "d", "e"]) store.record(delivery(id));
    expect(store.list({}).map((d) => d.message_id)).toEqual(["e", "d", "c"]);
    expect(store.get("a")).toBeUndefined();
  });

  it("keeps at most maxBytes, but always the newest delivery", () => {
    const store = open({ maxBytes: 2_500 });
    for (const id of ["a", "b", "c"]) store.record(delivery(id, "x".repeat(1_000)));
    expect(store.list({}).map((d) => d.message_id)).toEqual(["c", "b"]);
    store.record(delivery("huge", "y".repeat(10_000)));
    expect(store.list({}).map((d) => d.message_id)).toEqual(["huge"]);
  });

  it("updates a redelivered message in place and moves it to the top", () => {
    const store = open();
    store.record(delivery("a"));
    store.record(delivery("b"));
    store.record({ ...delivery("a"), outcome: "nacked", status: 503 });
    const list = store.list({});
    expect(list.map((d) => [d.message_id, d.outcome])).toEqual([
      ["a", "nacked"],
      ["b", "acked"],
    ]);
  });

  it("treats % and _ in a search literally", () => {
    const store = open();
    store.record(delivery("a", '{"v":"100%"}'));
    store.record(delivery("b", '{"v":"1000"}'));
    expect(store.list({ q: "100%" }).map((d) => d.message_id)).toEqual(["a"]);
  });

  it("reports binary bodies as base64 without text", () => {
    const store = open();
    store.record({
      ...delivery("bin"),
      request: { ...delivery("bin").request, body: Buffer.from([0xff, 0, 1]) },
    });
    expect(store.get("bin")).toMatchObject({ body_base64: "/wAB", body_text: null });
  });
});

describe("inspector address", () => {
  it("parses HOST:PORT and bracketed IPv6", () => {
    expect(parseInspectAddress("127.0.0.1:4040")).toEqual({ host: "127.0.0.1", port: 4040 });
    expect(parseInspectAddress("[::1]:0")).toEqual({ host: "::1", port: 0 });
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "192.168.1.2", "::"].some(isLoopback)).toBe(false);
  });

  it("moves to the next free port when the one asked for is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as import("node:net").AddressInfo).port;
    const store = open();
    try {
      const server = await startInspectorServer({
        host: "127.0.0.1",
        port: taken,
        store,
        replayer: createReplayer({ store, forwardedProto: "http" }),
      });
      const port = Number(new URL(server.url).port);
      expect(port).toBeGreaterThan(taken);
      expect(port).toBeLessThanOrEqual(taken + 9);
      await server.close();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
