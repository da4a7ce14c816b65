/**
 * The shape most broker and storage modules share: build what is sent from
 * the message, send it through the client of the named connection, and turn
 * whatever the client threw into a ModuleDeliveryError. Such a module holds
 * nothing of its own — the client belongs to SharedConnections and closes
 * with the deliverer — so its close() has nothing to do.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import { toDeliveryError } from "./message/failure.js";
import type { ModuleDeliveryError, OutputModule } from "./output-module.js";

/** How a sending module delivers one message. */
export interface SendingModuleSpec<T> {
  /** Module name, also the prefix of its error messages. */
  readonly name: string;
  /**
   * Builds what is sent. Runs before the error mapping, so what it throws
   * (a ModuleDeliveryError for a message that can never be sent) passes as is.
   * @default the message itself
   */
  readonly prepare?: (message: WebhookMessage) => T;
  /** Sends `prepared`; resolves once the destination confirmed it. */
  readonly send: (prepared: T, message: WebhookMessage) => Promise<unknown>;
  /**
   * Turns what `send` threw into the delivery error.
   * @default retryable, `<name>: <what the client said>`
   */
  readonly failure?: (error: unknown) => ModuleDeliveryError;
}

/** Creates an OutputModule that sends the message as it is. */
export function createSendingModule(
  spec: SendingModuleSpec<WebhookMessage> & { readonly prepare?: undefined },
): OutputModule;
/** Creates an OutputModule from its prepare and send steps. */
export function createSendingModule<T>(
  spec: SendingModuleSpec<T> & { readonly prepare: (message: WebhookMessage) => T },
): OutputModule;
export function createSendingModule<T>(spec: SendingModuleSpec<T>): OutputModule {
  const prepare = spec.prepare ?? ((message: WebhookMessage) => message as T);
  const failure = spec.failure ?? ((error: unknown) => toDeliveryError(spec.name, error, true));
  return {
    name: spec.name,
    async deliver(message) {
      const prepared = prepare(message);
      try {
        await spec.send(prepared, message);
      } catch (error) {
        throw failure(error);
      }
    },
    async close() {},
  };
}
