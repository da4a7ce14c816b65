/**
 * The Redis Streams buffer end to end with real processes (issue #17):
 * several receiver processes on one Redis serving one channel (ingest on
 * one, stream from another, ack anywhere, byte-exact), a connector offline
 * and back, a receiver killed with SIGKILL while its connector holds
 * leases, and an outage of a private redis-server that is stopped and
 * started again under a running receiver.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AckRequestSchema,
  PullRequestSchema,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import type { Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import { channelPrefix, createRedisBuffer } from "../../receiver/buffer/redis/index.js";
import { deleteRedisKeys } from "../helpers/redis.js";
import {
  type PrivateRedisServer,
  redisServerAvailable,
  startRedisServer,
} from "../helpers/redis-server.js";
import { serviceAvailable } from "../helpers/services.js";
import { startTarget, type Target } from "../helpers/target.js";
import { headerOf, mapLimit } from "./harness.js";
import {
  countById,
  drained,
  idOf,
  statusOf,
  type TopologyBackend,
  until,
  World,
  webhookSender,
} from "./topology.js";

const SHARED_REDIS = "redis://127.0.0.1:6379";

/** The Redis buffer at `url` for a world; cleanup deletes the channel's keys. */
function redisBackend(url: string): TopologyBackend {
  return {
    tag: "rd",
    bufferUrl: url,
    openBuffer: () => createRedisBuffer({ url }),
    async deleteChannel(channel) {
      const redis = new Redis(url);
      try {
        await deleteRedisKeys(redis, `${channelPrefix(channel)}*`);
      } finally {
        await redis.quit();
      }
    },
  };
}

const send = webhookSender("e2e-rd");

describe("several receivers on one Redis", () => {
  let available = true;
  let world: World | undefined;
  let target: Target | undefined;
  let buffer: RelayBuffer | undefined;

  beforeAll(async () => {
    available = await serviceAvailable("redis");
  });

  afterEach(async () => {
    await buffer?.close();
    await target?.close();
    await world?.close(true);
    buffer = undefined;
    target = undefined;
    world = undefined;
  });

  it("ingests on one receiver, delivers through a connector on the other, acks anywhere", async (ctx) => {
    if (!available) ctx.skip();
    world = new World(redisBackend(SHARED_REDIS), { max_in_flight: 32 });
    const w = world;
    target = await startTarget();
    target.reply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200 };
    });
    // Both replicas create the same stream and consumer group at once.
    const [a, b] = await Promise.all([w.startReceiver(), w.startReceiver()]);
    buffer = await w.openBuffer();

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
      // The original query (`?source=e2e-rd`) is forwarded after the target path.
      expect(got!.url).toBe("/b?source=e2e-rd");
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
    expect(late.filter((req) => req.url === "/a?source=e2e-rd").length).toBeGreaterThanOrEqual(20);
    expect(late.filter((req) => req.url === "/b?source=e2e-rd").length).toBeGreaterThanOrEqual(20);
    expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: total + 1, deadLettered: 0 });
    expect(stats.groups).toEqual([
      { group: "default", pending: 0, inFlight: 0, oldestUnackedAgeMs: 0 },
    ]);
    // Steady state: nothing is redelivered later.
    expect(target.requests).toHaveLength(total);
  }, 90_000);

  it("keeps what arrives while the connector is offline and delivers it once it is back", async (ctx) => {
    if (!available) ctx.skip();
    world = new World(redisBackend(SHARED_REDIS));
    const w = world;
    target = await startTarget();
    const receiver = await w.startReceiver();
    const first = await w.startConnector(receiver, target.url, { id: "laptop" });
    const online = await send(receiver.url, "json_hook", '{"online":true}');
    expect(online.status).toBe(200);
    await target.waitForRequests(1, 15_000);

    expect(await first.stop("SIGTERM")).not.toBeNull();
    const offline = await mapLimit(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async (i) => {
        const res = await send(receiver.url, "json_hook", JSON.stringify({ offline: i }));
        expect(res.status).toBe(200);
        return res.json!["message_id"]!;
      },
    );
    buffer = await w.openBuffer();
    expect(await buffer.stats(w.channel)).toMatchObject({ queued: 20, inFlight: 0 });
    expect(target.requests).toHaveLength(1);

    await w.startConnector(receiver, target.url, { id: "laptop" });
    await target.waitForRequests(21, 20_000);
    const counts = countById(target.requests);
    for (const id of offline) expect(counts.get(id)).toBe(1);
    expect(await drained(buffer, w.channel, 21, w.processes)).toMatchObject({
      queued: 0,
      delivered: 21,
    });
  }, 60_000);

  it("redelivers the leases of a receiver killed with SIGKILL through the other one", async (ctx) => {
    if (!available) ctx.skip();
    world = new World(redisBackend(SHARED_REDIS), { ack_timeout_seconds: 2 });
    const w = world;
    target = await startTarget();
    // The app behind the first connector never answers: its leases stay unacked.
    target.reply((req) =>
      req.url === "/a?source=e2e-rd" ? new Promise<never>(() => undefined) : { status: 200 },
    );
    const [a, b] = await Promise.all([w.startReceiver(), w.startReceiver()]);
    // 3 deliveries at once and, with the connector's prefetch (max_in_flight
    // 12), 12 leases; 6 more messages wait unleased.
    await w.startConnector(a, `${target.url}/a`, {
      id: "doomed",
      maxConcurrent: 3,
      timeoutSeconds: 60,
    });
    const ids = await mapLimit(
      Array.from({ length: 18 }, (_, i) => i),
      4,
      async (i) => {
        const res = await send(i % 2 === 0 ? a.url : b.url, "json_hook", JSON.stringify({ k: i }));
        expect(res.status).toBe(200);
        return res.json!["message_id"]!;
      },
    );
    await target.waitForRequests(3, 15_000);
    const held = new Set(target.requests.map(idOf));
    expect(held.size).toBe(3);
    buffer = await w.openBuffer();
    const leasedBuffer = buffer;
    await until(
      "twelve leases held by the doomed receiver",
      async () => (await leasedBuffer.stats(w.channel)).inFlight === 12,
      15_000,
    );

    expect(await a.process.stop("SIGKILL")).toBe("SIGKILL");
    expect(target.requests.filter((req) => req.url === "/b?source=e2e-rd")).toHaveLength(0);
    await w.startConnector(b, `${target.url}/b`, { id: "rescuer" });
    // 3 held at /a, then all 18 at /b: the 12 leased by A (3 held by its
    // app, 9 prefetched) as attempt 2 after their leases ran out (reclaimed
    // with XAUTOCLAIM), the 6 never leased as attempt 1.
    await target.waitForRequests(3 + ids.length, 20_000);
    const rescued = target.requests.filter((req) => req.url === "/b?source=e2e-rd");
    expect(new Set(rescued.map(idOf))).toEqual(new Set(ids));
    const secondAttempts = rescued.filter(
      (req) => headerOf(req.rawHeaders, "x-webhook-attempt") === "2",
    );
    const firstAttempts = rescued.filter(
      (req) => headerOf(req.rawHeaders, "x-webhook-attempt") === "1",
    );
    expect(secondAttempts).toHaveLength(12);
    expect(firstAttempts).toHaveLength(6);
    for (const id of held) expect(secondAttempts.map(idOf)).toContain(id);
    const stats = await drained(buffer, w.channel, ids.length, w.processes);
    expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: ids.length });
  }, 60_000);
});

