/**
 * Redis-specific behaviour of the Redis Streams buffer: two receivers on
 * one Redis (127.0.0.1:6379), trimming that never drops an unfinished
 * message, WAIT that withdraws an unconfirmed write, and, on a private
 * redis-server with its own persistence settings, a Redis outage and
 * restart, WAITAOF refused at start-up, and every key of a channel in one
 * Redis Cluster slot.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import type { ChannelStats } from "../../../receiver/buffer/buffer.js";
import { createBufferFromUrl } from "../../../receiver/buffer/index.js";
import {
  channelPrefix,
  channelStream,
  createRedisBuffer,
  PARKED_CONSUMER,
  type RedisBufferEvent,
  type RedisBufferOptions,
  stateKey,
} from "../../../receiver/buffer/redis/index.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { fetchRequest, idsOf, publishMany, testMessage } from "../../conformance/buffer-context.js";
import { deadLetterPairs } from "../../conformance/buffer-steps.js";
import { deleteRedisKeys } from "../../helpers/redis.js";
import {
  type PrivateRedisServer,
  redisServerAvailable,
  startRedisServer,
} from "../../helpers/redis-server.js";
import { backendFixture } from "./backend-fixture.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const privateAvailable = redisServerAvailable();

/** The command rules README's Redis section gives for the receiver's ACL user. */
const README_ACL = "+@read +@write +@scripting +@pubsub +@connection -@dangerous +info +wait";

const fx = await backendFixture<RedisBufferOptions>("redis", "rd", (options) =>
  createRedisBuffer({ url: REDIS_URL, ...options }),
);
const { run, settings, created, track } = fx;

afterEach(fx.closeAll);

