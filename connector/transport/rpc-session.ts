/**
 * A RelaySession over the bidi `RelayService.Connect` call, shared by the
 * gRPC and Connect transports. A pump reads every server frame as it
 * arrives (so heartbeats are seen even while deliveries are slow) and
 * queues messages for the runner; acks are batched into one frame.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampNow } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import {
  AckSchema,
  type ConnectRequest,
  ConnectRequestSchema,
  HeartbeatSchema,
  HelloSchema,
  NackSchema,
  type Notice,
  Notice_Level,
  type Welcome,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { messageOf, type ServerResponse } from "../../wire/index.js";
import { ProtocolError } from "../errors.js";
import { createFrameQueue } from "./frame-queue.js";
import { connectorErrorFromRpc } from "./rpc-errors.js";
import {
  boundedNackReason,
  type NackOptions,
  type OpenSessionOptions,
  type RelaySession,
  type SessionEnd,
  type SessionNotice,
  type SessionWelcome,
} from "./transport.js";

/** Tuning of an RPC session. */
export interface RpcSessionTuning {
  /** How long acks wait to be batched into one frame (acks that complete together share one). @default 1 */
  readonly ackBatchDelayMs?: number;
  /** Most ids in one Ack frame; a full batch is sent at once. @default 500 */
  readonly ackBatchMax?: number;
  /** How long close() waits for the server to end the stream before cancelling. @default 2000 */
  readonly closeTimeoutMs?: number;
}

/**
 * One bidi `Connect` call: client frames in, server frames out. Errors of
 * the returned iterable are ConnectErrors (or anything ConnectError.from
 * maps). The gRPC/Connect client and the WebSocket transport provide it.
 */
export type BidiCall = (
  requests: AsyncIterable<ConnectRequest>,
  options: { readonly signal: AbortSignal; readonly headers: Record<string, string> },
) => AsyncIterable<ServerResponse>;

/** Parameters of openRpcSession. */
export interface OpenRpcSessionParams extends RpcSessionTuning {
  /** Transport name for errors and `RelaySession.transport`. */
  readonly transport: string;
  /** The bidi Connect call of the transport. */
  readonly call: BidiCall;
  /** Channel token. */
  readonly token: string;
  /** The caller's open options. */
  readonly options: OpenSessionOptions;
  /** Called once when the session is over, to release its connection. */
  readonly dispose?: () => void;
}

const levels: Record<Notice_Level, SessionNotice["level"]> = {
  [Notice_Level.UNSPECIFIED]: "unspecified",
  [Notice_Level.INFO]: "info",
  [Notice_Level.WARNING]: "warning",
  [Notice_Level.ERROR]: "error",
};

/** A server Notice as the runner sees it (shared by every RPC-framed transport). */
export function sessionNoticeOf(notice: Notice): SessionNotice {
  return {
    level: levels[notice.level] ?? "unspecified",
    code: notice.code,
    message: notice.message,
    messageId: notice.messageId,
  };
}

/** A server Welcome as the runner sees it, durations in ms (shared by every RPC-framed transport). */
export function sessionWelcomeOf(w: Welcome): SessionWelcome {
  return {
    connectionId: w.connectionId,
    channel: w.channel,
    group: w.group,
    maxInFlight: w.maxInFlight,
    heartbeatIntervalMs: w.heartbeatInterval === undefined ? 0 : durationMs(w.heartbeatInterval),
    ackTimeoutMs: w.ackTimeout === undefined ? 0 : durationMs(w.ackTimeout),
    backlog: w.backlog === undefined ? undefined : Number(w.backlog),
  };
}

function frame(value: ConnectRequest["frame"]): ConnectRequest {
  return create(ConnectRequestSchema, { frame: value });
}

