/**
 * The Redis Streams buffer end to end with real processes (issue #17):
 * several receiver processes on one Redis serving one channel (ingest on
 * one, stream from another, ack anywhere, byte-exact), a connector offline
 * and back, a receiver killed with SIGKILL while its connector holds
 * leases, and an outage of a private redis-server that is stopped and
 * started again under a running receiver.
 */
import { Redis } from "ioredis";
import { channelPrefix, createRedisBuffer } from "../../receiver/buffer/redis/index.js";
import { deleteRedisKeys } from "../helpers/redis.js";
import { redisServerAvailable, startRedisServer } from "../helpers/redis-server.js";
import { serviceAvailable } from "../helpers/services.js";
import { privateServerOutage } from "./private-broker-outage.js";
import type { TopologyBackend } from "./topology.js";
import { describeOutage } from "./topology-outage.js";
import { describeSharedBroker } from "./topology-scenarios.js";

const SHARED_REDIS = "redis://127.0.0.1:6379";

/** The Redis buffer at `url` for a world; cleanup deletes the channel's keys. */
function redisBackend(url: string): TopologyBackend {
  return {
    tag: "rd",
    bufferUrl: url,
    openBuffer: () => createRedisBuffer({ url }),
    async deleteChannel(channel) {
      const redis = new Redis(url);
      try {
        await deleteRedisKeys(redis, `${channelPrefix(channel)}*`);
      } finally {
        await redis.quit();
      }
    },
  };
}

describeSharedBroker({
  name: "Redis",
  available: () => serviceAvailable("redis"),
  backend: redisBackend(SHARED_REDIS),
  offline: { countsQueued: true },
  // 3 deliveries at once and, with the connector's prefetch (max_in_flight
  // 12), 12 leases, reclaimed with XAUTOCLAIM once they run out; 6 more
  // messages wait unleased.
  sigkill: { messages: 18, leases: 12 },
});

describeOutage({
  describe: "Redis outage (private redis-server)",
  brokerAway: "Redis is down",
  available: redisServerAvailable,
  // SIGKILL: the private server fsyncs every write (appendfsync always).
  start: async () => privateServerOutage(await startRedisServer(), redisBackend, "SIGKILL"),
  deleteChannel: false,
  logsConnection: false,
});
