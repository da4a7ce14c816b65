/**
 * The relay-core scenarios once per connector transport, with the real
 * executables on the embedded buffer: byte-exact delivery, an offline
 * connector, a receiver killed with SIGKILL, and nack/dead-letter. The
 * Connect HTTP/1.1 fallback runs through a proxy that cannot do HTTP/2.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startTarget, type Target } from "../helpers/target.js";
import { e2eBackends, headerOf, mapLimit, Relay } from "./harness.js";
import { startTestProxy, type TestProxy } from "./transports-proxy.js";

const sqlite = e2eBackends.find((b) => b.name === "sqlite")!;

interface Variant {
  readonly label: string;
  readonly protocol: string;
  /** Put an HTTP/1.1-only proxy in front of the receiver. */
  readonly http1Proxy?: boolean;
  /** Transport named in the connector's `connected` log line. */
  readonly transport: string;
}

const variants: Variant[] = [
  { label: "grpc", protocol: "grpc", transport: "grpc" },
  { label: "connect over HTTP/2", protocol: "connect", transport: "connect" },
  {
    label: "connect over HTTP/1.1 (proxy without HTTP/2)",
    protocol: "connect",
    http1Proxy: true,
    transport: "connect_http1",
  },
  { label: "websocket", protocol: "websocket", transport: "websocket" },
  { label: "sse", protocol: "sse", transport: "sse" },
  { label: "long_poll", protocol: "long_poll", transport: "long_poll" },
];

