/** The NATS JetStream buffer backend (`nats://host:port`). */
export type { JetStreamBufferEvent } from "./context.js";
export { createJetStreamBuffer, type JetStreamBufferOptions } from "./jetstream-buffer.js";
export {
  COUNTERS_BUCKET,
  channelStream,
  consumerName,
  countersKey,
  deadLetterStream,
  STATE_BUCKET,
  stateKey,
} from "./names.js";
export { ReplicasUnavailableError } from "./replicas.js";
