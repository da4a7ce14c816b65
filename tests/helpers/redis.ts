/**
 * Cleanup on the shared Redis: tests and the benchmark delete only the keys
 * of their own channels and state, with SCAN so the server is never blocked
 * by one large KEYS.
 */
import type { Redis } from "ioredis";

/** Deletes every key matching `pattern`. */
export async function deleteRedisKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}
