/**
 * The Redis buffer in cluster mode (`?cluster=1`) on a private three-node
 * Redis Cluster: channels whose slots live on different nodes, two
 * receivers sharing them, and every script running on the node that owns
 * its channel. (The whole conformance suite passes against this cluster
 * too; it runs here only in part, to keep the suite fast.)
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import type { Buffer, ChannelSettings } from "../../../receiver/buffer/buffer.js";
import { createBufferFromUrl } from "../../../receiver/buffer/index.js";
import { createRedisBuffer } from "../../../receiver/buffer/redis/index.js";
import {
  fetchRequest,
  idsOf,
  publishMany,
  TEST_CHANNEL_DEFAULTS,
} from "../../conformance/buffer-context.js";
import { type PrivateRedisCluster, startRedisCluster } from "../../helpers/redis-cluster.js";
import { redisServerAvailable } from "../../helpers/redis-server.js";

const available = redisServerAvailable();
const run = randomUUID().slice(0, 8);

describe.skipIf(!available)("redis buffer on a Redis Cluster", () => {
  let cluster: PrivateRedisCluster;
  const open: Buffer[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);

  afterAll(async () => {
    for (const buffer of open) await buffer.close();
    await cluster?.close();
  });

  /** The port of the node serving `key`'s slot. */
  async function ownerOf(key: string): Promise<number> {
    const node = new Redis(cluster.url);
    try {
      const slot = (await node.call("CLUSTER", "KEYSLOT", key)) as number;
      const ranges = (await node.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return range![2][1];
    } finally {
      await node.quit();
    }
  }

  it("serves channels on different nodes to two receivers, ack anywhere", async () => {
    const a = await createRedisBuffer({ url: cluster.url, cluster: true });
    open.push(a);
    const b = await createBufferFromUrl(`${cluster.url}?cluster=1`, "--buffer");
    open.push(b);
    // Channels until three different nodes own one each.
    const channels: ChannelSettings[] = [];
    const owners = new Set<number>();
    for (let index = 0; owners.size < 3 && index < 100; index++) {
      const name = `cl-${run}-${index}`;
      const owner = await ownerOf(`{${name}}`);
      if (owners.has(owner)) continue;
      owners.add(owner);
      channels.push({ ...TEST_CHANNEL_DEFAULTS, name });
    }
    expect(owners.size).toBe(3);

    for (const channel of channels) {
      await a.ensureChannel(channel);
      await b.ensureChannel(channel);
      await b.ensureGroup(channel.name, "ops");
      // A fetch waiting on b is woken by a publish on a (pub/sub across nodes).
      const waiting = b.fetch(fetchRequest(channel, { max: 1, waitMs: 10_000 }));
      await b.stats(channel.name);
      const [first, second] = await publishMany(a, channel, 2);
      expect(idsOf(await waiting)).toEqual([first!.messageId]);
      expect(await a.ack(channel.name, "default", first!.messageId)).toBe("acked");
      const rest = await a.fetch(fetchRequest(channel, { consumerId: "on-a" }));
      expect(idsOf(rest)).toEqual([second!.messageId]);
      expect(
        await b.nack(channel.name, "default", second!.messageId, { retry: false, reason: "410" }),
      ).toBe("dead_lettered");
      expect(await a.replayDeadLetters(channel.name, {}, "ops")).toBe(1);
      const ops = await b.fetch(fetchRequest(channel, { group: "ops", max: 10 }));
      expect(idsOf(ops)).toEqual([first!.messageId, second!.messageId, second!.messageId]);
      expect(await a.stats(channel.name)).toMatchObject({
        queued: 3,
        inFlight: 3,
        delivered: 1,
        deadLettered: 1,
        deadLetterQueued: 0,
      });
    }
    await a.setState(`cluster/${run}`, "shared");
    expect(await b.getState(`cluster/${run}`)).toBe("shared");
  });

  it("refuses WAIT options in cluster mode with a ConfigError", async () => {
    await expect(
      createBufferFromUrl(`${cluster.url}?cluster=1&wait_replicas=1`, "--buffer"),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
