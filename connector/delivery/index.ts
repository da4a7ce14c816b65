/** Delivery of relayed messages: the Deliverer seam and HTTP mode. */
export type { Deliverer, DeliveryOutcome } from "./deliverer.js";
export { buildForwardHeaders } from "./forward-headers.js";
export { createHttpTargetDeliverer, type HttpTargetDelivererOptions } from "./http-target.js";
export { parseRetryAfter } from "./retry-after.js";
