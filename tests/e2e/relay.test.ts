/**
 * The relay core end to end with real processes (SPEC §3.2, §4, §8):
 * byte-exact delivery, offline connectors, receiver crash, nack/DLQ, lease
 * expiry, load balancing, full queue and oversize bodies — once per buffer
 * backend.
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConnectRequestSchema, RelayService } from "../../gen/webhookconnect/v1/relay_pb.js";
import { serviceAvailable } from "../helpers/services.js";
import { startTarget, type Target } from "../helpers/target.js";
import * as delivery from "./delivery-checks.js";
import { e2eBackends, headerOf, mapLimit, Relay } from "./harness.js";

for (const backend of e2eBackends) {
  describe(`relay e2e on ${backend.name}`, () => {
    let available = true;
    let relay: Relay | undefined;
    let target: Target | undefined;

    beforeAll(async () => {
      if (backend.service !== undefined) available = await serviceAvailable(backend.service);
    });

    afterEach(async () => {
      await relay?.close();
      await target?.close();
      relay = undefined;
      target = undefined;
    });

    function setup(overrides: Record<string, unknown> = {}) {
      relay = new Relay(backend, overrides);
      return relay;
    }

    /** A relay with its receiver running and a recording target, both closed after the test. */
    async function startWithTarget(overrides: Record<string, unknown> = {}) {
      const r = setup(overrides);
      const t = await startTarget();
      target = t;
      const receiver = await r.startReceiver();
      return { r, t, receiver };
    }

    it("delivers 1,000 webhooks byte-for-byte with their original headers", async (ctx) => {
      if (!available) ctx.skip();
      const { r, t } = await startWithTarget({ max_in_flight: 64 });
      r.startConnector(`${t.url}/hooks`);
      const bodies = delivery.mixedBodies(1000, ',  "x": [1 ,2]', 64);
      const sent = await delivery.sendMixed(r, bodies, 32, { "x-repeated": "a" });
      await delivery.expectDeliveredByteExact(t, sent, 60_000);
    }, 120_000);

    it("buffers while the connector is offline and delivers after it starts", async (ctx) => {
      if (!available) ctx.skip();
      const { r, t } = await startWithTarget();
      const first = r.startConnector(t.url);
      await expect(r.send("json_hook", '{"warm":1}')).resolves.toMatchObject({ status: 200 });
      await t.waitForRequests(1);
      await first.stop("SIGTERM");
      const ids = await delivery.sendNumbered(r, "offline", 50, 1);
      expect(t.requests).toHaveLength(1);
      r.startConnector(t.url);
      await t.waitForRequests(51);
      delivery.expectAllDelivered(t, ids);
    }, 60_000);

    it("loses nothing when the receiver is killed with SIGKILL right after answering 200", async (ctx) => {
      if (!available) ctx.skip();
      const { r, t, receiver } = await startWithTarget();
      const ids = await delivery.sendNumbered(r, "crash", 200, 20);
      await receiver.stop("SIGKILL");
      await r.startReceiver();
      r.startConnector(t.url);
      await t.waitForRequests(200, 60_000);
      delivery.expectAllDelivered(t, ids);
    }, 90_000);

    it("redelivers after a target 500 with a higher attempt and dead-letters a 400", async (ctx) => {
      if (!available) ctx.skip();
      const { r, t } = await startWithTarget();
      delivery.replyFlakyOnceAndBad(t);
      const connector = r.startConnector(t.url, { target: { retry_enabled: false } });
      const { flakyId, badId } = await delivery.sendFlakyAndBad(r);
      await delivery.expectRetriedOnceAndBadOnce(t, flakyId);
      // A graceful stop flushes the connector's pending acks and nacks.
      expect(await connector.stop("SIGTERM")).toBe(0);
      expect(await r.receiver!.stop("SIGTERM")).toBe(0);
      await delivery.expectOnlyDeadLetter(await r.openBuffer(), r.channel, badId);
    }, 60_000);

    it("redelivers to another connector when a lease expires unacked", async (ctx) => {
      if (!available) ctx.skip();
      const { r, t } = await startWithTarget({ ack_timeout_seconds: 1 });
      const transport = createGrpcTransport({ baseUrl: r.url });
      const client = createClient(RelayService, transport);
      const abort = new AbortController();
      const hello = create(ConnectRequestSchema, {
        frame: {
          case: "hello",
          value: { channel: r.channel, connectorId: "silent", maxInFlight: 1 },
        },
      });
      const heartbeat = create(ConnectRequestSchema, { frame: { case: "heartbeat", value: {} } });
      // A live connector that never acks: it keeps heartbeating, so only
      // the lease timeout can free its message.
      async function* requests() {
        yield hello;
        while (!abort.signal.aborted) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          yield heartbeat;
        }
      }
      const stream = client.connect(requests(), {
        headers: { authorization: `Bearer ${r.token}` },
        signal: abort.signal,
      });
      const sent = await r.send("json_hook", '{"lease":1}');
      let received: string | undefined;
      try {
        for await (const response of stream) {
          if (response.frame.case === "message") {
            received = response.frame.value.messageId;
            break;
          }
        }
        // Keep the silent connection open (it keeps heartbeating) while the
        // lease runs out, then let a real connector take over.
        r.startConnector(t.url, { id: "rescuer" });
        await t.waitForRequests(1, 20_000);
        expect(headerOf(t.requests[0]!.rawHeaders, "x-webhook-message-id")).toBe(received);
        expect(headerOf(t.requests[0]!.rawHeaders, "x-webhook-attempt")).toBe("2");
      } finally {
        abort.abort();
      }
      expect(received).toBe(sent.json!["message_id"]);
    }, 60_000);

    it("shares one channel's load between two connectors", async (ctx) => {
      if (!available) ctx.skip();
      const r = setup({ max_in_flight: 4 });
      target = await startTarget();
      target.reply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { status: 200 };
      });
      await r.startReceiver();
      const targetA = `${target.url}/a`;
      const targetB = `${target.url}/b`;
      const connectors = [
        r.startConnector(targetA, { id: "a" }),
        r.startConnector(targetB, { id: "b" }),
      ];
      // Both attached before the load starts, or a slow start of one is what is measured.
      await Promise.all(connectors.map((c) => c.waitForOutput(/"msg":"connected"/, 20_000)));
      await mapLimit(
        Array.from({ length: 300 }, (_, i) => i),
        16,
        async (i) => {
          expect((await r.send("json_hook", JSON.stringify({ lb: i }))).status).toBe(200);
        },
      );
      await target.waitForRequests(300, 60_000);
      const toA = target.requests.filter((q) => q.url === "/a?source=e2e").length;
      const toB = target.requests.filter((q) => q.url === "/b?source=e2e").length;
      expect(toA + toB).toBe(300);
      expect(toA).toBeGreaterThanOrEqual(45);
      expect(toB).toBeGreaterThanOrEqual(45);
    }, 90_000);

    it("answers 503 with Retry-After when the channel is full and stores nothing more", async (ctx) => {
      if (!available) ctx.skip();
      const r = setup({ max_queue_size: 5 });
      await r.startReceiver();
      for (let i = 0; i < 5; i++)
        expect((await r.send("json_hook", `{"fill":${i}}`)).status).toBe(200);
      const full = await r.send("json_hook", '{"fill":"over"}');
      expect(full.status).toBe(503);
      expect(full.headers["retry-after"]).toMatch(/^\d+$/);
      expect(full.json).toMatchObject({ error: "channel_full" });
      await r.receiver!.stop("SIGTERM");
      const buffer = await r.openBuffer();
      try {
        const stats = await buffer.stats(r.channel);
        expect(stats.queued).toBe(5);
      } finally {
        await buffer.close();
      }
    }, 30_000);

    it("answers 413 for an oversize body without reading all of it", async (ctx) => {
      if (!available) ctx.skip();
      const r = setup({ max_message_bytes: 1024 });
      await r.startReceiver();
      const declared = await r.send("blob_hook", Buffer.alloc(4096, 1), {
        "content-type": "application/octet-stream",
      });
      expect(declared.status).toBe(413);
      expect(declared.json).toMatchObject({ error: "payload_too_large" });
    }, 30_000);
  });
}
