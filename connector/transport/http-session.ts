/**
 * A RelaySession for transports that receive on one HTTP stream (or a
 * series of polls) and settle over separate requests: Connect Subscribe,
 * SSE and long-poll. The stream side is given; acks go through a batcher.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { ConnectorError } from "../errors.js";
import type { AckBatcher } from "./ack-batcher.js";
import { createFrameQueue, type FrameQueue } from "./frame-queue.js";
import type {
  OpenSessionOptions,
  RelaySession,
  SessionEnd,
  SessionNotice,
  SessionWelcome,
} from "./transport.js";

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

/** What one frame of a streamed response carries for the session (nothing: a keep-alive). */
export type StreamItem =
  | { readonly message: WebhookMessage }
  | { readonly notice: SessionNotice }
  | undefined;

/** The parts of a session on one long-lived response (SSE, Connect Subscribe). */
export interface StreamSessionParts<F> {
  /** Transport name. */
  readonly transport: string;
  /** The server's welcome, already read from the stream. */
  readonly welcome: SessionWelcome;
  /** The caller's open options (onFrame, onNotice). */
  readonly options: OpenSessionOptions;
  /** The frames after the welcome. */
  readonly frames: AsyncIterable<F>;
  /** Decodes one frame; throws for a malformed one, which ends the stream. */
  readonly decode: (frame: F) => StreamItem;
  /** What the stream failing is reported as. */
  readonly failure: (error: unknown) => ConnectorError;
  /** Where acks and nacks go. */
  readonly batcher: AckBatcher;
  /** Aborts the response. */
  readonly controller: AbortController;
}

/**
 * The RelaySession of a streamed response: every frame is a sign of life,
 * messages are queued, notices passed on, until the server ends the stream.
 */
export function createStreamRelaySession<F>(parts: StreamSessionParts<F>): RelaySession {
  const { options } = parts;
  const messages = createFrameQueue<WebhookMessage>();
  const streamEnded = (async (): Promise<SessionEnd> => {
    try {
      for await (const frame of parts.frames) {
        options.onFrame?.();
        const item = parts.decode(frame);
        if (item === undefined) continue;
        if ("message" in item) messages.push(item.message);
        else options.onNotice?.(item.notice);
      }
      return { kind: "server" };
    } catch (error) {
      return { kind: "error", error: parts.failure(error) };
    }
  })();
  return createHttpRelaySession({
    transport: parts.transport,
    welcome: parts.welcome,
    batcher: parts.batcher,
    messages,
    streamEnded,
    stopStream: () => parts.controller.abort(),
  });
}
