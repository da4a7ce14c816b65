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
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import { RUN_ID } from "../../conformance/buffer-context.js";
import { deleteRedisKeys } from "../../helpers/redis.js";
import { serviceAvailable } from "../../helpers/services.js";

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
  await deleteMatching(`${stateKey(`conformance/${RUN_ID}/${process.pid}/`)}*`);
  await adminConnection().quit();
});

describeBufferConformance({
  name: "redis",
  skip: !available,
  features: { sharedAcrossProcesses: true, durableAcrossRestart: true },
  create: () => createRedisBuffer({ url: REDIS_URL }),
  reopen: () => createRedisBuffer({ url: REDIS_URL }),
  cleanup: async (_buffer, channels) => {
    for (const channel of channels) await deleteMatching(`${channelPrefix(channel)}*`);
  },
});
