/** The RabbitMQ buffer backend. */

export type { RabbitMqBufferEvent } from "./context.js";
export type { ChannelRecord } from "./meta.js";
/** The names of a channel's broker objects, for tests and operators. */
export * from "./names.js";
export { createRabbitMqBuffer, type RabbitMqBufferOptions } from "./rabbitmq-buffer.js";
export { lockQueue, withToken } from "./token.js";
export type { QueueType } from "./topology.js";
export { RETRY_DELAYS_MS } from "./topology.js";
