/**
 * A RelaySession for transports that receive on one HTTP stream (or a
 * series of polls) and settle over separate requests: Connect Subscribe,
 * SSE and long-poll. The stream side is given; acks go through a batcher.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { AckBatcher } from "./ack-batcher.js";
import type { FrameQueue } from "./frame-queue.js";
import type { RelaySession, SessionEnd, SessionWelcome } from "./transport.js";

/** The parts of an HTTP session. */
export interface HttpSessionParts {
  /** Transport name. */
  readonly transport: string;
  /** The server's welcome. */
  readonly welcome: SessionWelcome;
  /** Where acks and nacks go. */
  readonly batcher: AckBatcher;
  /** Messages as received; the session ends it. */
  readonly messages: FrameQueue<WebhookMessage>;
  /** Resolves when the stream ended on its own (server end or failure). */
  readonly streamEnded: Promise<SessionEnd>;
  /** Cancels the stream (and any poll in flight). */
  readonly stopStream: () => void;
  /** Sends a keep-alive, when the transport has one. */
  readonly heartbeat?: () => void;
  /** How long close() waits for queued acks. @default 2000 */
  readonly closeTimeoutMs?: number;
}

/** Builds the RelaySession. */
export function createHttpRelaySession(parts: HttpSessionParts): RelaySession {
  let ended = false;
  let closing = false;
  let resolveClosed!: (end: SessionEnd) => void;
  const closed = new Promise<SessionEnd>((resolve) => {
    resolveClosed = resolve;
  });
  const finish = (end: SessionEnd) => {
    if (ended) return;
    ended = true;
    parts.stopStream();
    // Leases die with the connection: queued, unstarted messages are redelivered.
    parts.messages.clear();
    parts.messages.end();
    resolveClosed(end);
  };
  void parts.streamEnded.then((end) => {
    if (!closing) finish(end);
  });
  return {
    transport: parts.transport,
    welcome: parts.welcome,
    messages: parts.messages,
    ack(messageId) {
      if (ended || closing) return false;
      parts.batcher.ack(messageId);
      return true;
    },
    nack(messageId, options) {
      if (ended || closing) return false;
      parts.batcher.nack(messageId, options);
      return true;
    },
    heartbeat() {
      if (!ended) parts.heartbeat?.();
    },
    async close(error) {
      if (!closing && !ended) {
        closing = true;
        if (error === undefined) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            parts.batcher.flush(),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, parts.closeTimeoutMs ?? 2_000);
            }),
          ]);
          clearTimeout(timer);
        }
        finish(error === undefined ? { kind: "local" } : { kind: "local", error });
      }
      await closed;
    },
    closed,
  };
}
