/**
 * Response frames that carry a WebhookMessage already encoded by the direct
 * codec (receiver/codec), so connect-es does not walk the message's schema
 * for every delivery. The encoded message rides in `$unknown` as field 2,
 * which protobuf-es writes out verbatim: the bytes on the wire are exactly
 * those of a frame whose `message` is set. JSON codecs ignore `$unknown`, so
 * these frames are only for binary (protobuf) requests.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type {
  ConnectResponse,
  PullResponse,
  SubscribeResponse,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { encodeWebhookMessageField } from "../codec/webhook-message.js";

/** Field number of `message` in ConnectResponse/SubscribeResponse and `messages` in PullResponse. */
const MESSAGE_FIELD = 2;
const LENGTH_DELIMITED = 2;

/** Whether the call's codec is binary protobuf (not JSON). */
export function usesBinaryCodec(ctx: HandlerContext): boolean {
  return !(ctx.requestHeader.get("content-type") ?? "").toLowerCase().includes("json");
}

function encodedField(message: WebhookMessage) {
  return {
    no: MESSAGE_FIELD,
    wireType: LENGTH_DELIMITED,
    data: encodeWebhookMessageField(message),
  };
}

/** A bidi-stream message frame with `message` pre-encoded. */
export function encodedConnectFrame(message: WebhookMessage): ConnectResponse {
  return {
    $typeName: "webhookconnect.v1.ConnectResponse",
    frame: { case: undefined },
    $unknown: [encodedField(message)],
  };
}

/** A server-stream message frame with `message` pre-encoded. */
export function encodedSubscribeFrame(message: WebhookMessage): SubscribeResponse {
  return {
    $typeName: "webhookconnect.v1.SubscribeResponse",
    frame: { case: undefined },
    $unknown: [encodedField(message)],
  };
}

/** A long-poll answer with every message pre-encoded. */
export function encodedPullResponse(
  connectionId: string,
  messages: readonly WebhookMessage[],
): PullResponse {
  return {
    $typeName: "webhookconnect.v1.PullResponse",
    connectionId,
    messages: [],
    $unknown: messages.map(encodedField),
  };
}

/**
 * The bytes of a ConnectResponse whose frame is `message`, for transports
 * that write protobuf frames themselves (the protobuf WebSocket).
 */
export function connectMessageFrameBytes(message: WebhookMessage): Buffer {
  return encodeWebhookMessageField(message, (MESSAGE_FIELD << 3) | LENGTH_DELIMITED);
}
