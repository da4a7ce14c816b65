/**
 * Redis connections for verifier state. Commands fail fast instead of
 * queueing while Redis is away, so a request is refused rather than stalled.
 */
import { createRequire } from "node:module";
import type { Redis } from "ioredis";

// ioredis is loaded only when a Redis URL is configured: it costs about
// 12 MB of memory, which most receivers never need.
const requireOptional = createRequire(import.meta.url);

/** Opens a client for `redisUrl` (connects on first command). */
export function createRedisClient(redisUrl: string): Redis {
  const { Redis: RedisClient } = requireOptional("ioredis") as typeof import("ioredis");
  const redis = new RedisClient(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  // Failures surface as rejected commands, which verifiers turn into results;
  // without a listener ioredis would print them.
  redis.on("error", () => undefined);
  return redis;
}

/** Redis key prefix of one webhook's auth state. */
export function authKeyPrefix(webhookId: string, method: string): string {
  return `webhook-connect:auth:${webhookId}:${method}:`;
}
