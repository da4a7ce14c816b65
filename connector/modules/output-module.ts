/**
 * The output-module seam of the connector's module mode (SPEC §8). A module
 * is created from one webhook entry's `module-config` and, where it needs
 * one, a named connection from connections.json. The connector acks a
 * message only after `deliver` resolved.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";

/** Everything a module needs to be created. */
export interface OutputModuleContext {
  /** Webhook id whose config this module serves. */
  readonly webhookId: string;
  /** The entry's `module-config`, after `{$VAR}` substitution. */
  readonly moduleConfig: Readonly<Record<string, unknown>>;
  /** The named connection's settings, when the entry names one. */
  readonly connection: Readonly<Record<string, unknown>> | undefined;
  /** The entry's `data_type` (`json` or `blob`). */
  readonly dataType: "json" | "blob";
  /** Where config errors point to, e.g. `webhooks.json: stripe_relay.module-config.table`. */
  readonly configPath: string;
}

/** A destination for relayed webhooks. */
export interface OutputModule {
  /** Module name as configured, e.g. `postgresql`. */
  readonly name: string;
  /**
   * Delivers one message. Resolves when the destination confirmed it;
   * rejects with ModuleDeliveryError (retryable or not) otherwise.
   * Delivery of the same message_id twice must not duplicate data where
   * the destination allows (upsert, message id as key). `signal` aborts
   * on shutdown: a module that can give up its request early should (the
   * caller stops waiting for it either way).
   */
  deliver(message: WebhookMessage, signal?: AbortSignal): Promise<void>;
  /** Closes connections; pending deliveries settle first. */
  close(): Promise<void>;
}

/** Options of a {@link ModuleDeliveryError}. */
export interface ModuleDeliveryErrorOptions {
  /** Whether a later attempt may succeed. */
  readonly retryable: boolean;
  readonly cause?: unknown;
  /**
   * How long the destination asked us to wait before the next attempt, in
   * ms (an HTTP `Retry-After`). Chain retries wait at least this long, or
   * end and pass it on as the nack delay, as HTTP mode does. @default none
   */
  readonly retryAfterMs?: number | undefined;
}

/** A failed delivery; `retryable: false` sends the message to the dead-letter queue. */
export class ModuleDeliveryError extends Error {
  /** Whether a later attempt may succeed. */
  readonly retryable: boolean;
  /** The delay the destination asked for, in ms, if it asked (see the options). */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ModuleDeliveryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ModuleDeliveryError";
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryable ? options.retryAfterMs : undefined;
  }
}
