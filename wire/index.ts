/**
 * The wire room: the protobuf bytes both sides write and read by hand where
 * generated code would cost too much — the WebhookMessage codec, frames that
 * carry a message already encoded, the delivery fields appended to stored
 * bytes, and the connector's lazily decoded server frames.
 */
export { withDeliveryFields } from "./delivery-fields.js";
export { encodeIngestedMessage, type IngestedFields } from "./ingested-message.js";
export {
  decodeConnectResponse,
  LazyRelayService,
  messageOf,
  type ServerFrame,
  type ServerResponse,
} from "./lazy-frames.js";
export {
  connectMessageFrameBytes,
  type EncodableMessage,
  encodedConnectFrame,
  encodedPullResponse,
  encodedSubscribeFrame,
} from "./message-frames.js";
export {
  decodeWebhookMessage,
  type EncodeOverrides,
  encodeWebhookMessage,
  encodeWebhookMessageField,
  MessageDecodeError,
} from "./webhook-message.js";
