/** The Redis Streams buffer backend (`redis://host:port/db`, `rediss://` for TLS). */
export {
  channelPrefix,
  channelStream,
  deadLetterStream,
  notifyChannel,
  PARKED_CONSUMER,
  stateKey,
} from "./names.js";
export {
  createRedisBuffer,
  type RedisBufferEvent,
  type RedisBufferOptions,
} from "./redis-buffer.js";
export { parseRedisBufferUrl, type RedisBufferTarget } from "./url.js";
