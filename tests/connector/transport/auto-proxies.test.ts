/**
 * `protocol: auto` behind proxies that break the better transports: the
 * connector settles on what gets through, says why the others failed, and
 * still delivers everything exactly once per message id. Also an SSE
 * session that outlives the heartbeat timeout under sustained traffic.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import type { ConnectorEvent } from "../../../connector/runner/events.js";
import { createConnectorRunner } from "../../../connector/runner/runner.js";
import { createTransportForProtocol } from "../../../connector/transport/select.js";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { startTestProxy, type TestProxy } from "../../e2e/transports-proxy.js";
import { startTestReceiver, type TestReceiver } from "../../receiver/stream/harness.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recordingDeliverer() {
  const delivered: WebhookMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const deliverer: Deliverer = {
    async deliver(message) {
      delivered.push(message);
      for (const w of waiters.filter((w) => delivered.length >= w.count)) w.resolve();
      return { kind: "ack" };
    },
    async close() {},
  };
  const waitFor = (count: number) =>
    new Promise<void>((resolve) => {
      if (delivered.length >= count) resolve();
      else waiters.push({ count, resolve });
    });
  return { deliverer, delivered, waitFor };
}

async function run(url: string, protocol: "auto" | "sse", heartbeatTimeoutMs?: number) {
  const transport = createTransportForProtocol(protocol, {
    cloudUrl: url,
    token: "tok",
    openTimeoutMs: 1_500,
  });
  const events: ConnectorEvent[] = [];
  const recorder = recordingDeliverer();
  const runner = createConnectorRunner({
    transport,
    deliverer: recorder.deliverer,
    hello: { channel: "ch", connectorId: "t", group: "", maxInFlight: 20, clientVersion: "t" },
    reconnectDelayMs: 100,
    maxReconnectDelayMs: 500,
    shutdownGraceMs: 1_000,
    ...(heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs }),
    onEvent: (event) => events.push(event),
  });
  const abort = new AbortController();
  const done = runner.run(abort.signal);
  cleanups.push(async () => {
    abort.abort();
    await done;
    await transport.close();
  });
  return { events, ...recorder };
}

async function receiverBehind(buffering: "all" | "all-but-event-stream") {
  const receiver: TestReceiver = await startTestReceiver({
    heartbeatIntervalMs: 200,
    channel: { max_in_flight: 50 },
  });
  cleanups.push(() => receiver.close());
  const proxy: TestProxy = await startTestProxy({ upstream: receiver.url, buffering });
  cleanups.push(() => proxy.close());
  return { receiver, proxy };
}

async function sendMany(receiver: TestReceiver, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await receiver.send("json_hook", `{"n":${i}}`));
  return ids;
}

/**
 * Queues 40 webhooks behind a proxy buffering `buffering`, then runs an
 * auto connector through it until all 40 arrived; returns the `connected`
 * event of the transport it settled on.
 */
async function settleBehind(buffering: "all" | "all-but-event-stream") {
  const { receiver, proxy } = await receiverBehind(buffering);
  const ids = await sendMany(receiver, 40);
  const c = await run(proxy.url, "auto");
  await c.waitFor(40);
  const connected = c.events.find((e) => e.type === "connected");
  if (connected?.type !== "connected") throw new Error("no connected event");
  return { receiver, proxy, ids, c, connected };
}

describe("auto behind hostile proxies", () => {
  it("settles on SSE behind a proxy without HTTP/2 or upgrades that buffers all but event streams", async () => {
    const { receiver, proxy, ids, c, connected } = await settleBehind("all-but-event-stream");
    expect(connected).toMatchObject({ transport: "sse" });
    expect(connected.fallbacks.map((f) => f.transport)).toEqual([
      "grpc",
      "connect_http1",
      "websocket",
    ]);
    expect(connected.fallbacks[0]!.reason).toMatch(/HTTP\/2/);
    expect(connected.fallbacks[2]!.reason).toMatch(/403/);
    expect(proxy.refusedUpgrades).toBeGreaterThan(0);
    expect(new Set(c.delivered.map((m) => m.messageId))).toEqual(new Set(ids));
    await expect.poll(async () => (await receiver.buffer.stats("ch")).delivered).toBe(40);
  }, 30_000);

  it("settles on long-poll behind a proxy that buffers every response", async () => {
    const { receiver, ids, c, connected } = await settleBehind("all");
    expect(connected).toMatchObject({ transport: "long_poll" });
    expect(connected.fallbacks.map((f) => f.transport)).toEqual([
      "grpc",
      "connect_http1",
      "websocket",
      "sse",
    ]);
    expect(connected.fallbacks[3]!.reason).toMatch(/no 'connected' event within/);
    expect(new Set(c.delivered.map((m) => m.messageId))).toEqual(new Set(ids));
    const more = await sendMany(receiver, 10);
    await c.waitFor(50);
    expect(new Set(c.delivered.slice(40).map((m) => m.messageId))).toEqual(new Set(more));
    await expect.poll(async () => (await receiver.buffer.stats("ch")).delivered).toBe(50);
  }, 30_000);

  it("settles on Connect over HTTP/1.1 behind a streaming proxy that only refuses HTTP/2 and upgrades", async () => {
    const receiver = await startTestReceiver({ heartbeatIntervalMs: 200 });
    cleanups.push(() => receiver.close());
    const proxy = await startTestProxy({ upstream: receiver.url });
    cleanups.push(() => proxy.close());
    const c = await run(proxy.url, "auto");
    const ids = await sendMany(receiver, 20);
    await c.waitFor(20);
    expect(c.events.find((e) => e.type === "connected")).toMatchObject({
      transport: "connect_http1",
    });
    expect(new Set(c.delivered.map((m) => m.messageId))).toEqual(new Set(ids));
  }, 30_000);
});

describe("SSE under sustained traffic", () => {
  it("keeps one session longer than the heartbeat timeout with no reconnect or duplicate", async () => {
    const receiver = await startTestReceiver({
      heartbeatIntervalMs: 200,
      channel: { max_in_flight: 100 },
    });
    cleanups.push(() => receiver.close());
    const c = await run(receiver.url, "sse", 600);
    await expect.poll(() => c.events.some((e) => e.type === "connected")).toBe(true);
    const ids: string[] = [];
    const startedAt = performance.now();
    while (performance.now() - startedAt < 2_000) {
      ids.push(await receiver.send("json_hook", JSON.stringify({ n: ids.length })));
    }
    await c.waitFor(ids.length);
    expect(c.events.filter((e) => e.type === "connected")).toHaveLength(1);
    expect(c.events.filter((e) => e.type === "disconnected")).toHaveLength(0);
    expect(c.events.filter((e) => e.type === "duplicate")).toHaveLength(0);
    expect(c.delivered.map((m) => m.messageId).sort()).toEqual([...ids].sort());
    await expect.poll(async () => (await receiver.buffer.stats("ch")).delivered).toBe(ids.length);
  }, 30_000);
});
