/** Delivery of relayed messages: the Deliverer seam, HTTP mode and the connector's backoff policy. */
export {
  type BackoffPolicy,
  backoffDelayMs,
  jitterDelayMs,
  nominalDelayMs,
} from "./backoff-policy.js";
export type { Deliverer, DeliveryOutcome } from "./deliverer.js";
export { buildForwardHeaders } from "./forward-headers.js";
export {
  type AttemptRecord,
  createHttpTargetDeliverer,
  type HttpTargetDelivererOptions,
} from "./http-target.js";
export { parseRetryAfter } from "./retry-after.js";
