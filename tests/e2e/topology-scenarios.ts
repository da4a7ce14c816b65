/**
 * The scenarios every shared-buffer backend runs end to end (JetStream,
 * Redis, RabbitMQ): several receivers on one broker, a connector offline
 * and back, and a receiver killed with SIGKILL while its connector holds
 * leases (the broker outage is in topology-outage.ts). Each backend's
 * test file declares its backend and its differences as options; the
 * scenarios are written once.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AckRequestSchema,
  PullRequestSchema,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import type { Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import { startTarget, type Target } from "../helpers/target.js";
import { headerOf, mapLimit, webhookSender } from "./harness.js";
import { countById, drained, idOf, type TopologyBackend, until, World } from "./topology.js";

/** A shared broker the replica scenarios run on. */
export interface SharedBrokerSuite {
  /** The broker's name in the describe block (`JetStream`, `Redis`, `RabbitMQ`). */
  readonly name: string;
  /** Whether the shared broker answers (throws under CI when it does not). */
  available(): Promise<boolean>;
  readonly backend: TopologyBackend;
  /**
   * The connector-offline scenario, where the backend runs it; with
   * `countsQueued`, the buffer's stats count what waits while it is offline.
   */
  readonly offline?: { readonly countsQueued: boolean };
  /** The SIGKILL scenario's numbers: messages posted, leases the doomed receiver holds. */
  readonly sigkill: {
    readonly messages: number;
    readonly leases: number;
    readonly overrides?: Record<string, unknown>;
  };
}

/** What each test of a suite starts; closed after each test. */
export class Fixture {
  world: World | undefined;
  target: Target | undefined;
  buffer: RelayBuffer | undefined;

  async close(deleteChannel: boolean): Promise<void> {
    await this.buffer?.close();
    await this.target?.close();
    await this.world?.close(deleteChannel);
    this.buffer = undefined;
    this.target = undefined;
    this.world = undefined;
  }
}

