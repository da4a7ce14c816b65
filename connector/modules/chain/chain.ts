/**
 * `chain`: delivers one message to several modules, sequentially or in
 * parallel. The message is acked when every required item succeeded; with
 * `continue_on_error` every item is best-effort and a failure is reported
 * in a `chain_item_failed` event instead of blocking the ack. Items that
 * already succeeded for a message_id are skipped on redelivery.
 */
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import type { DeliveryOutcome } from "../../delivery/index.js";
import type { ChainConfig, ChainRetry } from "../config/webhooks-schema.js";
import type { ModuleEventSink } from "../events.js";
import { toDeliveryError } from "../message/failure.js";
import { ACK, failureOutcome } from "../outcome.js";
import type { ModuleDeliveryError, OutputModule } from "../output-module.js";
import type { CompletionRecord } from "./completion-record.js";
import { runWithRetry } from "./retry.js";

/** One item of a chain, ready to run. */
export interface ChainItem {
  /** Module name as configured. */
  readonly moduleName: string;
  readonly module: OutputModule;
  readonly retry: ChainRetry | undefined;
}

/** Options of {@link createChainRunner}. */
export interface ChainRunnerOptions {
  readonly webhookId: string;
  readonly items: readonly ChainItem[];
  readonly config: ChainConfig;
  /** Shared record of completed (message_id, item) pairs. */
  readonly record: CompletionRecord;
  readonly emit: ModuleEventSink;
  /** Randomness of the retry backoff's jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** Delivers a message through a chain. */
export type ChainRunner = (
  message: WebhookMessage,
  signal: AbortSignal,
) => Promise<DeliveryOutcome>;

/** Creates the runner of one chain entry. */
export function createChainRunner(options: ChainRunnerOptions): ChainRunner {
  const { webhookId, items, config, record, emit } = options;
  const timeoutMs = Math.round(config.timeout * 1000);
  const recordKey = (index: number) => `${webhookId}#${index}:${items[index]?.moduleName ?? ""}`;

  async function runItem(
    index: number,
    message: WebhookMessage,
    signal: AbortSignal,
  ): Promise<ModuleDeliveryError | undefined> {
    const item = items[index]!;
    const messageId = message.messageId;
    if (record.has(messageId, recordKey(index))) {
      emit({
        type: "chain_item_skipped",
        webhookId,
        messageId,
        item: index,
        module: item.moduleName,
      });
      return undefined;
    }
    try {
      await runWithRetry((itemSignal) => item.module.deliver(message, itemSignal), {
        retry: item.retry,
        random: options.random,
        timeoutMs,
        signal,
        what: `chain item ${index} (${item.moduleName})`,
        onRetry: (attempt, delayMs, reason) =>
          emit({
            type: "chain_item_retry",
            webhookId,
            messageId,
            item: index,
            module: item.moduleName,
            attempt,
            delayMs,
            reason,
          }),
      });
      record.add(messageId, recordKey(index));
      return undefined;
    } catch (error) {
      const failure = toDeliveryError(`chain item ${index} (${item.moduleName})`, error);
      emit({
        type: "chain_item_failed",
        webhookId,
        messageId,
        item: index,
        module: item.moduleName,
        reason: failure.message,
        retryable: failure.retryable,
        blocking: !config.continue_on_error || signal.aborted,
      });
      return failure;
    }
  }

  async function sequential(message: WebhookMessage, signal: AbortSignal) {
    for (let index = 0; index < items.length; index++) {
      if (signal.aborted) return failureOutcome(toDeliveryError("chain aborted", signal.reason));
      const failure = await runItem(index, message, signal);
      if (failure === undefined) continue;
      if (!config.continue_on_error || signal.aborted) return failureOutcome(failure);
    }
    return ACK;
  }

  async function parallel(message: WebhookMessage, signal: AbortSignal) {
    const results = await Promise.all(items.map((_item, index) => runItem(index, message, signal)));
    const failures = results.filter((r): r is ModuleDeliveryError => r !== undefined);
    if (failures.length === 0) return ACK;
    if (config.continue_on_error && !signal.aborted) return ACK;
    // Retry when any failure may heal; only an all-permanent set dead-letters.
    const retryable = failures.filter((f) => f.retryable);
    if (retryable.length === 0) return failureOutcome(failures[0]);
    const outcome = failureOutcome(retryable[0]);
    // Redelivery runs every failed item again: wait for the longest delay any of them asked for.
    const asked = retryable.flatMap((f) => (f.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
    return asked.length === 0 ? outcome : { ...outcome, delayMs: Math.max(...asked) };
  }

  return config.execution === "parallel" ? parallel : sequential;
}
