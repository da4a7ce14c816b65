/**
 * Counters of failed authentications in fixed windows: per client and per
 * scope (a webhook, a channel, the admin API).
 * In memory, or in Redis (one atomic script per failure) so every receiver
 * sharing the Redis counts together.
 */
import type { Redis } from "ioredis";
import { createRedisClient } from "../state/redis-client.js";

/** One counter after a failure: its count and the time left in its window. */
export interface WindowCount {
  readonly count: number;
  readonly resetInMs: number;
}

/** The two counters one failure increments. */
export interface FailureCounts {
  readonly client: WindowCount;
  readonly scope: WindowCount;
}

/** A counter store. */
export interface FailureCountStore {
  /** Counts one failure of `client` on `scope`; rejects when the store is unreachable. */
  record(client: string, scope: string, windowMs: number): Promise<FailureCounts>;
  close(): Promise<void>;
}

/** Options of the in-memory store. */
export interface MemoryFailureCountOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** Most counters held; expired ones are dropped first, then the oldest. @default 100000 */
  readonly maxKeys?: number;
}

/** Counters of one process. */
export function createMemoryFailureCounts(
  options: MemoryFailureCountOptions = {},
): FailureCountStore {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, { count: number; resetAt: number }>();
  const hit = (key: string, windowMs: number, at: number): WindowCount => {
    let window = windows.get(key);
    if (window === undefined || window.resetAt <= at) {
      windows.delete(key);
      if (windows.size >= maxKeys) {
        for (const [old, value] of windows) if (value.resetAt <= at) windows.delete(old);
      }
      // Still full: forget the oldest windows (a flood of new addresses must not grow memory).
      for (const old of windows.keys()) {
        if (windows.size < maxKeys) break;
        windows.delete(old);
      }
      window = { count: 0, resetAt: at + windowMs };
      windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetInMs: window.resetAt - at };
  };
  return {
    async record(client, scope, windowMs) {
      const at = now();
      return {
        client: hit(`c\0${client}`, windowMs, at),
        scope: hit(`s\0${scope}`, windowMs, at),
      };
    },
    async close() {
      windows.clear();
    },
  };
}

// INCR and expiry of both counters in one script, so no replica sees a counter without a TTL.
const recordScript = `
local out = {}
for i = 1, 2 do
  local count = redis.call('INCR', KEYS[i])
  local ttl = redis.call('PTTL', KEYS[i])
  if count == 1 or ttl < 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
`;

/** Redis key prefix of the failure counters. */
export const FAILURE_KEY_PREFIX = "webhook-connect:auth-failures:";

/** Counters in Redis, shared by every receiver on it. */
export function createRedisFailureCounts(redisUrl: string): FailureCountStore {
  const redis: Redis = createRedisClient(redisUrl);
  const count = (reply: number[], index: number): WindowCount => ({
    count: Number(reply[2 * index]),
    resetInMs: Number(reply[2 * index + 1]),
  });
  return {
    async record(client, scope, windowMs) {
      const reply = (await redis.eval(
        recordScript,
        2,
        `${FAILURE_KEY_PREFIX}client:${client}`,
        `${FAILURE_KEY_PREFIX}scope:${scope}`,
        String(windowMs),
      )) as number[];
      return { client: count(reply, 0), scope: count(reply, 1) };
    },
    async close() {
      redis.disconnect();
    },
  };
}
