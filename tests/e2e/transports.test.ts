/**
 * The relay-core scenarios once per connector transport, with the real
 * executables on the embedded buffer: byte-exact delivery, an offline
 * connector, a receiver killed with SIGKILL, and nack/dead-letter. The
 * Connect HTTP/1.1 fallback runs through a proxy that cannot do HTTP/2.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Target } from "../helpers/target.js";
import * as delivery from "./delivery-checks.js";
import { type Relay, relayPerTest, sqlite } from "./harness.js";
import { startTestProxy, type TestProxy } from "./transports-proxy.js";

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
    let proxy: TestProxy | undefined;

    // Registered before relayPerTest's, so it runs after it: relay and target close first.
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });
    const startRelay = relayPerTest();

    async function setup(overrides: Record<string, unknown> = {}) {
      const { relay, target } = await startRelay(overrides);
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
      const sent = await delivery.sendMixed(r, delivery.mixedBodies(200, "", 48), 16);
      await delivery.expectDeliveredByteExact(t, sent, 60_000);
      if (proxy !== undefined) expect(proxy.forwarded.length).toBeGreaterThan(0);
    }, 90_000);

    it("buffers while the connector is offline and delivers after it starts", async () => {
      const { r, t } = await setup();
      const first = connector(r, t);
      expect((await r.send("json_hook", '{"warm":1}')).status).toBe(200);
      await t.waitForRequests(1);
      expect(await first.stop("SIGTERM")).toBe(0);
      const ids = await delivery.sendNumbered(r, "offline", 30, 1);
      expect(t.requests).toHaveLength(1);
      connector(r, t);
      await t.waitForRequests(31, 30_000);
      delivery.expectAllDelivered(t, ids);
    }, 60_000);

    it("loses nothing when the receiver is killed with SIGKILL", async () => {
      const { r, t, receiver } = await setup();
      const ids = await delivery.sendNumbered(r, "crash", 100, 10);
      await receiver.stop("SIGKILL");
      await r.startReceiver();
      connector(r, t);
      await t.waitForRequests(100, 60_000);
      delivery.expectAllDelivered(t, ids);
    }, 90_000);

    it("redelivers after a target 500 with a higher attempt and dead-letters a 400", async () => {
      const { r, t } = await setup();
      delivery.replyFlakyOnceAndBad(t);
      const c = connector(r, t, { target: { retry_enabled: false } });
      const { flakyId, badId } = await delivery.sendFlakyAndBad(r);
      await delivery.expectRetriedOnceAndBadOnce(t, flakyId);
      expect(await c.stop("SIGTERM")).toBe(0);
      expect(await r.receiver!.stop("SIGTERM")).toBe(0);
      await delivery.expectOnlyDeadLetter(
        await sqlite.open(r.dir),
        r.channel,
        badId,
        async (buffer) => {
          expect(await buffer.stats(r.channel)).toMatchObject({ queued: 0, inFlight: 0 });
        },
      );
    }, 60_000);
  });
}