describe("Redis outage (private redis-server)", () => {
  let available = true;
  let redis: PrivateRedisServer | undefined;
  let world: World | undefined;
  let target: Target | undefined;
  let buffer: RelayBuffer | undefined;

  beforeAll(() => {
    available = redisServerAvailable();
  });

  afterEach(async () => {
    await buffer?.close();
    await target?.close();
    await world?.close(false);
    await redis?.close();
    buffer = undefined;
    target = undefined;
    world = undefined;
    redis = undefined;
  });

  it("answers 503 while Redis is down and delivers everything once it is back, without a restart", async (ctx) => {
    if (!available) ctx.skip();
    redis = await startRedisServer();
    world = new World(redisBackend(redis.url), { ack_timeout_seconds: 2 });
    const w = world;
    target = await startTarget();
    let releaseHeld: () => void = () => undefined;
    const heldUntil = new Promise<void>((resolve) => {
      releaseHeld = resolve;
    });
    target.reply(async (req) => {
      if (req.body.toString().includes("held")) await heldUntil;
      return { status: 200 };
    });
    const receiver = await w.startReceiver();
    const connector = await w.startConnector(receiver, target.url, {
      id: "outage",
      maxConcurrent: 3,
      timeoutSeconds: 60,
    });
    const accepted: string[] = [];
    const post = async (body: string) => {
      const res = await send(receiver.url, "json_hook", body);
      expect(res.status, body).toBe(200);
      accepted.push(res.json!["message_id"]!);
    };
    for (let i = 0; i < 10; i++) await post(JSON.stringify({ before: i }));
    await target.waitForRequests(10, 15_000);
    // Three deliveries hang in the app (the connector's whole credit), so
    // five more wait in the stream, undelivered, when Redis goes away.
    for (let i = 0; i < 3; i++) await post(JSON.stringify({ held: i }));
    await target.waitForRequests(13, 15_000);
    for (let i = 0; i < 5; i++) await post(JSON.stringify({ queued: i }));
    expect(target.requests).toHaveLength(13);

    // SIGKILL: the private server fsyncs every write (appendfsync always).
    await redis.stop("SIGKILL");
    await until(
      "GET /ready answers 503",
      async () => (await statusOf(`${receiver.url}/ready`)) === 503,
      15_000,
    );
    for (let i = 0; i < 5; i++) {
      const res = await send(receiver.url, "json_hook", JSON.stringify({ during: i }));
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toMatch(/^\d+$/);
      expect(res.json?.["error"]).toBe("buffer_unavailable");
    }
    expect(await statusOf(`${receiver.url}/health`)).toBe(200);
    // The app finishes the held deliveries while the broker is away: their
    // acks cannot be applied now, so the leases must still resolve later.
    releaseHeld();
    expect(receiver.process.child.exitCode).toBeNull();
    expect(connector.child.exitCode).toBeNull();

    await redis.start();
    await until(
      "GET /ready answers 200",
      async () => (await statusOf(`${receiver.url}/ready`)) === 200,
      20_000,
    );
    for (let i = 0; i < 10; i++) await post(JSON.stringify({ after: i }));
    expect(receiver.process.child.exitCode).toBeNull();

    buffer = await w.openBuffer();
    await drained(buffer, w.channel, undefined, [receiver.process, connector]);
    const seen = countById(target.requests);
    for (const id of accepted) expect(seen.has(id), id).toBe(true);
    expect(seen.size).toBe(accepted.length);
    // Redeliveries of the held messages were acked by the connector without
    // calling the app a second time.
    expect(target.requests).toHaveLength(accepted.length);
    expect(connector.child.exitCode).toBeNull();
  }, 90_000);
});
