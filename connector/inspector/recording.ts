/**
 * Feeds the history: a Deliverer wrapper that records each settled
 * delivery with the requests it made, and the conversions between a
 * relayed message and its recorded request.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  HeaderSchema,
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../gen/webhookconnect/v1/message_pb.js";
import type { AttemptRecord, Deliverer, DeliveryOutcome } from "../delivery/index.js";
import type { DeliveryStatus, HistoryStore, RecordedRequest } from "./history-store.js";

/** Collects the requests of deliveries in progress, by message id. */
export interface AttemptCollector {
  /** The `onAttempt` of the HTTP deliverer. */
  readonly onAttempt: (record: AttemptRecord) => void;
  /** Starts collecting for `messageId`. */
  begin(messageId: string): void;
  /** Stops collecting and returns what was collected. */
  end(messageId: string): AttemptRecord[];
}

/** Creates an AttemptCollector. */
export function createAttemptCollector(): AttemptCollector {
  const open = new Map<string, AttemptRecord[]>();
  return {
    onAttempt(record) {
      open.get(record.messageId)?.push(record);
    },
    begin(messageId) {
      if (!open.has(messageId)) open.set(messageId, []);
    },
    end(messageId) {
      const records = open.get(messageId) ?? [];
      open.delete(messageId);
      return records;
    },
  };
}

/** The recorded form of a relayed message. */
export function recordedRequestOf(message: WebhookMessage): RecordedRequest {
  return {
    messageId: message.messageId,
    webhookId: message.webhookId,
    channel: message.channel,
    receivedAt:
      message.receivedAt === undefined ? Date.now() : timestampDate(message.receivedAt).getTime(),
    deliveryAttempt: message.deliveryAttempt,
    method: message.method,
    path: message.path,
    query: message.query,
    headers: message.headers.map((h) => [h.name, h.value] as const),
    body: message.body,
    contentType: message.contentType,
    sourceIp: message.sourceIp,
    traceparent: message.traceparent,
  };
}

/** A relayed message rebuilt from its recorded request, for a replay. */
export function messageOf(request: RecordedRequest): WebhookMessage {
  return create(WebhookMessageSchema, {
    messageId: request.messageId,
    webhookId: request.webhookId,
    channel: request.channel,
    receivedAt: timestampFromMs(request.receivedAt),
    deliveryAttempt: request.deliveryAttempt,
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers.map(([name, value]) => create(HeaderSchema, { name, value })),
    body: request.body,
    contentType: request.contentType,
    sourceIp: request.sourceIp,
    traceparent: request.traceparent,
  });
}

/** The history's name of an outcome. */
export function statusOf(outcome: DeliveryOutcome): DeliveryStatus {
  return outcome.kind === "ack" ? "acked" : outcome.kind === "retry" ? "nacked" : "dead_lettered";
}

/**
 * Wraps `inner` so every delivery it settles is recorded in `store` with
 * the requests `collector` saw. Deliveries cut short by shutdown are not
 * recorded (the buffer redelivers them).
 */
export function createRecordingDeliverer(
  inner: Deliverer,
  store: HistoryStore,
  collector: AttemptCollector,
): Deliverer {
  return {
    async deliver(message, signal) {
      collector.begin(message.messageId);
      const started = performance.now();
      let outcome: DeliveryOutcome;
      try {
        outcome = await inner.deliver(message, signal);
      } catch (error) {
        collector.end(message.messageId);
        throw error;
      }
      const attempts = collector.end(message.messageId);
      if (!signal.aborted) {
        store.record({
          request: recordedRequestOf(message),
          outcome: statusOf(outcome),
          status: outcome.status,
          reason: outcome.kind === "ack" ? undefined : outcome.reason,
          durationMs: Math.round(performance.now() - started),
          attempts,
          settledAt: Date.now(),
        });
      }
      return outcome;
    },
    close: () => inner.close(),
  };
}
