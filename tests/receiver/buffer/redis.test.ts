/**
 * The shared buffer conformance suite against the Redis Streams backend on
 * the real server (127.0.0.1:6379). Every test's channel keys are deleted
 * afterwards; the run's state keys in afterAll.
 */
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import {
  channelPrefix,
  createRedisBuffer,
  stateKey,
} from "../../../receiver/buffer/redis/index.js";
import { deleteRedisKeys } from "../../helpers/redis.js";
import { serviceAvailable } from "../../helpers/services.js";
import { CONFORMANCE_STATE_PREFIX, describeServerBufferConformance } from "./server-conformance.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const available = await serviceAvailable("redis");

let admin: Redis | undefined;
function adminConnection(): Redis {
  admin ??= new Redis(REDIS_URL, { lazyConnect: true });
  return admin;
}

/** Deletes every key matching `pattern`. */
function deleteMatching(pattern: string): Promise<void> {
  return deleteRedisKeys(adminConnection(), pattern);
}

afterAll(async () => {
  if (!available) return;
  await deleteMatching(`${stateKey(CONFORMANCE_STATE_PREFIX)}*`);
  await adminConnection().quit();
});

describeServerBufferConformance({
  name: "redis",
  available,
  open: () => createRedisBuffer({ url: REDIS_URL }),
  cleanup: async (channels) => {
    for (const channel of channels) await deleteMatching(`${channelPrefix(channel)}*`);
  },
});
