/**
 * The delivery seam of the connector: HTTP mode and module mode both turn a
 * relayed message into one of three outcomes, and the connector acks or
 * nacks accordingly (SPEC §8).
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";

/** What a delivery reports besides its verdict, for the terminal and the inspector. */
export interface DeliveryDetail {
  /** The HTTP status of the last attempt (HTTP mode, when the target answered). */
  readonly status?: number;
  /** Attempts made by this delivery, local retries included. */
  readonly attempts?: number;
}

/** What happened to one delivery. */
export type DeliveryOutcome =
  /** Delivered: ack. */
  | ({ readonly kind: "ack" } & DeliveryDetail)
  /** Failed but may succeed later: nack retry=true, optionally after a delay. */
  | ({
      readonly kind: "retry";
      readonly reason: string;
      readonly delayMs?: number;
    } & DeliveryDetail)
  /** Will never succeed: nack retry=false (dead letter). */
  | ({ readonly kind: "reject"; readonly reason: string } & DeliveryDetail);

/** Delivers relayed messages to their local destination. */
export interface Deliverer {
  /**
   * Delivers one message, with any local retries the configuration asks
   * for. Never throws: every failure is an outcome. `signal` aborts on
   * shutdown; an aborted delivery returns a retry outcome.
   */
  deliver(message: WebhookMessage, signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Releases pools and connections. */
  close(): Promise<void>;
}