/** Opens a bidi Connect call, sends Hello and resolves after Welcome. */
export async function openRpcSession(params: OpenRpcSessionParams): Promise<RelaySession> {
  const { options, transport } = params;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener("abort", onAbort, { once: true });
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    options.signal.removeEventListener("abort", onAbort);
    controller.abort();
    params.dispose?.();
  };

  const requests = createFrameQueue<ConnectRequest>();
  const { hello } = options;
  requests.push(
    frame({
      case: "hello",
      value: create(HelloSchema, {
        channel: hello.channel,
        connectorId: hello.connectorId,
        group: hello.group,
        maxInFlight: hello.maxInFlight,
        clientVersion: hello.clientVersion,
      }),
    }),
  );
  const responses = params
    .call(requests, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${params.token}` },
    })
    [Symbol.asyncIterator]();

  let first: IteratorResult<ServerResponse>;
  try {
    first = await responses.next();
  } catch (error) {
    requests.end();
    dispose();
    throw connectorErrorFromRpc(transport, error);
  }
  if (first.done || first.value.frame.case !== "welcome") {
    requests.end();
    dispose();
    const got = first.done ? "the end of the stream" : (first.value.frame.case ?? "an empty frame");
    const notice = first.done ? undefined : first.value.frame;
    const detail =
      notice?.case === "notice" ? ` (${notice.value.code}: ${notice.value.message})` : "";
    throw new ProtocolError(`expected Welcome as the first frame, got ${got}${detail}`);
  }
  // From here on the session lives until close() or the stream ends.
  options.signal.removeEventListener("abort", onAbort);
  options.onFrame?.();
  const welcome = sessionWelcomeOf(first.value.frame.value);

  const messages = createFrameQueue<WebhookMessage>();
  let localError: Error | undefined;
  let closing = false;
  let resolveClosed!: (end: SessionEnd) => void;
  const closed = new Promise<SessionEnd>((resolve) => {
    resolveClosed = resolve;
  });

  let ended = false;
  let pendingAcks: string[] = [];
  let ackTimer: NodeJS.Timeout | undefined;
  void (async () => {
    let end: SessionEnd;
    try {
      while (true) {
        const next = await responses.next();
        if (next.done) break;
        options.onFrame?.();
        const f = next.value.frame;
        if (f.case === "message") messages.push(messageOf(f.value));
        else if (f.case === "notice") {
          options.onNotice?.(sessionNoticeOf(f.value));
        }
      }
      end = closing ? localEnd(localError) : { kind: "server" };
    } catch (error) {
      end = closing
        ? localEnd(localError)
        : { kind: "error", error: connectorErrorFromRpc(transport, error) };
    }
    ended = true;
    clearTimeout(ackTimer);
    requests.end();
    // Leases die with the connection: queued, unstarted messages will be redelivered.
    messages.clear();
    messages.end();
    dispose();
    resolveClosed(end);
  })();

  const ackBatchDelayMs = params.ackBatchDelayMs ?? 1;
  const ackBatchMax = params.ackBatchMax ?? 500;
  const flushAcks = () => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    if (pendingAcks.length === 0) return;
    const messageIds = pendingAcks;
    pendingAcks = [];
    requests.push(frame({ case: "ack", value: create(AckSchema, { messageIds }) }));
  };

  const session: RelaySession = {
    transport,
    welcome,
    messages,
    ack(messageId) {
      if (ended || requests.ended) return false;
      pendingAcks.push(messageId);
      if (pendingAcks.length >= ackBatchMax) flushAcks();
      else ackTimer ??= setTimeout(flushAcks, ackBatchDelayMs);
      return true;
    },
    nack(messageId, nackOptions: NackOptions) {
      if (ended || requests.ended) return false;
      flushAcks();
      const nack = create(NackSchema, {
        messageId,
        retry: nackOptions.retry,
        reason: boundedNackReason(nackOptions.reason),
      });
      if (nackOptions.delayMs !== undefined && nackOptions.delayMs > 0) {
        nack.delay = durationFromMs(Math.round(nackOptions.delayMs));
      }
      requests.push(frame({ case: "nack", value: nack }));
      return true;
    },
    heartbeat() {
      if (ended || requests.ended) return;
      requests.push(
        frame({ case: "heartbeat", value: create(HeartbeatSchema, { sentAt: timestampNow() }) }),
      );
    },
    async close(error) {
      if (!closing) {
        closing = true;
        localError = error;
        flushAcks();
        requests.end();
        // With an error the server is presumed gone; otherwise give it time to end the stream.
        const timer = setTimeout(
          () => controller.abort(),
          error === undefined ? (params.closeTimeoutMs ?? 2_000) : 0,
        );
        await closed;
        clearTimeout(timer);
      }
      await closed;
    },
    closed,
  };
  return session;
}

function localEnd(error: Error | undefined): SessionEnd {
  return error === undefined ? { kind: "local" } : { kind: "local", error };
}