/** The replica scenarios against `suite`'s shared broker. */
export function describeSharedBroker(suite: SharedBrokerSuite): void {
  const source = `e2e-${suite.backend.tag}`;
  const send = webhookSender(source);

  describe(`several receivers on one ${suite.name}`, () => {
    let available = true;
    const f = new Fixture();

    beforeAll(async () => {
      available = await suite.available();
    });

    afterEach(() => f.close(true));

    it("ingests on one receiver, delivers through a connector on the other, acks anywhere", async (ctx) => {
      if (!available) ctx.skip();
      const w = new World(suite.backend, { max_in_flight: 32 });
      f.world = w;
      const target = await startTarget();
      f.target = target;
      target.reply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { status: 200 };
      });
      // Both replicas create the same streams and consumers at once.
      const [a, b] = await Promise.all([w.startReceiver(), w.startReceiver()]);
      const buffer = await w.openBuffer();
      f.buffer = buffer;

      // A lease taken on A is settled by an ack sent to B.
      const pulled = await send(b.url, "json_hook", '{"pulled":true}');
      expect(pulled.status).toBe(200);
      const headers = { authorization: `Bearer ${w.token}` };
      const clientA = createClient(RelayService, createGrpcTransport({ baseUrl: a.url }));
      const clientB = createClient(RelayService, createGrpcTransport({ baseUrl: b.url }));
      const pull = await clientA.pull(
        create(PullRequestSchema, {
          hello: { channel: w.channel, connectorId: "puller", maxInFlight: 1 },
          maxMessages: 1,
          timeout: { seconds: 5n },
        }),
        { headers },
      );
      expect(pull.messages.map((m) => m.messageId)).toEqual([pulled.json!["message_id"]]);
      expect((await buffer.stats(w.channel)).inFlight).toBe(1);
      const acked = await clientB.ack(
        create(AckRequestSchema, {
          channel: w.channel,
          connectionId: pull.connectionId,
          ackMessageIds: [pulled.json!["message_id"]!],
        }),
        { headers },
      );
      expect(acked.results.map((r) => r.ok)).toEqual([true]);
      const afterAck = await drained(buffer, w.channel, 1, [a.process, b.process]);
      expect(afterAck.delivered).toBe(1);

      // Everything posted to A reaches the connector attached to B, byte-exact.
      await w.startConnector(b, `${target.url}/b`, { id: "on-b" });
      const bodies = Array.from({ length: 150 }, (_, i) =>
        i % 2 === 0
          ? Buffer.from(`{ "n" :${i},\n\t"s":"caf\\u00e9",  "x": [1 ,2] }`)
          : Buffer.concat([Buffer.from([0, 255, i % 256]), randomBytes(48)]),
      );
      const first = await mapLimit(bodies, 16, async (body, i) => {
        const json = i % 2 === 0;
        const res = await send(a.url, json ? "json_hook" : "blob_hook", body, {
          "content-type": json ? "application/json" : "application/octet-stream",
          "X-Case-Kept": `V-${i}`,
        });
        expect(res.status).toBe(200);
        return { id: res.json!["message_id"]!, body, i };
      });
      await target.waitForRequests(first.length, 30_000);
      const byId = new Map(target.requests.map((req) => [idOf(req), req]));
      for (const { id, body, i } of first) {
        const got = byId.get(id);
        expect(got, `message ${i}`).toBeDefined();
        // The original query (`?source=…`) is forwarded after the target path.
        expect(got!.url).toBe(`/b?source=${source}`);
        expect(got!.body.equals(body), `body of message ${i}`).toBe(true);
        expect(got!.rawHeaders).toContain("X-Case-Kept");
        expect(headerOf(got!.rawHeaders, "X-Case-Kept")).toBe(`V-${i}`);
      }

      // Two connectors, one per replica, share the channel: each message once.
      await w.startConnector(a, `${target.url}/a`, { id: "on-a" });
      const second = await mapLimit(
        Array.from({ length: 200 }, (_, i) => i),
        16,
        async (i) => {
          const res = await send(i % 2 === 0 ? a.url : b.url, "json_hook", JSON.stringify({ i }));
          expect(res.status).toBe(200);
          return res.json!["message_id"]!;
        },
      );
      const total = first.length + second.length;
      await target.waitForRequests(total, 30_000);
      const stats = await drained(buffer, w.channel, total + 1, w.processes);
      const counts = countById(target.requests);
      expect(counts.size).toBe(total);
      for (const id of [...first.map((f) => f.id), ...second]) expect(counts.get(id)).toBe(1);
      const secondIds = new Set(second);
      const late = target.requests.filter((req) => secondIds.has(idOf(req)));
      expect(late.filter((req) => req.url === `/a?source=${source}`).length).toBeGreaterThanOrEqual(
        20,
      );
      expect(late.filter((req) => req.url === `/b?source=${source}`).length).toBeGreaterThanOrEqual(
        20,
      );
      expect(stats).toMatchObject({
        queued: 0,
        inFlight: 0,
        delivered: total + 1,
        deadLettered: 0,
      });
      expect(stats.groups).toEqual([
        { group: "default", pending: 0, inFlight: 0, oldestUnackedAgeMs: 0 },
      ]);
      // Steady state: nothing is redelivered later.
      expect(target.requests).toHaveLength(total);
    }, 90_000);

    const offline = suite.offline;
    if (offline !== undefined) {
      it("keeps what arrives while the connector is offline and delivers it once it is back", async (ctx) => {
        if (!available) ctx.skip();
        const w = new World(suite.backend);
        f.world = w;
        const target = await startTarget();
        f.target = target;
        const receiver = await w.startReceiver();
        const first = await w.startConnector(receiver, target.url, { id: "laptop" });
        const online = await send(receiver.url, "json_hook", '{"online":true}');
        expect(online.status).toBe(200);
        await target.waitForRequests(1, 15_000);

        expect(await first.stop("SIGTERM")).not.toBeNull();
        const offlineIds = await mapLimit(
          Array.from({ length: 20 }, (_, i) => i),
          4,
          async (i) => {
            const res = await send(receiver.url, "json_hook", JSON.stringify({ offline: i }));
            expect(res.status).toBe(200);
            return res.json!["message_id"]!;
          },
        );
        if (offline.countsQueued) {
          f.buffer = await w.openBuffer();
          expect(await f.buffer.stats(w.channel)).toMatchObject({ queued: 20, inFlight: 0 });
        }
        expect(target.requests).toHaveLength(1);

        await w.startConnector(receiver, target.url, { id: "laptop" });
        await target.waitForRequests(21, 20_000);
        const counts = countById(target.requests);
        for (const id of offlineIds) expect(counts.get(id)).toBe(1);
        f.buffer ??= await w.openBuffer();
        expect(
          await drained(f.buffer, w.channel, offline.countsQueued ? 21 : undefined, w.processes),
        ).toMatchObject(
          offline.countsQueued ? { queued: 0, delivered: 21 } : { queued: 0, inFlight: 0 },
        );
      }, 60_000);
    }

    it("redelivers the leases of a receiver killed with SIGKILL through the other one", async (ctx) => {
      if (!available) ctx.skip();
      const { messages, leases, overrides } = suite.sigkill;
      const w = new World(suite.backend, { ack_timeout_seconds: 2, ...overrides });
      f.world = w;
      const target = await startTarget();
      f.target = target;
      // The app behind the first connector never answers: its leases stay unacked.
      target.reply((req) =>
        req.url === `/a?source=${source}` ? new Promise<never>(() => undefined) : { status: 200 },
      );
      const [a, b] = await Promise.all([w.startReceiver(), w.startReceiver()]);
      // 3 deliveries at once and, with the connector's prefetch, `leases` leases.
      await w.startConnector(a, `${target.url}/a`, {
        id: "doomed",
        maxConcurrent: 3,
        timeoutSeconds: 60,
      });
      const ids = await mapLimit(
        Array.from({ length: messages }, (_, i) => i),
        4,
        async (i) => {
          const res = await send(
            i % 2 === 0 ? a.url : b.url,
            "json_hook",
            JSON.stringify({ k: i }),
          );
          expect(res.status).toBe(200);
          return res.json!["message_id"]!;
        },
      );
      await target.waitForRequests(3, 15_000);
      const held = new Set(target.requests.map(idOf));
      expect(held.size).toBe(3);
      const buffer = await w.openBuffer();
      f.buffer = buffer;
      await until(
        `${leases} leases held by the doomed receiver`,
        async () => (await buffer.stats(w.channel)).inFlight === leases,
        15_000,
      );

      expect(await a.process.stop("SIGKILL")).toBe("SIGKILL");
      expect(target.requests.filter((req) => req.url === `/b?source=${source}`)).toHaveLength(0);
      await w.startConnector(b, `${target.url}/b`, { id: "rescuer" });
      // 3 held at /a, then every message at /b: the ones leased by A (held
      // by its app or prefetched) as attempt 2 once their leases ran out or
      // the broker requeued them, the ones never leased as attempt 1.
      await target.waitForRequests(3 + ids.length, 20_000);
      const rescued = target.requests.filter((req) => req.url === `/b?source=${source}`);
      expect(new Set(rescued.map(idOf))).toEqual(new Set(ids));
      const attempts = (n: string) =>
        rescued.filter((req) => headerOf(req.rawHeaders, "x-webhook-attempt") === n);
      const secondAttempts = attempts("2");
      expect(secondAttempts).toHaveLength(leases);
      expect(attempts("1")).toHaveLength(messages - leases);
      for (const id of held) expect(secondAttempts.map(idOf)).toContain(id);
      const stats = await drained(buffer, w.channel, ids.length, w.processes);
      expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: ids.length });
    }, 60_000);
  });
}
