/**
 * `createModuleDeliverer`: the Deliverer of module mode. The message's
 * `webhook_id` selects the webhooks.json entry; its module (or chain)
 * decides the outcome: ack, retry (retryable failure) or reject (no entry
 * for that webhook id, or a permanent module error).
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Deliverer, DeliveryOutcome } from "../delivery/index.js";
import { buildEntries } from "./build.js";
import { CompletionRecord, type CompletionRecordOptions } from "./chain/completion-record.js";
import { loadModuleModeConfig } from "./config/load.js";
import type { ModuleEventSink } from "./events.js";
import { describeError } from "./message/failure.js";
import { SharedConnections } from "./shared-connections.js";

/** Options of {@link createModuleDeliverer}. */
export interface ModuleDelivererOptions {
  /** Path of webhooks.json (gateway format). */
  readonly webhooksConfigPath: string;
  /** Path of connections.json; optional when no entry names a connection. */
  readonly connectionsConfigPath?: string | undefined;
  /** Variables for `{$VAR}` substitution in both files. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Receives module-mode events (chain item failures, connection errors). @default ignore */
  readonly onEvent?: ModuleEventSink | undefined;
  /** Where the `log` module writes. @default process.stdout */
  readonly stdout?: NodeJS.WritableStream | undefined;
  /** Bounds of the record of completed chain items. */
  readonly completionRecord?: CompletionRecordOptions | undefined;
  /** Randomness of the chain retries' backoff jitter, in [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
}

/**
 * Loads and validates both config files and creates every module. Throws
 * ConfigError (one line: file, key, problem) on any config problem; opens
 * no connection until the first delivery.
 */
export async function createModuleDeliverer(options: ModuleDelivererOptions): Promise<Deliverer> {
  const config = await loadModuleModeConfig(options);
  const onEvent = options.onEvent;
  const emit: ModuleEventSink = (event) => {
    try {
      onEvent?.(event);
    } catch {
      // A faulty listener must not turn a delivery into a failure.
    }
  };
  const shared = new SharedConnections();
  const { runners, modules } = buildEntries({
    config,
    shared,
    record: new CompletionRecord(options.completionRecord),
    stdout: options.stdout ?? process.stdout,
    emit,
    random: options.random,
  });
  let closed = false;

  return {
    async deliver(message: WebhookMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
      if (closed) return { kind: "retry", reason: "deliverer is closed" };
      const runner = runners.get(message.webhookId);
      if (runner === undefined) {
        return {
          kind: "reject",
          reason: `no module configured for webhook id '${message.webhookId}' in ${config.webhooksFile}`,
        };
      }
      try {
        return await runner(message, signal);
      } catch (error) {
        return { kind: "retry", reason: describeError(error) };
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled(modules.map((module) => module.close()));
      await shared.closeAll();
    },
  };
}
