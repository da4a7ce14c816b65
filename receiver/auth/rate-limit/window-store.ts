/**
 * Fixed-window request counters: the first request opens a window of
 * `windowMs`; each request increments it. In memory, or in Redis with an
 * atomic Lua script so every receiver sharing the Redis shares one budget.
 */
import type { Redis } from "ioredis";
import { createRedisClient } from "../state/redis-client.js";

/** Count after this request and time left in the window. */
export type WindowCount =
  | { readonly ok: true; readonly count: number; readonly resetInMs: number }
  | { readonly ok: false; readonly reason: string };

/** A counter store. */
export interface WindowStore {
  /** Counts one request under `key`. */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  close(): Promise<void>;
}

/** Options of the in-memory store. */
export interface MemoryWindowStoreOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** Most keys held; expired windows are dropped first. @default 10000 */
  readonly maxKeys?: number;
}

/** An in-memory counter store (one process). */
export function createMemoryWindowStore(options: MemoryWindowStoreOptions = {}): WindowStore {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(key, windowMs) {
      const at = now();
      let window = windows.get(key);
      if (window === undefined || window.resetAt <= at) {
        windows.delete(key);
        if (windows.size >= maxKeys) {
          for (const [oldKey, old] of windows) if (old.resetAt <= at) windows.delete(oldKey);
        }
        if (windows.size >= maxKeys) return { ok: false, reason: "too many rate-limit keys" };
        window = { count: 0, resetAt: at + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      return { ok: true, count: window.count, resetInMs: window.resetAt - at };
    },
    async close() {
      windows.clear();
    },
  };
}

// INCR and the expiry run as one script so no replica can see a counter without a TTL.
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** A counter store in Redis. */
export function createRedisWindowStore(redisUrl: string, keyPrefix: string): WindowStore {
  const redis: Redis = createRedisClient(redisUrl);
  return {
    async hit(key, windowMs) {
      try {
        const reply = (await redis.eval(hitScript, 1, `${keyPrefix}${key}`, String(windowMs))) as [
          number,
          number,
        ];
        return { ok: true, count: Number(reply[0]), resetInMs: Number(reply[1]) };
      } catch {
        return { ok: false, reason: "Redis unavailable" };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
