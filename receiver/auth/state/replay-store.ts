/**
 * Remembers values (nonces, nonce counts) for a while so a second use is
 * refused. In memory by default; shared through Redis between receiver
 * replicas when a Redis URL is configured.
 */
import type { Redis } from "ioredis";
import { createRedisClient } from "./redis-client.js";

/** Outcome of recording one use. */
export type ReplayCheck = "first" | "replayed" | "unavailable";

/** A set of recently used values. */
export interface ReplayStore {
  /** Records `key` for `ttlMs`; "replayed" if it was already recorded and has not expired. */
  use(key: string, ttlMs: number): Promise<ReplayCheck>;
  /** Releases the connection, if any. */
  close(): Promise<void>;
}

/** Options of the in-memory store. */
export interface MemoryReplayStoreOptions {
  /** Clock, ms since epoch. @default Date.now */
  readonly now?: () => number;
  /** Most values held at once; beyond it new values are refused (fail closed). @default 100000 */
  readonly maxEntries?: number;
}

/** An in-memory replay store; expired values are dropped as new ones arrive. */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const expiries = new Map<string, number>();
  const prune = (at: number) => {
    for (const [key, expiry] of expiries) if (expiry <= at) expiries.delete(key);
  };
  return {
    async use(key, ttlMs) {
      const at = now();
      const expiry = expiries.get(key);
      if (expiry !== undefined && expiry > at) return "replayed";
      if (expiries.size >= maxEntries) prune(at);
      // Refusing is safer than forgetting a value that could then be replayed.
      if (expiries.size >= maxEntries) return "unavailable";
      expiries.delete(key);
      expiries.set(key, at + ttlMs);
      return "first";
    },
    async close() {
      expiries.clear();
    },
  };
}

/** A replay store in Redis (`SET key 1 PX ttl NX`), shared by every replica. */
export function createRedisReplayStore(redisUrl: string, keyPrefix: string): ReplayStore {
  const redis: Redis = createRedisClient(redisUrl);
  return {
    async use(key, ttlMs) {
      try {
        const set = await redis.set(
          `${keyPrefix}${key}`,
          "1",
          "PX",
          Math.max(1, Math.ceil(ttlMs)),
          "NX",
        );
        return set === "OK" ? "first" : "replayed";
      } catch {
        return "unavailable";
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
