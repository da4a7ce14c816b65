/**
 * Typed events of module mode. The library never logs; the connector's
 * main turns these into log lines and metrics.
 */

/** A chain item failed; with `continue_on_error` the message is still acked. */
export interface ChainItemFailedEvent {
  readonly type: "chain_item_failed";
  readonly webhookId: string;
  readonly messageId: string;
  /** Index of the item in the chain. */
  readonly item: number;
  /** Module name as configured. */
  readonly module: string;
  readonly reason: string;
  readonly retryable: boolean;
  /** Whether the failure blocks the ack (false with `continue_on_error`). */
  readonly blocking: boolean;
}

/** A chain item was not re-run because it already succeeded for this message_id. */
export interface ChainItemSkippedEvent {
  readonly type: "chain_item_skipped";
  readonly webhookId: string;
  readonly messageId: string;
  readonly item: number;
  readonly module: string;
}

/** A chain item attempt failed and will be retried locally. */
export interface ChainItemRetryEvent {
  readonly type: "chain_item_retry";
  readonly webhookId: string;
  readonly messageId: string;
  readonly item: number;
  readonly module: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** A shared client reported an error outside a delivery (e.g. a dropped connection). */
export interface ConnectionErrorEvent {
  readonly type: "connection_error";
  /** Connection name from connections.json. */
  readonly connection: string;
  readonly reason: string;
}

/** Any module-mode event. */
export type ModuleEvent =
  | ChainItemFailedEvent
  | ChainItemSkippedEvent
  | ChainItemRetryEvent
  | ConnectionErrorEvent;

/** Receives module-mode events. Must not throw. */
export type ModuleEventSink = (event: ModuleEvent) => void;
