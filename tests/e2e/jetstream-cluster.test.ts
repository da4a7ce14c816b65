/**
 * Replicated JetStream streams end to end (issue #18): a private 3-node
 * JetStream cluster, receivers started with `?replicas=N`, and a node
 * killed with SIGKILL under ingest. Every webhook answered 200 must reach
 * the target; while the stream elects a new leader, ingest answers 503
 * with Retry-After, and the same receiver and connector carry on without
 * a restart.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  COUNTERS_BUCKET,
  channelStream,
  createJetStreamBuffer,
  deadLetterStream,
  STATE_BUCKET,
} from "../../receiver/buffer/jetstream/index.js";
import { type PrivateNatsCluster, startNatsCluster } from "../helpers/nats-cluster.js";
import { natsServerAvailable } from "../helpers/nats-server.js";
import { startTarget, type Target } from "../helpers/target.js";
import { headerOf } from "./harness.js";
import { type TopologyBackend, until, World } from "./topology.js";

/** A world on the private cluster; the cluster goes away with its streams after the suite. */
function clusterBackend(url: string): TopologyBackend {
  return {
    tag: "r",
    bufferUrl: url,
    openBuffer: () => createJetStreamBuffer({ servers: url.split(","), name: "e2e-cluster" }),
    deleteChannel: () => Promise.resolve(),
  };
}

/** Copies a stream keeps, as configured and as placed (leader + followers). */
async function replicasOf(nc: NatsConnection, stream: string) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  return {
    configured: info.config.num_replicas,
    // The leader is listed apart from its followers (no leader while it is elected).
    placed: (info.cluster?.replicas?.length ?? 0) + (info.cluster?.leader === undefined ? 0 : 1),
    leader: info.cluster?.leader,
  };
}

describe("replicated streams on a 3-node JetStream cluster", () => {
  let available = true;
  let cluster: PrivateNatsCluster | undefined;
  let nc: NatsConnection | undefined;
  let scenario: World | undefined;
  let target: Target | undefined;

  beforeAll(async () => {
    available = natsServerAvailable();
    if (!available) return;
    cluster = await startNatsCluster(3);
    nc = await connect({ servers: cluster.url.split(","), name: "e2e-cluster-inspector" });
  });

  afterEach(async () => {
    await target?.close();
    await scenario?.close(false);
    target = undefined;
    scenario = undefined;
  });

  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
  });

  it("refuses more replicas than the cluster holds with one line, and scales streams on restart", async (ctx) => {
    if (!available) ctx.skip();
    const c = cluster!;
    scenario = new World(clusterBackend(c.url), { ack_timeout_seconds: 3 });
    const s = scenario;

    const single = await s.startReceiver(`${c.url}?replicas=1`);
    expect(await replicasOf(nc!, channelStream(s.channel))).toMatchObject({ configured: 1 });
    await single.process.stop("SIGTERM");

    // More copies than servers: refused when creating and when scaling what exists.
    const tooMany = await s.spawnReceiver(`${c.url}?replicas=5`);
    expect(await tooMany.process.exited).toBe(2);
    const lines = tooMany.process.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^webhook-connect receiver: --buffer nats:\/\/.*\?replicas=5: replicas=5 needs 5 JetStream servers up in one NATS cluster, and NATS refused: /,
    );
    expect(await replicasOf(nc!, channelStream(s.channel))).toMatchObject({ configured: 1 });

    // The same channel on restart with three copies: existing streams and buckets scale up,
    // and back down on the next restart with one.
    const streams = [
      channelStream(s.channel),
      deadLetterStream(s.channel),
      `KV_${STATE_BUCKET}`,
      `KV_${COUNTERS_BUCKET}`,
    ];
    const triple = await s.startReceiver(`${c.url}?replicas=3`);
    for (const stream of streams) {
      expect(await replicasOf(nc!, stream), stream).toMatchObject({ configured: 3, placed: 3 });
    }
    await triple.process.stop("SIGTERM");
    await s.startReceiver(`${c.url}?replicas=1`);
    for (const stream of streams) {
      expect(await replicasOf(nc!, stream), stream).toMatchObject({ configured: 1 });
    }
  }, 30_000);

  it("loses nothing accepted when the stream leader's node is killed under ingest", async (ctx) => {
    if (!available) ctx.skip();
    const c = cluster!;
    scenario = new World(clusterBackend(c.url), { ack_timeout_seconds: 3 });
    const s = scenario;
    target = await startTarget();
    const receiver = await s.startReceiver(`${c.url}?replicas=3`);
    const connector = await s.startConnector(receiver, target.url, { id: "cluster-e2e" });
    const stream = channelStream(s.channel);
    await until(
      "the channel stream has a leader",
      async () => (await replicasOf(nc!, stream)).leader !== undefined,
      10_000,
    );

    const accepted: string[] = [];
    const unavailable: { retryAfter: unknown; error: unknown }[] = [];
    const others: number[] = [];
    let stop = false;
    let killedAt = Number.POSITIVE_INFINITY;
    let acceptedAfterKill = 0;
    const sender = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const response = await request(`${receiver.url}/webhook/json_hook`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ worker, i }),
          headersTimeout: 30_000,
        });
        const text = await response.body.text();
        if (response.statusCode === 200) {
          accepted.push((JSON.parse(text) as { message_id: string }).message_id);
          if (Date.now() > killedAt) acceptedAfterKill += 1;
        } else if (response.statusCode === 503) {
          unavailable.push({
            retryAfter: response.headers["retry-after"],
            error: (JSON.parse(text) as { error: string }).error,
          });
          await new Promise((resolve) => setTimeout(resolve, 100));
        } else {
          others.push(response.statusCode);
        }
      }
    };
    const senders = Promise.all([0, 1, 2, 3].map(sender));
    await until("100 webhooks accepted", async () => accepted.length >= 100, 15_000);

    const leader = (await replicasOf(nc!, stream)).leader!;
    killedAt = Date.now();
    await c.node(leader).stop("SIGKILL");
    // Ingest recovers on the two nodes left, through the same receiver.
    await until(
      "100 webhooks accepted after the kill",
      async () => acceptedAfterKill >= 100,
      25_000,
    );
    stop = true;
    await senders;
    const newLeader = (await replicasOf(nc!, stream)).leader;
    expect(newLeader).toBeDefined();
    expect(newLeader).not.toBe(leader);

    expect(others).toEqual([]);
    for (const answer of unavailable) {
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(answer.error).toBe("buffer_unavailable");
    }
    // Pulls and acks carry on on the new leaders: every accepted webhook arrives.
    const delivered = new Set<string>();
    await until(
      "every accepted webhook delivered",
      async () => {
        for (const req of target!.requests) {
          delivered.add(headerOf(req.rawHeaders, "x-webhook-message-id") ?? "");
        }
        return accepted.every((id) => delivered.has(id));
      },
      20_000,
    ).catch((error: unknown) => {
      const missing = accepted.filter((id) => !delivered.has(id));
      throw new Error(
        `${(error as Error).message}: ${missing.length} of ${accepted.length} missing\n${connector.output().slice(-3000)}\n${receiver.process.output().slice(-3000)}`,
      );
    });
    expect(receiver.process.child.exitCode).toBeNull();
    expect(connector.child.exitCode).toBeNull();
  }, 60_000);
});
