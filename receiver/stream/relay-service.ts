/**
 * RelayService (proto/webhookconnect/v1/relay.proto) on Connect-RPC: the
 * bidi `Connect`, the server-streaming `Subscribe`, unary `Ack` and the
 * long-poll `Pull`, all over the shared Session.
 */
import { create } from "@bufbuild/protobuf";
import { durationMs, type Timestamp, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  type HandlerContext,
} from "@connectrpc/connect";
import {
  AckResultSchema,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
  type Nack,
  Notice_Level,
  NoticeSchema,
  RelayService,
  type SubscribeResponse,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import {
  encodedConnectFrame,
  encodedPullResponse,
  encodedSubscribeFrame,
} from "../../wire/index.js";
import type { RequestOrigin } from "../auth/index.js";
import { connectCodeOf, WebhookConnectError } from "../errors.js";
import { type AttachCall, type Attachment, admit, attach, type Credentials } from "./attach.js";
import { HelloTimeoutError, withHelloTimeout } from "./hello.js";
import { createPollSessions, type PollSessions } from "./poll-sessions.js";
import type { ServerClose } from "./server-close.js";
import type { Session, SessionFrame } from "./session.js";
import { settlerFor } from "./settle.js";
import {
  authorizeChannelFresh,
  reportInternalError,
  requestOriginOf,
  type StreamContext,
} from "./stream-context.js";
import { openingPullBacklog } from "./welcome.js";

/**
 * Whether the call's codec is binary protobuf (not JSON): pre-encoded frames
 * ride in `$unknown`, which JSON codecs ignore, so only binary calls get them.
 */
function usesBinaryCodec(ctx: HandlerContext): boolean {
  return !(ctx.requestHeader.get("content-type") ?? "").toLowerCase().includes("json");
}

/** Context key carrying the client's remote address into handlers. */
export const remoteAddressKey = createContextKey<string>("", { description: "remote address" });

/** The ConnectError a failure is answered with. */
export function connectErrorOf(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  // A client too slow to say Hello ran out of time, as gRPC servers report
  // a passed deadline (the WebSocket says WC_ERR_STREAM_PROTOCOL, its code).
  if (error instanceof HelloTimeoutError) {
    return new ConnectError(error.message, Code.DeadlineExceeded);
  }
  if (error instanceof WebhookConnectError) {
    const metadata =
      error.retryAfterSeconds === undefined
        ? undefined
        : { "retry-after": String(Math.ceil(error.retryAfterSeconds)) };
    return new ConnectError(error.message, connectCodeOf(error.code), metadata);
  }
  return new ConnectError("internal error", Code.Internal);
}

function protocolOf(ctx: HandlerContext): string {
  const type = ctx.requestHeader.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** Who made a call (for the failed-authentication throttle). */
function originOfCall(ctx: HandlerContext): RequestOrigin {
  return requestOriginOf(
    ctx.values.get(remoteAddressKey),
    ctx.requestHeader.get("x-forwarded-for"),
  );
}

function now(): Timestamp {
  return timestampFromMs(Date.now());
}

/** Who is calling, for attaching. */
export interface RelayCall extends Credentials, AttachCall {
  /** The method, for error reports. */
  readonly method: string;
}

/**
 * Attaches the caller of a streaming method (its Hello may be undefined
 * when the first message was something else); throws a ConnectError.
 */
export async function attachRelayCall(
  context: StreamContext,
  hello: Hello | undefined,
  call: RelayCall,
): Promise<Attachment> {
  try {
    return await attach(context, { ...call, hello });
  } catch (error) {
    reportInternalError(context, `rpc ${call.method}`, error);
    throw connectErrorOf(error);
  }
}

async function applyNack(session: Session, nack: Nack) {
  return session.nack(nack.messageId, {
    retry: nack.retry,
    reason: nack.reason,
    ...(nack.delay === undefined ? {} : { delayMs: durationMs(nack.delay) }),
  });
}

/**
 * Reads client frames of a bidi stream after Hello, handing notices to
 * send back to `notify`, and closes the session when the client's side
 * ends. A request stream that fails (a malformed or oversized frame) is
 * recorded in `failure` before the session closes, so the call ends with
 * that error rather than OK. Its own try/catch rather than a `.then`
 * chain: an idle stream waits in here for its whole life.
 */
export async function readClientFrames(
  iterator: AsyncIterator<ConnectRequest>,
  session: Session,
  notify: (frame: ConnectResponse["frame"]) => void,
  failure: { error?: unknown },
): Promise<void> {
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      const frame = next.value.frame;
      session.touch();
      switch (frame.case) {
        case "ack": {
          for (const result of await session.ack(frame.value.messageIds)) {
            if (!result.ok) notify(notice(Notice_Level.WARNING, result.messageId, result.error));
          }
          break;
        }
        case "nack": {
          const result = await applyNack(session, frame.value);
          if (!result.ok) notify(notice(Notice_Level.WARNING, result.messageId, result.error));
          break;
        }
        case "heartbeat":
          break;
        default:
          notify(
            notice(Notice_Level.WARNING, "", `unexpected frame '${frame.case ?? "empty"}' ignored`),
          );
      }
    }
  } catch (error) {
    failure.error = error;
    session.close(`client stream failed: ${(error as Error).message}`);
    return;
  }
  session.close("client closed the stream");
}

