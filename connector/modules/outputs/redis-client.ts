/**
 * The ioredis client shared by every entry naming one Redis connection.
 * Commands fail fast while the server is unreachable (one retry per
 * command, a command timeout) instead of queueing forever, so a delivery
 * turns into a retry outcome.
 */
import { Redis, type RedisOptions } from "ioredis";
import { redisConnectionSchema } from "../config/connection-types.js";
import type { ModuleBuildContext } from "../module-definition.js";
import { sharedClient } from "../shared-connections.js";

/** ioredis options as this module sets them (ioredis' own type trips exactOptionalPropertyTypes). */
type ClientOptions = Omit<RedisOptions, "replyMapping">;

/** Options for one client, from validated connection settings. */
export function redisOptions(settings: Readonly<Record<string, unknown>>): {
  url: string | undefined;
  options: ClientOptions;
} {
  const s = redisConnectionSchema.parse(settings);
  const options: ClientOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 10_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  };
  if (s.url !== undefined) return { url: s.url, options };
  return {
    url: undefined,
    options: {
      ...options,
      host: s.host,
      port: s.port,
      db: s.db,
      ...(s.username === undefined ? {} : { username: s.username }),
      ...(s.password === undefined || s.password === null ? {} : { password: s.password }),
      ...(s.tls ? { tls: {} } : {}),
    },
  };
}

/** The shared client of the entry's connection, created on first use. */
export function sharedRedis(build: ModuleBuildContext): () => Redis {
  return sharedClient(
    build,
    "redis",
    (reportError) => {
      const { url, options } = redisOptions(build.connection!.settings);
      const client = url === undefined ? new Redis(options) : new Redis(url, options);
      client.on("error", (error: Error) => reportError(error.message));
      return client;
    },
    async (client) => {
      client.disconnect();
    },
  );
}

/** Connects the client when it has not connected yet (lazyConnect). */
export async function ready(client: Redis): Promise<Redis> {
  if (client.status === "wait") await client.connect();
  return client;
}
