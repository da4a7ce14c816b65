/**
 * The shared Redis (and RabbitMQ) servers of this machine are used by
 * other people at the same time: the benchmark only touches the keys of its
 * own, uniquely named channels and anchor streams, and deletes them when it
 * is done. Which backends a run can use: SQLite always, the others when
 * their server answers.
 */
import { Redis } from "ioredis";
import { channelPrefix } from "../../receiver/buffer/redis/names.js";
import { natsReachable } from "./nats.js";
import type { BenchOptions } from "./options.js";
import type { Backend } from "./relay.js";

/** true when a Redis server answers PING at `url` within a second. */
export async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key matching `pattern` (SCAN, so the server is not blocked). */
export async function deleteRedisKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Deletes the keys of a channel of the Redis buffer. */
export function deleteRedisChannel(url: string, channel: string): Promise<void> {
  return deleteRedisKeys(url, `${channelPrefix(channel)}*`);
}

/** Why `backend` cannot be used in this run, or undefined when it can. */
export async function backendUnavailable(
  backend: Backend,
  options: Pick<BenchOptions, "natsUrl" | "redisUrl">,
): Promise<string | undefined> {
  switch (backend) {
    case "sqlite":
      return undefined;
    case "nats":
      return (await natsReachable(options.natsUrl))
        ? undefined
        : `no NATS server at ${options.natsUrl}`;
    case "redis":
      return (await redisReachable(options.redisUrl))
        ? undefined
        : `no Redis server at ${options.redisUrl}`;
  }
}