describe.skipIf(!fx.available)("redis buffer on the shared server", () => {
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    for (const channel of created) await deleteRedisKeys(admin, `${channelPrefix(channel)}*`);
    await admin.del(stateKey(`wait/${run}`));
    await admin.quit();
  });

  it("lets one receiver ingest, another lease, the first ack, and a third reclaim a lost lease", async () => {
    const { a, b, channel } = await fx.twoReceivers({ ackTimeoutSeconds: 0.5 });

    const [first, second] = await publishMany(a, channel, 2);
    const leased = await b.fetch(fetchRequest(channel, { consumerId: "on-b" }));
    expect(idsOf(leased)).toEqual([first!.messageId, second!.messageId]);
    expect(await a.ack(channel.name, "default", first!.messageId)).toBe("acked");
    expect(await b.ack(channel.name, "default", first!.messageId)).toBe("not_found");
    // Both read the same numbers from Redis (ages differ by the time between the calls).
    const withoutAges = (stats: ChannelStats) => ({
      ...stats,
      groups: stats.groups.map((group) => ({ ...group, oldestUnackedAgeMs: 0 })),
    });
    expect(withoutAges(await a.stats(channel.name))).toEqual(
      withoutAges(await b.stats(channel.name)),
    );
    expect(await a.stats(channel.name)).toMatchObject({ queued: 1, inFlight: 1, delivered: 1 });

    // b "dies" holding the second message: a reclaims it after the lease.
    const reclaimed = await a.fetch(fetchRequest(channel, { consumerId: "on-a", waitMs: 5_000 }));
    expect(idsOf(reclaimed)).toEqual([second!.messageId]);
    expect(reclaimed[0]!.deliveryAttempt).toBe(2);
    expect(await b.ack(channel.name, "default", second!.messageId)).toBe("acked");
    expect(await a.stats(channel.name)).toMatchObject({ queued: 0, inFlight: 0, delivered: 2 });
  });

  it("wakes a fetch waiting on one receiver when another publishes, without polling", async () => {
    // A 30 s lease makes the poll for lost leases 1 s: a wake-up before that is pub/sub's.
    const { a, b, channel } = await fx.twoReceivers({ ackTimeoutSeconds: 30 });
    const waiting = b.fetch(fetchRequest(channel, { waitMs: 10_000 }));
    await b.stats(channel.name);
    const publishedAt = performance.now();
    const [message] = await publishMany(a, channel, 1);
    expect(idsOf(await waiting)).toEqual([message!.messageId]);
    expect(performance.now() - publishedAt).toBeLessThan(900);
  });

  it("trims the stream below the oldest unfinished message, never past it", async () => {
    const buffer = await fx.open();
    const channel = settings();
    await buffer.ensureChannel(channel);
    const stream = channelStream(channel.name);
    const messages = await publishMany(buffer, channel, 250);
    const leased = await buffer.fetch(fetchRequest(channel, { max: 250 }));
    expect(leased).toHaveLength(250);
    const kept = messages[2]!;
    for (const message of messages) {
      if (message !== kept) await buffer.ack(channel.name, "default", message.messageId);
    }
    await buffer.publish(channel.name, testMessage(channel));
    // Everything from the unacked third message on is still there.
    const [oldest] = await admin.xrange(stream, "-", "+", "COUNT", 1);
    expect(Number(oldest![0].split("-")[0])).toBeLessThanOrEqual(
      Number(leased[2]!.message.sequence),
    );
    expect(await admin.xlen(stream)).toBeGreaterThanOrEqual(249);
    await buffer.release(channel.name, "default", "c1");
    const again = await buffer.fetch(fetchRequest(channel, { consumerId: "c2" }));
    expect(idsOf(again)[0]).toBe(kept.messageId);
    expect(Array.from(again[0]!.message.body)).toEqual(Array.from(kept.body));

    // Once it is acked, the next publish trims the finished entries away.
    for (const delivery of again) await buffer.ack(channel.name, "default", delivery.messageId);
    await buffer.publish(channel.name, testMessage(channel));
    expect(await admin.xlen(stream)).toBeLessThan(150);
    expect((await buffer.stats(channel.name)).queued).toBe(1);
  });

  it("schedules a retry in the group's sorted set and counts attempts in the PEL", async () => {
    const buffer = await fx.open();
    const channel = settings();
    await buffer.ensureChannel(channel);
    const [message] = await publishMany(buffer, channel, 1);
    const [delivery] = await buffer.fetch(fetchRequest(channel, { consumerId: "c1" }));
    const entryId = `${delivery!.message.sequence}-0`;
    const stream = channelStream(channel.name);
    expect(await admin.xpending(stream, "default", "-", "+", 10)).toEqual([
      [entryId, "c1", expect.any(Number), 1],
    ]);
    const nackedAt = Date.now();
    await buffer.nack(channel.name, "default", message!.messageId, {
      retry: true,
      reason: "503",
      requestedDelayMs: 5_000,
    });
    // Parked with the consumer ~retry, attempt kept; due in the schedule.
    expect(await admin.xpending(stream, "default", "-", "+", 10)).toEqual([
      [entryId, PARKED_CONSUMER, expect.any(Number), 1],
    ]);
    const due = Number(await admin.zscore(`${channelPrefix(channel.name)}r:default`, entryId));
    expect(due).toBeGreaterThanOrEqual(nackedAt + 5_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("returns leases that ran out and dead-letters last attempts without any fetch", async () => {
    const buffer = await fx.open({ sweepIntervalMs: 100 });
    const channel = settings({ ackTimeoutSeconds: 0.3, maxDeliveryAttempts: 2 });
    await buffer.ensureChannel(channel);
    const ids = (await publishMany(buffer, channel, 2)).map((message) => message.messageId);
    expect(await buffer.fetch(fetchRequest(channel))).toHaveLength(2);
    // Nothing announces a sweep: look at the numbers until they change (bounded).
    const statsUntil = async (done: (stats: ChannelStats) => boolean) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const stats = await buffer.stats(channel.name);
        if (done(stats) || Date.now() > deadline) return stats;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    expect(await statsUntil((stats) => stats.inFlight === 0)).toMatchObject({
      queued: 2,
      inFlight: 0,
      groups: [
        { group: "default", pending: 2, inFlight: 0, oldestUnackedAgeMs: expect.any(Number) },
      ],
    });
    const again = await buffer.fetch(fetchRequest(channel));
    expect(again.map((delivery) => delivery.deliveryAttempt)).toEqual([2, 2]);
    expect(await statsUntil((stats) => stats.deadLettered === 2)).toMatchObject({
      queued: 0,
      inFlight: 0,
      deadLettered: 2,
      deadLetterQueued: 2,
    });
    expect(await deadLetterPairs(buffer, channel, "attempts")).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
  });

  it("withdraws a write that WAIT could not confirm and refuses it", async () => {
    // The shared server has no replicas, so WAIT 1 times out.
    const buffer = await fx.open({ waitReplicas: 1, waitTimeoutMs: 100 });
    const channel = settings();
    await buffer.ensureChannel(channel);
    await expect(buffer.publish(channel.name, testMessage(channel))).rejects.toBeInstanceOf(
      BufferUnavailableError,
    );
    expect(await buffer.stats(channel.name)).toMatchObject({ queued: 0, inFlight: 0 });
    expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
    await expect(buffer.setState(`wait/${run}`, "v")).rejects.toBeInstanceOf(
      BufferUnavailableError,
    );
  });

  it("opens redis:// URLs and refuses bad buffer options with a ConfigError", async () => {
    const buffer = track(
      await createBufferFromUrl(`${REDIS_URL}/0?wait_timeout_ms=500`, "--buffer"),
    );
    expect(buffer.kind).toBe("redis");
    await expect(buffer.ping()).resolves.toBeUndefined();
    await expect(
      createBufferFromUrl(`${REDIS_URL}?wait_replicas=two`, "--buffer"),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(createBufferFromUrl(`${REDIS_URL}/zero`, "--buffer")).rejects.toThrow(
      /database .* is a number/,
    );
  });
});

/** CRC16/XMODEM as Redis Cluster uses it for key slots. */
function crc16(data: string): number {
  let crc = 0;
  for (const byte of new TextEncoder().encode(data)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The Redis Cluster slot of a key (hash tags included). */
function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % 16384;
  }
  return crc16(key) % 16384;
}

describe.skipIf(!privateAvailable)("redis buffer on a private redis-server", () => {
  let server: PrivateRedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("keeps every key of a channel in one cluster slot", async () => {
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    expect(keySlot("123456789")).toBe(crc16("123456789") % 16384);
    expect(crc16("123456789")).toBe(0x31c3);
    // Database 3 of the private server holds nothing else.
    const buffer = await fx.open({ url: `${server.url}/3` });
    const channel = settings({ maxDeliveryAttempts: 3 });
    await buffer.ensureChannel(channel);
    await buffer.ensureGroup(channel.name, "ops");
    const messages = await publishMany(buffer, channel, 3);
    await buffer.fetch(fetchRequest(channel));
    await buffer.nack(channel.name, "default", messages[0]!.messageId, {
      retry: true,
      reason: "x",
    });
    await buffer.nack(channel.name, "default", messages[1]!.messageId, {
      retry: false,
      reason: "y",
    });
    await buffer.replayDeadLetters(channel.name, {}, "ops");
    await buffer.setState(`slot-test/${run}`, "v");

    const admin = new Redis(`${server.url}/3`);
    try {
      const keys = (await admin.keys("*")).filter((key) => !key.startsWith("wc:state:"));
      expect(keys.length).toBeGreaterThanOrEqual(10);
      const slots = new Set(keys.map(keySlot));
      expect(slots).toEqual(new Set([crc16(channel.name) % 16384]));
    } finally {
      await admin.quit();
    }
  });

  it("works as a Redis ACL user limited to wc:* keys and channels (README's rule)", async () => {
    const admin = new Redis(server.url);
    const user = `relay-${run}`;
    try {
      await admin.call(
        "ACL",
        "SETUSER",
        user,
        "on",
        ">relay-pw",
        "resetkeys",
        "~wc:*",
        "resetchannels",
        "&wc:*",
        ...README_ACL.split(" "),
      );
      const buffer = await fx.open({
        url: `redis://${user}:relay-pw@127.0.0.1:${new URL(server.url).port}`,
      });
      const channel = settings({ maxDeliveryAttempts: 2 });
      await buffer.ensureChannel(channel);
      const waiting = buffer.fetch(fetchRequest(channel, { waitMs: 10_000 }));
      await buffer.stats(channel.name);
      const [first, second] = await publishMany(buffer, channel, 2);
      expect(idsOf(await waiting)).toContain(first!.messageId);
      await buffer.fetch(fetchRequest(channel));
      expect(await buffer.ack(channel.name, "default", first!.messageId)).toBe("acked");
      await buffer.nack(channel.name, "default", second!.messageId, { retry: false, reason: "x" });
      expect(await buffer.replayDeadLetters(channel.name, {})).toBe(1);
      expect(await buffer.purgeDeadLetters(channel.name, {})).toBe(0);
      await buffer.release(channel.name, "default", "c1");
      await buffer.setState(`acl/${run}`, "v");
      expect(await buffer.getState(`acl/${run}`)).toBe("v");
      expect(await buffer.stats(channel.name)).toMatchObject({ queued: 1, deadLettered: 1 });
      await expect(buffer.ping()).resolves.toBeUndefined();
      // And it can touch nothing else.
      const other = new Redis(`redis://${user}:relay-pw@127.0.0.1:${new URL(server.url).port}`);
      await expect(other.set("not-ours", "x")).rejects.toThrow(/NOPERM/);
      await other.quit();
    } finally {
      await admin.quit();
    }
  });

  it("refuses writes while Redis is down and keeps everything accepted across a kill -9", async () => {
    const events: RedisBufferEvent["type"][] = [];
    let onReconnect: () => void = () => undefined;
    const reconnected = new Promise<void>((resolve) => {
      onReconnect = resolve;
    });
    const buffer = await fx.open({
      url: server.url,
      onEvent: (event) => {
        events.push(event.type);
        if (event.type === "reconnected") onReconnect();
      },
    });
    const channel = settings();
    await buffer.ensureChannel(channel);
    const messages = await publishMany(buffer, channel, 3);
    await buffer.fetch(fetchRequest(channel, { max: 1 }));
    await buffer.nack(channel.name, "default", messages[0]!.messageId, {
      retry: false,
      reason: "gone",
    });

    // appendfsync always: every write Redis answered is on disk before the kill.
    await server.stop("SIGKILL");
    const refused = testMessage(channel);
    await expect(buffer.publish(channel.name, refused)).rejects.toBeInstanceOf(
      BufferUnavailableError,
    );
    await expect(buffer.ping()).rejects.toBeInstanceOf(BufferUnavailableError);

    await server.start();
    await reconnected;
    expect(events).toContain("disconnected");
    expect(await buffer.stats(channel.name)).toMatchObject({
      queued: 2,
      deadLettered: 1,
      deadLetterQueued: 1,
    });
    const rest = await buffer.fetch(fetchRequest(channel, { consumerId: "after-restart" }));
    expect(idsOf(rest)).toEqual([messages[1]!.messageId, messages[2]!.messageId]);
    const later = testMessage(channel);
    const result = await buffer.publish(channel.name, later);
    expect(result.sequence).toBeGreaterThan(rest[1]!.message.sequence);
    expect(
      idsOf(await buffer.fetch(fetchRequest(channel, { consumerId: "after-restart" }))),
    ).toEqual([later.messageId]);
  });

  it("refuses wait_aof=1 at start-up when Redis cannot confirm AOF fsyncs", async () => {
    // Last in this file: it switches the private server's AOF off for good
    // (switched on again at run time, writes stay out of it until a rewrite).
    const admin = new Redis(server.url);
    try {
      await admin.config("SET", "appendonly", "no");
      await expect(createRedisBuffer({ url: server.url, waitAof: true })).rejects.toThrow(
        /wait_aof=1/,
      );
    } finally {
      await admin.quit();
    }
  });
});
