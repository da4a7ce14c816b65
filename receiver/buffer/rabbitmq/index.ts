/** The RabbitMQ buffer backend. */

export type { RabbitMqBufferEvent } from "./context.js";
export type { ChannelRecord } from "./meta.js";
export {
  channelExchange,
  deadLetterQueue,
  expiredQueue,
  groupQueue,
  metaQueue,
  retryQueue,
  STATE_QUEUE,
} from "./names.js";
export { createRabbitMqBuffer, type RabbitMqBufferOptions } from "./rabbitmq-buffer.js";
export { lockQueue, withToken } from "./token.js";
export type { QueueType } from "./topology.js";
export { RETRY_DELAYS_MS } from "./topology.js";