for (const variant of variants) {
  describe(`relay e2e over ${variant.label}`, () => {
    let relay: Relay | undefined;
    let target: Target | undefined;
    let proxy: TestProxy | undefined;

    afterEach(async () => {
      await relay?.close();
      await target?.close();
      await proxy?.close();
      relay = undefined;
      target = undefined;
      proxy = undefined;
    });

    async function setup(overrides: Record<string, unknown> = {}) {
      relay = new Relay(sqlite, overrides);
      target = await startTarget();
      const receiver = await relay.startReceiver();
      if (variant.http1Proxy === true) proxy = await startTestProxy({ upstream: relay.url });
      return { r: relay, t: target, receiver };
    }

    function connector(r: Relay, t: Target, extra: { target?: Record<string, unknown> } = {}) {
      return r.startConnector(`${t.url}/hooks`, {
        protocol: variant.protocol,
        ...(proxy === undefined ? {} : { cloudUrl: proxy.url }),
        ...extra,
      });
    }

    it("delivers 200 webhooks byte-for-byte with their original headers", async () => {
      const { r, t } = await setup({ max_in_flight: 32 });
      const c = connector(r, t);
      const line = await c.waitForOutput(/^.*"msg":"connected".*$/m);
      expect(line).toContain(`"transport":"${variant.transport}"`);
      const bodies = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? Buffer.from(`{ "n" :${i},\n\t"s":"caf\\u00e9 \\ud83d\\ude00" }`)
          : Buffer.concat([Buffer.from([0, 255, 254, i % 256]), randomBytes(48)]),
      );
      const sent = await mapLimit(bodies, 16, async (body, i) => {
        const json = i % 2 === 0;
        const res = await r.send(json ? "json_hook" : "blob_hook", body, {
          "content-type": json ? "application/json" : "application/octet-stream",
          "X-Custom-Case": `Value-${i}`,
        });
        expect(res.status).toBe(200);
        return { id: res.json?.["message_id"] as string, body, i };
      });
      await t.waitForRequests(200, 60_000);
      const byId = new Map(
        t.requests.map((req) => [headerOf(req.rawHeaders, "x-webhook-message-id"), req]),
      );
      expect(byId.size).toBe(200);
      for (const { id, body, i } of sent) {
        const got = byId.get(id);
        expect(got, `message ${i}`).toBeDefined();
        expect(got!.body.equals(body), `body of message ${i}`).toBe(true);
        expect(got!.rawHeaders).toContain("X-Custom-Case");
        expect(headerOf(got!.rawHeaders, "X-Custom-Case")).toBe(`Value-${i}`);
      }
      if (proxy !== undefined) expect(proxy.forwarded.length).toBeGreaterThan(0);
    }, 90_000);

    it("buffers while the connector is offline and delivers after it starts", async () => {
      const { r, t } = await setup();
      const first = connector(r, t);
      expect((await r.send("json_hook", '{"warm":1}')).status).toBe(200);
      await t.waitForRequests(1);
      expect(await first.stop("SIGTERM")).toBe(0);
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const res = await r.send("json_hook", JSON.stringify({ offline: i }));
        expect(res.status).toBe(200);
        ids.add(res.json!["message_id"]!);
      }
      expect(t.requests).toHaveLength(1);
      connector(r, t);
      await t.waitForRequests(31, 30_000);
      const delivered = new Set(
        t.requests.map((q) => headerOf(q.rawHeaders, "x-webhook-message-id")),
      );
      for (const id of ids) expect(delivered.has(id)).toBe(true);
    }, 60_000);

    it("loses nothing when the receiver is killed with SIGKILL", async () => {
      const { r, t, receiver } = await setup();
      const ids = await mapLimit(
        Array.from({ length: 100 }, (_, i) => i),
        10,
        async (i) => {
          const res = await r.send("json_hook", JSON.stringify({ crash: i }));
          expect(res.status).toBe(200);
          return res.json!["message_id"]!;
        },
      );
      await receiver.stop("SIGKILL");
      await r.startReceiver();
      connector(r, t);
      await t.waitForRequests(100, 60_000);
      const delivered = new Set(
        t.requests.map((q) => headerOf(q.rawHeaders, "x-webhook-message-id")),
      );
      for (const id of ids) expect(delivered.has(id)).toBe(true);
    }, 90_000);

    it("redelivers after a target 500 with a higher attempt and dead-letters a 400", async () => {
      const { r, t } = await setup();
      let failures = 0;
      t.reply((req) => {
        const body = req.body.toString();
        if (body.includes("flaky") && failures === 0) {
          failures += 1;
          return { status: 500 };
        }
        return { status: body.includes("bad") ? 400 : 200 };
      });
      const c = connector(r, t, { target: { retry_enabled: false } });
      const flaky = await r.send("json_hook", '{"flaky":true}');
      const bad = await r.send("json_hook", '{"bad":true}');
      await t.waitForRequests(3, 30_000);
      const flakyDeliveries = t.requests.filter((q) => q.body.toString().includes("flaky"));
      expect(flakyDeliveries.map((q) => headerOf(q.rawHeaders, "x-webhook-attempt"))).toEqual([
        "1",
        "2",
      ]);
      expect(flakyDeliveries.map((q) => headerOf(q.rawHeaders, "x-webhook-message-id"))).toEqual([
        flaky.json!["message_id"],
        flaky.json!["message_id"],
      ]);
      expect(
        flakyDeliveries[1]!.receivedAt - flakyDeliveries[0]!.receivedAt,
      ).toBeGreaterThanOrEqual(900);
      expect(t.requests.filter((q) => q.body.toString().includes("bad"))).toHaveLength(1);
      expect(await c.stop("SIGTERM")).toBe(0);
      expect(await r.receiver!.stop("SIGTERM")).toBe(0);
      const buffer = await sqlite.open(r.dir);
      try {
        const deadLetters = await buffer.listDeadLetters(r.channel, { limit: 10, offset: 0 });
        expect(deadLetters.map((d) => d.message.messageId)).toEqual([bad.json!["message_id"]]);
        expect(deadLetters[0]!.reason).toMatch(/400/);
        const stats = await buffer.stats(r.channel);
        expect(stats).toMatchObject({ queued: 0, inFlight: 0 });
      } finally {
        await buffer.close();
      }
    }, 60_000);
  });
}
