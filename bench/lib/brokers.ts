/**
 * The shared Redis and RabbitMQ servers of this machine are used by
 * other people at the same time: the benchmark only touches the keys of its
 * own, uniquely named channels and anchor streams, and deletes them when it
 * is done. Which backends a run can use: SQLite always, the others when
 * their server answers.
 */
import { connect } from "amqplib";
import { Redis } from "ioredis";
import { channelPrefix } from "../../receiver/buffer/redis/names.js";
import { closeRabbitMqAdmin, deleteRabbitMqChannels } from "../../tests/helpers/rabbitmq.js";
import { deleteRedisKeys } from "../../tests/helpers/redis.js";
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
export async function deleteRedisKeysAt(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteRedisKeys(redis, pattern);
  } finally {
    redis.disconnect();
  }
}

/** Deletes the keys of a channel of the Redis buffer. */
export function deleteRedisChannel(url: string, channel: string): Promise<void> {
  return deleteRedisKeysAt(url, `${channelPrefix(channel)}*`);
}

/** true when a RabbitMQ broker accepts a connection at `url` within two seconds. */
export async function amqpReachable(url: string): Promise<boolean> {
  try {
    const model = await connect(url, { timeout: 2_000 });
    await model.close();
    return true;
  } catch {
    return false;
  }
}

/** Deletes the exchange and queues of a channel of the RabbitMQ buffer. */
export async function deleteRabbitMqChannel(channel: string): Promise<void> {
  try {
    await deleteRabbitMqChannels([channel]);
  } finally {
    await closeRabbitMqAdmin();
  }
}

/** Deletes a queue of the benchmark's own (the RabbitMQ anchor's). */
export async function deleteRabbitMqQueue(url: string, queue: string): Promise<void> {
  const model = await connect(url);
  try {
    const channel = await model.createChannel();
    await channel.deleteQueue(queue);
  } finally {
    await model.close();
  }
}

/** Why `backend` cannot be used in this run, or undefined when it can. */
export async function backendUnavailable(
  backend: Backend,
  options: Pick<BenchOptions, "natsUrl" | "redisUrl" | "amqpUrl">,
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
    case "rabbitmq":
      return (await amqpReachable(options.amqpUrl))
        ? undefined
        : `no RabbitMQ broker at ${options.amqpUrl}`;
  }
}
