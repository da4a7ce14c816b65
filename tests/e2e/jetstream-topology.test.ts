/**
 * The JetStream buffer end to end with real processes (SPEC §7, issue #3):
 * several receiver processes on one NATS serving one channel (ingest on one,
 * stream from another, ack anywhere), a receiver killed with SIGKILL while
 * its connector holds leases, and a broker outage against a private
 * nats-server that is stopped and started again under a running receiver.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AckRequestSchema,
  PullRequestSchema,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import type { Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  createJetStreamBuffer,
  deadLetterStream,
} from "../../receiver/buffer/jetstream/index.js";
import {
  natsServerAvailable,
  type PrivateNatsServer,
  startNatsServer,
} from "../helpers/nats-server.js";
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

const SHARED_NATS = "nats://127.0.0.1:4222";

/** The JetStream buffer at `url` for a world; cleanup deletes the channel's streams and counters. */
function natsBackend(url: string): TopologyBackend {
  return {
    tag: "js",
    bufferUrl: url,
    openBuffer: () => createJetStreamBuffer({ servers: url, name: "e2e-inspector" }),
    async deleteChannel(channel) {
      const nc = await connect({ servers: url, name: "e2e-cleanup" });
      try {
        const jsm = await jetstreamManager(nc);
        for (const stream of [channelStream(channel), deadLetterStream(channel)]) {
          await jsm.streams.delete(stream).catch(() => undefined);
        }
        const counters = await new Kvm(nc).open(COUNTERS_BUCKET);
        await counters.purge(countersKey(channel)).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}

const send = webhookSender("e2e-js");

describe("several receivers on one JetStream", () => {
  let available = true;
  let world: World | undefined;
  let target: Target | undefined;
  let buffer: RelayBuffer | undefined;

  beforeAll(async () => {
    available = await serviceAvailable("nats");
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
    world = new World(natsBackend(SHARED_NATS), { max_in_flight: 32 });
    const w = world;
    target = await startTarget();
    target.reply(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200 };
    });
    // Both replicas create the same streams and consumer at once.
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
      // The original query (`?source=e2e-js`) is forwarded after the target path.
      expect(got!.url).toBe("/b?source=e2e-js");
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
    expect(late.filter((req) => req.url === "/a?source=e2e-js").length).toBeGreaterThanOrEqual(20);
    expect(late.filter((req) => req.url === "/b?source=e2e-js").length).toBeGreaterThanOrEqual(20);
    expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: total + 1, deadLettered: 0 });
    expect(stats.groups).toEqual([
      { group: "default", pending: 0, inFlight: 0, oldestUnackedAgeMs: 0 },
    ]);
    // Steady state: nothing is redelivered later.
    expect(target.requests).toHaveLength(total);
  }, 90_000);

  it("redelivers the leases of a receiver killed with SIGKILL through the other one", async (ctx) => {
    if (!available) ctx.skip();
    world = new World(natsBackend(SHARED_NATS), { ack_timeout_seconds: 2 });
    const w = world;
    target = await startTarget();
    // The app behind the first connector never answers: its leases stay unacked.
    target.reply((req) =>
      req.url === "/a?source=e2e-js" ? new Promise<never>(() => undefined) : { status: 200 },
    );
    const [a, b] = await Promise.all([w.startReceiver(), w.startReceiver()]);
    // 3 deliveries at once and, with the connector's prefetch (4 × its
    // concurrency), 12 leases.
    await w.startConnector(a, `${target.url}/a`, {
      id: "doomed",
      maxConcurrent: 3,
      timeoutSeconds: 60,
    });
    const ids = await mapLimit(
      Array.from({ length: 24 }, (_, i) => i),
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
    expect(target.requests.filter((req) => req.url === "/b?source=e2e-js")).toHaveLength(0);
    await w.startConnector(b, `${target.url}/b`, { id: "rescuer" });
    // 3 held at /a, then all 24 at /b: the 12 leased by A (3 held by its app,
    // 9 prefetched) as attempt 2 after their leases ran out, the 12 never
    // leased as attempt 1.
    await target.waitForRequests(3 + ids.length, 20_000);
    const rescued = target.requests.filter((req) => req.url === "/b?source=e2e-js");
    expect(new Set(rescued.map(idOf))).toEqual(new Set(ids));
    const secondAttempts = rescued.filter(
      (req) => headerOf(req.rawHeaders, "x-webhook-attempt") === "2",
    );
    const firstAttempts = rescued.filter(
      (req) => headerOf(req.rawHeaders, "x-webhook-attempt") === "1",
    );
    expect(secondAttempts).toHaveLength(12);
    expect(firstAttempts).toHaveLength(12);
    for (const id of held) expect(secondAttempts.map(idOf)).toContain(id);
    const stats = await drained(buffer, w.channel, ids.length, w.processes);
    expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: ids.length });
  }, 60_000);
});

describe("broker outage (private nats-server)", () => {
  let available = true;
  let nats: PrivateNatsServer | undefined;
  let world: World | undefined;
  let target: Target | undefined;
  let buffer: RelayBuffer | undefined;

  beforeAll(() => {
    available = natsServerAvailable();
  });

  afterEach(async () => {
    await buffer?.close();
    await target?.close();
    await world?.close(false);
    await nats?.close();
    buffer = undefined;
    target = undefined;
    world = undefined;
    nats = undefined;
  });

  it("answers 503 while NATS is down and delivers everything once it is back, without a restart", async (ctx) => {
    if (!available) ctx.skip();
    nats = await startNatsServer();
    world = new World(natsBackend(nats.url), { ack_timeout_seconds: 2 });
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
    // five more wait in the stream, undelivered, when NATS goes away.
    for (let i = 0; i < 3; i++) await post(JSON.stringify({ held: i }));
    await target.waitForRequests(13, 15_000);
    for (let i = 0; i < 5; i++) await post(JSON.stringify({ queued: i }));
    expect(target.requests).toHaveLength(13);

    await nats.stop("SIGTERM");
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
    // The operator reads why in the receiver's log.
    await receiver.process.waitForOutput(/"msg":"buffer disconnected[^"]*"/, 5_000);
    // The app finishes the held deliveries while the broker is away: their
    // acks cannot be applied now, so the leases must still resolve later.
    releaseHeld();
    expect(receiver.process.child.exitCode).toBeNull();
    expect(connector.child.exitCode).toBeNull();

    await nats.start();
    await until(
      "GET /ready answers 200",
      async () => (await statusOf(`${receiver.url}/ready`)) === 200,
      20_000,
    );
    for (let i = 0; i < 10; i++) await post(JSON.stringify({ after: i }));
    expect(receiver.process.child.exitCode).toBeNull();
    await receiver.process.waitForOutput(/"msg":"buffer reconnected"/, 5_000);

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
