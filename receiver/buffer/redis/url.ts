/**
 * `redis://[user:pass@]host:port[/db][?options]` and `rediss://…` (TLS).
 * The options say what a 200 waits for besides the XADD itself:
 * - `wait_replicas=N`: `WAIT N` — N replicas have the write in memory;
 * - `wait_aof=1`: `WAITAOF 1 N` — the write is fsynced to the local
 *   append-only file (and to N replicas' files with `wait_replicas=N`);
 *   needs Redis 7.2 or later with `appendonly yes`;
 * - `wait_timeout_ms=MS`: longest wait for either (default 1000). A write
 *   not confirmed in time is withdrawn and ingest answers 503.
 * And `cluster=1`: the URL names one node of a Redis Cluster; the client
 * discovers the others and follows the slots (WAIT and WAITAOF are then
 * refused: they confirm one node's writes, not a slot's).
 * `family=4|6` is left for the client; any other option is refused.
 */
import { ConfigError } from "../../../config-file/index.js";

/** Where the Redis buffer connects and what a publish waits for. */
export interface RedisBufferTarget {
  /** The connection URL without the buffer's own options. */
  readonly url: string;
  /** Replicas that must confirm a write (WAIT / WAITAOF). @default 0 */
  readonly waitReplicas: number;
  /** Wait for the local AOF fsync (WAITAOF 1). @default false */
  readonly waitAof: boolean;
  /** Longest wait for the confirmations. @default 1000 */
  readonly waitTimeoutMs: number;
  /** The URL names a node of a Redis Cluster. @default false */
  readonly cluster: boolean;
}

function count(value: string, source: string, key: string, min: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    throw new ConfigError(
      source,
      key,
      `expected a whole number of at least ${min}, got '${value}'`,
    );
  }
  return number;
}

function flag(value: string, source: string, key: string): boolean {
  if (value !== "0" && value !== "1") {
    throw new ConfigError(source, key, `expected 0 or 1, got '${value}'`);
  }
  return value === "1";
}

/** Parses a Redis buffer URL; throws ConfigError naming the source for a bad one. */
export function parseRedisBufferUrl(url: string, source: string): RedisBufferTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(source, "", `'${url}' is not a redis://host:port/db URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigError(source, "", `expected redis:// or rediss://, got '${parsed.protocol}'`);
  }
  if (parsed.hostname === "") throw new ConfigError(source, "", "redis:// URL needs a host");
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new ConfigError(source, "", `the database in a redis:// URL is a number, got '${db}'`);
  }
  let waitReplicas = 0;
  let waitAof = false;
  let waitTimeoutMs = 1_000;
  let cluster = false;
  for (const [key, value] of [...parsed.searchParams]) {
    if (key === "wait_replicas") waitReplicas = count(value, source, key, 0);
    else if (key === "wait_aof") waitAof = flag(value, source, key);
    else if (key === "wait_timeout_ms") waitTimeoutMs = count(value, source, key, 1);
    else if (key === "cluster") cluster = flag(value, source, key);
    else if (key === "family") {
      // Left in the URL for the client: 4 or 6 picks the host name's address family.
      if (value !== "4" && value !== "6") {
        throw new ConfigError(source, key, `expected 4 or 6, got '${value}'`);
      }
      continue;
    } else {
      throw new ConfigError(
        source,
        key,
        "unknown redis:// URL option (expected wait_replicas, wait_aof, wait_timeout_ms, cluster or family)",
      );
    }
    parsed.searchParams.delete(key);
  }
  if (cluster && (waitReplicas > 0 || waitAof)) {
    throw new ConfigError(
      source,
      "cluster",
      "wait_replicas and wait_aof are not available with cluster=1 (WAIT confirms one node's writes)",
    );
  }
  if (cluster && db !== "" && db !== "0") {
    throw new ConfigError(source, "", "a Redis Cluster has only database 0");
  }
  return { url: parsed.toString(), waitReplicas, waitAof, waitTimeoutMs, cluster };
}
