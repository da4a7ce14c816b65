/**
 * A Buffer that reports every publish (duration, outcome, message id and
 * traceparent) before passing the result on. The ingest handler gets this
 * wrapper, so publish latency is measured without the ingest room knowing.
 */
import { performance } from "node:perf_hooks";
import type { Buffer } from "../buffer/buffer.js";

/** One publish as observed. */
export interface PublishObservation {
  /** Channel published to. */
  readonly channel: string;
  /** Message id. */
  readonly messageId: string;
  /** Webhook the message came from. */
  readonly webhookId: string;
  /** W3C traceparent stored with the message. */
  readonly traceparent: string;
  /** `stored` (durable), `duplicate` (id already stored) or `failed`. */
  readonly outcome: "stored" | "duplicate" | "failed";
  /** Time the backend took, in ms. */
  readonly durationMs: number;
  /** Why it failed. */
  readonly error?: unknown;
}

/** Wraps `buffer` so each publish is reported to `onPublish` (which must not throw). */
export function observePublishes(
  buffer: Buffer,
  onPublish: (observation: PublishObservation) => void,
): Buffer {
  return {
    kind: buffer.kind,
    features: buffer.features,
    ensureChannel: (settings) => buffer.ensureChannel(settings),
    ensureGroup: (channel, group) => buffer.ensureGroup(channel, group),
    async publish(channel, message) {
      const startedAt = performance.now();
      const facts = {
        channel,
        messageId: message.messageId,
        webhookId: message.webhookId,
        traceparent: message.traceparent,
      };
      try {
        const result = await buffer.publish(channel, message);
        onPublish({
          ...facts,
          outcome: result.duplicate ? "duplicate" : "stored",
          durationMs: performance.now() - startedAt,
        });
        return result;
      } catch (error) {
        onPublish({
          ...facts,
          outcome: "failed",
          durationMs: performance.now() - startedAt,
          error,
        });
        throw error;
      }
    },
    fetch: (request) => buffer.fetch(request),
    ack: (channel, group, messageId) => buffer.ack(channel, group, messageId),
    nack: (channel, group, messageId, options) => buffer.nack(channel, group, messageId, options),
    release: (channel, group, consumerId) => buffer.release(channel, group, consumerId),
    stats: (channel) => buffer.stats(channel),
    listDeadLetters: (channel, options) => buffer.listDeadLetters(channel, options),
    replayDeadLetters: (channel, filter, targetGroup) =>
      buffer.replayDeadLetters(channel, filter, targetGroup),
    purgeDeadLetters: (channel, filter) => buffer.purgeDeadLetters(channel, filter),
    getState: (key) => buffer.getState(key),
    setState: (key, value) => buffer.setState(key, value),
    ping: () => buffer.ping(),
    maxBodyBytes: () => buffer.maxBodyBytes?.(),
    close: () => buffer.close(),
  };
}