/** Serves RelayService on a router. */
export function registerRelayService(router: ConnectRouter, context: StreamContext): PollSessions {
  const polls = createPollSessions(context);

  /** The ConnectError to answer with; an unexpected error is reported with its cause first. */
  function toConnectError(error: unknown, method: string): ConnectError {
    reportInternalError(context, `rpc ${method}`, error);
    return connectErrorOf(error);
  }

  async function start(
    hello: Hello | undefined,
    ctx: HandlerContext,
    liveness: boolean,
    method: string,
  ): Promise<Attachment> {
    return attachRelayCall(context, hello, {
      authorization: ctx.requestHeader.get("authorization"),
      origin: originOfCall(ctx),
      protocol: protocolOf(ctx),
      remoteAddress: ctx.values.get(remoteAddressKey),
      liveness,
      method,
    });
  }

  function frameOf(frame: SessionFrame): ConnectResponse["frame"] & SubscribeResponse["frame"] {
    return frame.kind === "message"
      ? { case: "message", value: frame.delivery.message }
      : { case: "heartbeat", value: { $typeName: "webhookconnect.v1.Heartbeat", sentAt: now() } };
  }

  /** A bidi response; message frames are pre-encoded for binary codecs. */
  function connectResponseOf(frame: SessionFrame, binary: boolean): ConnectResponse {
    if (binary && frame.kind === "message") return encodedConnectFrame(frame.delivery);
    return { $typeName: "webhookconnect.v1.ConnectResponse", frame: frameOf(frame) };
  }

  /** A server-stream response; message frames are pre-encoded for binary codecs. */
  function subscribeResponseOf(frame: SessionFrame, binary: boolean): SubscribeResponse {
    if (binary && frame.kind === "message") return encodedSubscribeFrame(frame.delivery);
    return { $typeName: "webhookconnect.v1.SubscribeResponse", frame: frameOf(frame) };
  }

  router.service(RelayService, {
    async *connect(requests, ctx) {
      const iterator = requests[Symbol.asyncIterator]();
      let first: IteratorResult<ConnectRequest>;
      try {
        first = await withHelloTimeout(iterator.next());
      } catch (error) {
        throw connectErrorOf(error);
      }
      const hello =
        first.done !== true && first.value.frame.case === "hello"
          ? first.value.frame.value
          : undefined;
      const { session, welcome } = await start(hello, ctx, true, "Connect");
      const onAbort = () => session.close("client disconnected");
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      const notices: ConnectResponse["frame"][] = [];
      const failure: { error?: unknown } = {};
      void readClientFrames(iterator, session, (frame) => notices.push(frame), failure);
      try {
        yield { frame: { case: "welcome", value: welcome } };
        const binary = usesBinaryCodec(ctx);
        for await (const frame of session.frames()) {
          while (notices.length > 0) yield { frame: notices.shift()! };
          yield connectResponseOf(frame, binary);
        }
        if (failure.error instanceof ConnectError) throw failure.error;
        yield* serverCloseEnding(session);
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        session.close("stream ended");
      }
    },

    async *subscribe(request, ctx) {
      const { session, welcome } = await start(request.hello, ctx, false, "Subscribe");
      const onAbort = () => session.close("client disconnected");
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        yield { frame: { case: "welcome", value: welcome } };
        const binary = usesBinaryCodec(ctx);
        for await (const frame of session.frames()) yield subscribeResponseOf(frame, binary);
        yield* serverCloseEnding(session);
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        session.close("stream ended");
      }
    },

    async ack(request, ctx) {
      try {
        await authorizeChannelFresh(
          context,
          request.channel,
          ctx.requestHeader.get("authorization"),
          originOfCall(ctx),
        );
      } catch (error) {
        throw toConnectError(error, "Ack");
      }
      const settler = settlerFor(context, {
        channel: request.channel,
        connectionId: request.connectionId,
        group: request.group,
      });
      const results = [];
      for (const messageId of request.ackMessageIds) results.push(await settler.ack(messageId));
      for (const nack of request.nacks) {
        results.push(
          await settler.nack(nack.messageId, {
            retry: nack.retry,
            reason: nack.reason,
            ...(nack.delay === undefined ? {} : { delayMs: durationMs(nack.delay) }),
          }),
        );
      }
      return {
        results: results.map((r) =>
          create(AckResultSchema, { messageId: r.messageId, ok: r.ok, error: r.error ?? "" }),
        ),
      };
    },

    async pull(request, ctx) {
      const abort = new AbortController();
      const gone = (): void => abort.abort();
      if (ctx.signal.aborted) abort.abort();
      ctx.signal.addEventListener("abort", gone, { once: true });
      try {
        const admission = await admit(context, request.hello, {
          authorization: ctx.requestHeader.get("authorization"),
          origin: originOfCall(ctx),
        });
        const timeoutMs = request.timeout === undefined ? 30_000 : durationMs(request.timeout);
        const result = await polls.pull({
          admission,
          connectionId: request.connectionId,
          maxMessages: request.maxMessages,
          timeoutMs,
          remoteAddress: ctx.values.get(remoteAddressKey),
          protocol: protocolOf(ctx),
          abort,
        });
        const backlog = await openingPullBacklog(
          context,
          request.connectionId,
          result.connectionId,
        );
        const opened = backlog === undefined ? {} : { backlog: BigInt(backlog) };
        return usesBinaryCodec(ctx)
          ? { ...encodedPullResponse(result.connectionId, result.deliveries), ...opened }
          : {
              connectionId: result.connectionId,
              messages: result.deliveries.map((delivery) => delivery.message),
              ...opened,
            };
      } catch (error) {
        throw toConnectError(error, "Pull");
      } finally {
        ctx.signal.removeEventListener("abort", gone);
      }
    },
  });
  return polls;
}

/**
 * How a stream call ends when the receiver closed its session: the closing
 * Notice, then the matching status (nothing when the client ended it).
 */
function* serverCloseEnding(session: Session) {
  const closed = session.serverClose;
  if (closed === undefined) return;
  yield { frame: closingNotice(closed) };
  throw new ConnectError(closed.message, closed.connectCode);
}

/** The LEVEL_ERROR Notice sent before a call the receiver closes ends. */
export function closingNotice(closed: ServerClose) {
  return {
    case: "notice" as const,
    value: create(NoticeSchema, {
      level: Notice_Level.ERROR,
      code: closed.code,
      message: closed.message,
    }),
  };
}

function notice(level: Notice_Level, messageId: string, text: string | undefined) {
  return {
    case: "notice" as const,
    value: create(NoticeSchema, {
      level,
      code: "WC_ERR_STREAM_NOT_LEASED",
      message: text ?? "",
      messageId,
    }),
  };
}
