/** The Delivery of the backends that read a leased message's stored bytes. */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import { decodeWebhookMessage } from "../../wire/index.js";
import type { Delivery } from "./buffer.js";

/**
 * A leased message, decoded only when `message` is read: the stream
 * transports send `encoded` as it is, so most deliveries are never decoded.
 */
export class LazyDelivery implements Delivery {
  private decoded: WebhookMessage | undefined;

  constructor(
    readonly messageId: string,
    readonly deliveryAttempt: number,
    /** The stored message with sequence and attempt appended (withDeliveryFields). */
    readonly encoded: Uint8Array,
    readonly group: string,
    readonly leaseExpiresAt: number,
  ) {}

  get message(): WebhookMessage {
    this.decoded ??= decodeWebhookMessage(this.encoded);
    return this.decoded;
  }
}
