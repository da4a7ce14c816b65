/**
 * Response frames that carry a WebhookMessage already encoded: the bytes the
 * buffer stored (or, from a backend without them, the direct codec's), so
 * neither connect-es nor this receiver encodes a delivery again. The encoded message rides in `$unknown` as field 2,
 * which protobuf-es writes out verbatim: the bytes on the wire are exactly
 * those of a frame whose `message` is set. JSON codecs ignore `$unknown`, so
 * these frames are only for binary (protobuf) requests.
 */

import type { WebhookMessage } from "../gen/webhookconnect/v1/message_pb.js";
import type {
  ConnectResponse,
  PullResponse,
  SubscribeResponse,
} from "../gen/webhookconnect/v1/relay_pb.js";
import { varintSize, writeVarint } from "./proto-writer.js";
import { encodeWebhookMessageField } from "./webhook-message.js";

/** Field number of `message` in ConnectResponse/SubscribeResponse and `messages` in PullResponse. */
const MESSAGE_FIELD = 2;
const LENGTH_DELIMITED = 2;

/**
 * A message to send: the WebhookMessage, and the bytes a buffer stored for it
 * when it has them (a delivery from the buffer is one).
 */
export interface EncodableMessage {
  readonly message: WebhookMessage;
  readonly encoded?: Uint8Array | undefined;
}

/** Bytes of a message as the value of a length-delimited field (its length, then itself). */
function fieldValue(delivery: EncodableMessage): Uint8Array {
  if (delivery.encoded === undefined) return encodeWebhookMessageField(delivery.message);
  const encoded = delivery.encoded;
  const out = Buffer.allocUnsafe(varintSize(encoded.byteLength) + encoded.byteLength);
  out.set(encoded, writeVarint(out, 0, encoded.byteLength));
  return out;
}

function encodedField(delivery: EncodableMessage) {
  return { no: MESSAGE_FIELD, wireType: LENGTH_DELIMITED, data: fieldValue(delivery) };
}

/** A bidi-stream message frame with `message` pre-encoded. */
export function encodedConnectFrame(delivery: EncodableMessage): ConnectResponse {
  return {
    $typeName: "webhookconnect.v1.ConnectResponse",
    frame: { case: undefined },
    $unknown: [encodedField(delivery)],
  };
}

/** A server-stream message frame with `message` pre-encoded. */
export function encodedSubscribeFrame(delivery: EncodableMessage): SubscribeResponse {
  return {
    $typeName: "webhookconnect.v1.SubscribeResponse",
    frame: { case: undefined },
    $unknown: [encodedField(delivery)],
  };
}

/** A long-poll answer with every message pre-encoded. */
export function encodedPullResponse(
  connectionId: string,
  deliveries: readonly EncodableMessage[],
): PullResponse {
  return {
    $typeName: "webhookconnect.v1.PullResponse",
    connectionId,
    messages: [],
    $unknown: deliveries.map(encodedField),
  };
}

/**
 * The bytes of a ConnectResponse whose frame is `message`, for transports
 * that write protobuf frames themselves (the protobuf WebSocket, the direct
 * HTTP/2 path), with `headroom` bytes left free in front for an envelope
 * prefix, so the frame is built in one buffer with one copy of the message.
 */
export function connectMessageFrameBytes(delivery: EncodableMessage, headroom = 0): Buffer {
  if (delivery.encoded === undefined) {
    const value = fieldValue(delivery);
    const out = Buffer.allocUnsafe(headroom + 1 + value.byteLength);
    out[headroom] = (MESSAGE_FIELD << 3) | LENGTH_DELIMITED;
    out.set(value, headroom + 1);
    return out;
  }
  const encoded = delivery.encoded;
  const out = Buffer.allocUnsafe(
    headroom + 1 + varintSize(encoded.byteLength) + encoded.byteLength,
  );
  out[headroom] = (MESSAGE_FIELD << 3) | LENGTH_DELIMITED;
  out.set(encoded, writeVarint(out, headroom + 1, encoded.byteLength));
  return out;
}
