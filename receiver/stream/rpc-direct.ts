/**
 * The long-lived RelayService calls (`Connect`, `Subscribe`) in binary gRPC
 * and binary Connect streaming over HTTP/2, written straight to the HTTP/2
 * stream instead of through connect-es's handler pipeline. An idle
 * connector costs a session, a request reader and the stream itself; the
 * pipeline held about a dozen async generators per call, each with its
 * promises and closures (most of the ~80 KiB an idle gRPC connector cost),
 * and handed every frame through them.
 *
 * Only what this path serves exactly as connect-es would is taken here:
 * HTTP/2, `application/grpc[+proto]` or `application/connect+proto`, no
 * compression, no deadline header. Everything else (JSON codecs, gRPC-Web,
 * HTTP/1.1, compressed or time-limited calls, the unary methods) still
 * goes to connect-es. Frames are the same bytes either way: deliveries are
 * the buffer's stored message behind field 2 (ConnectResponse and
 * SubscribeResponse share their layout), the rest encoded by protobuf-es.
 */
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import {
  ConnectRequestSchema,
  type ConnectResponse,
  ConnectResponseSchema,
  type Hello,
  SubscribeRequestSchema,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { connectMessageFrameBytes } from "../../wire/index.js";
import type { RequestOrigin } from "../auth/index.js";
import {
  closingNotice,
  connectErrorOf,
  openRelaySession,
  readClientFrames,
  validateHello,
  withHelloTimeout,
} from "./relay-service.js";
import { MAX_RPC_MESSAGE_BYTES } from "./rpc-limits.js";
import type { Session } from "./session.js";
import { reportInternalError, type StreamContext } from "./stream-context.js";
import { welcomeOf } from "./welcome.js";

/** A call this path serves. */
export interface DirectCall {
  readonly method: "Connect" | "Subscribe";
  readonly wire: "grpc" | "connect";
}

/** Who made the call. */
export interface DirectCaller {
  readonly origin: RequestOrigin;
  readonly remoteAddress: string;
}

const CONTENT_TYPE = { grpc: "application/grpc+proto", connect: "application/connect+proto" };
const FLAG_COMPRESSED = 0x01;
const FLAG_END_STREAM = 0x02;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function identity(value: string | string[] | undefined): boolean {
  const encoding = single(value);
  return encoding === undefined || encoding === "" || encoding === "identity";
}

/** The call when this path serves it exactly as connect-es would, else undefined. */
export function directCallOf(req: Http2ServerRequest, method: string): DirectCall | undefined {
  if (method !== "Connect" && method !== "Subscribe") return undefined;
  if (req.method !== "POST" || !("stream" in req)) return undefined;
  const type = single(req.headers["content-type"])?.toLowerCase();
  let wire: DirectCall["wire"];
  if (type === "application/grpc" || type === "application/grpc+proto") wire = "grpc";
  else if (type === "application/connect+proto") wire = "connect";
  else return undefined;
  const { headers } = req;
  if (wire === "grpc" && (!identity(headers["grpc-encoding"]) || "grpc-timeout" in headers)) {
    return undefined;
  }
  if (
    wire === "connect" &&
    (!identity(headers["connect-content-encoding"]) || "connect-timeout-ms" in headers)
  ) {
    return undefined;
  }
  return { method, wire };
}

/** Bytes of an envelope prefix: flags, then the big-endian payload length. */
const PREFIX_BYTES = 5;

/** One enveloped message: flags, big-endian length, payload. */
function envelope(flags: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + payload.byteLength);
  out.set(payload, PREFIX_BYTES);
  return prefixed(flags, out);
}

/** Writes the envelope prefix into the first PREFIX_BYTES of `framed`. */
function prefixed(flags: number, framed: Buffer): Buffer {
  framed[0] = flags;
  framed.writeUInt32BE(framed.byteLength - PREFIX_BYTES, 1);
  return framed;
}

/**
 * The request's enveloped messages, one at a time. A message announced
 * larger than MAX_RPC_MESSAGE_BYTES is refused from its prefix, before its
 * bytes are read; a compressed or cut-off one is INVALID_ARGUMENT.
 */
class EnvelopeReader {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;
  private failure: ConnectError | undefined;
  private waiter: (() => void) | undefined;

  constructor(private readonly req: Http2ServerRequest) {
    req.on("data", (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.wake();
    });
    req.once("end", () => {
      this.ended = true;
      this.wake();
    });
    req.once("aborted", () =>
      this.fail(new ConnectError("the client reset the stream", Code.Canceled)),
    );
    req.once("error", (error: Error) => this.fail(new ConnectError(error.message, Code.Canceled)));
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private fail(error: ConnectError): void {
    this.failure ??= error;
    this.wake();
  }

  /** The next message, or undefined when the request ended. */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const message = this.take();
      if (message !== undefined) return message;
      if (this.ended) {
        if (this.pending.length > 0) {
          throw new ConnectError(
            "malformed request message: cut-off envelope",
            Code.InvalidArgument,
          );
        }
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private take(): Uint8Array | undefined {
    const { pending } = this;
    if (pending.length < 5) return undefined;
    const flags = pending[0]!;
    const length = pending.readUInt32BE(1);
    if (length > MAX_RPC_MESSAGE_BYTES) {
      this.refuse(
        new ConnectError(
          `message size ${length} is larger than configured readMaxBytes ${MAX_RPC_MESSAGE_BYTES}`,
          Code.ResourceExhausted,
        ),
      );
    }
    if ((flags & (FLAG_COMPRESSED | FLAG_END_STREAM)) !== 0) {
      this.refuse(
        new ConnectError(
          `malformed request message: envelope flags ${flags} (no compression was negotiated)`,
          Code.InvalidArgument,
        ),
      );
    }
    if (pending.length < 5 + length) return undefined;
    const message = pending.subarray(5, 5 + length);
    this.pending = pending.subarray(5 + length);
    return message;
  }

  /** Reads no more and fails with `error`: what arrives is dropped. */
  private refuse(error: ConnectError): never {
    this.failure = error;
    this.pending = Buffer.alloc(0);
    this.req.removeAllListeners("data");
    this.req.resume();
    throw error;
  }
}

/** Writes the response: headers once, enveloped frames, then the status. */
class DirectWriter {
  private started = false;

  constructor(
    private readonly res: Http2ServerResponse,
    private readonly wire: DirectCall["wire"],
  ) {}

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { "content-type": CONTENT_TYPE[this.wire] });
  }

  /** Writes one frame; false when the stream wants `drained()` first. */
  frame(bytes: Uint8Array): boolean {
    return this.framed(envelope(0, bytes));
  }

  /** Writes a frame built with PREFIX_BYTES of headroom (the prefix is filled in here). */
  framed(buffer: Buffer): boolean {
    if (this.res.writableEnded || this.res.destroyed) return true;
    this.begin();
    return this.res.write(prefixed(0, buffer));
  }

  /** Resolves when the stream takes writes again (or is gone). */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.once("drain", done);
      this.res.once("close", done);
    });
  }

  /** Ends the call with OK, or with `error`. */
  end(error?: ConnectError): void {
    const { res } = this;
    if (res.writableEnded || res.destroyed) return;
    if (this.wire === "connect") {
      this.begin();
      const endStream: Record<string, unknown> = {};
      if (error !== undefined) {
        endStream["error"] = { code: codeToString(error.code), message: error.rawMessage };
        const metadata: Record<string, string[]> = {};
        error.metadata.forEach((value, key) => {
          metadata[key] = [value];
        });
        if (Object.keys(metadata).length > 0) endStream["metadata"] = metadata;
      }
      res.end(envelope(FLAG_END_STREAM, Buffer.from(JSON.stringify(endStream))));
      return;
    }
    const status: Record<string, string> = {};
    setTrailerStatus(new Headers(), error).forEach((value, key) => {
      status[key] = value;
    });
    // Headers, then the status in trailers (also for an error before any
    // frame: every gRPC client reads that; not all read a trailers-only answer
    // followed by a reset of the unread request).
    this.begin();
    res.addTrailers(status);
    res.end();
  }
}

function heartbeatFrame(): Uint8Array {
  return toBinary(
    ConnectResponseSchema,
    create(ConnectResponseSchema, {
      frame: { case: "heartbeat", value: { sentAt: timestampNow() } },
    }),
  );
}

function responseFrame(frame: ConnectResponse["frame"]): Uint8Array {
  return toBinary(ConnectResponseSchema, create(ConnectResponseSchema, { frame }));
}

function decodeError(error: unknown): ConnectError {
  return new ConnectError(
    `malformed request message: ${(error as Error).message}`,
    Code.InvalidArgument,
  );
}

/** The Hello of the call's first message. */
async function readHello(reader: EnvelopeReader, method: DirectCall["method"]): Promise<Hello> {
  const bytes = await withHelloTimeout(reader.next());
  let hello: Hello | undefined;
  if (bytes !== undefined) {
    try {
      if (method === "Connect") {
        const frame = fromBinary(ConnectRequestSchema, bytes).frame;
        hello = frame.case === "hello" ? frame.value : undefined;
      } else {
        hello = fromBinary(SubscribeRequestSchema, bytes).hello;
      }
    } catch (error) {
      throw decodeError(error);
    }
  }
  return validateHello(hello);
}

/** The client's frames after Hello, decoded. */
async function* clientFrames(reader: EnvelopeReader) {
  for (;;) {
    const bytes = await reader.next();
    if (bytes === undefined) return;
    try {
      yield fromBinary(ConnectRequestSchema, bytes);
    } catch (error) {
      throw decodeError(error);
    }
  }
}

/**
 * Serves one call; resolves once its answer was handed to the stream.
 * `refused`: the call failed pre-authentication and is answered with it,
 * nothing read.
 */
export async function serveDirect(
  context: StreamContext,
  call: DirectCall,
  caller: DirectCaller,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  refused: ConnectError | undefined,
): Promise<void> {
  const out = new DirectWriter(res, call.wire);
  if (refused !== undefined) {
    out.end(refused);
    return;
  }
  const reader = new EnvelopeReader(req);
  let session: Session;
  try {
    const hello = await readHello(reader, call.method);
    session = await openRelaySession(context, hello, {
      authorization: single(req.headers.authorization) ?? null,
      origin: caller.origin,
      protocol: call.wire,
      remoteAddress: caller.remoteAddress,
      liveness: call.method === "Connect",
      method: call.method,
    });
  } catch (error) {
    out.end(connectErrorOf(error));
    return;
  }
  const onGone = () => session.close("client disconnected");
  res.once("close", onGone);
  const failure: { error?: unknown } = {};
  try {
    out.frame(responseFrame({ case: "welcome", value: await welcomeOf(context, session) }));
    if (call.method === "Connect") {
      const notify = (frame: ConnectResponse["frame"]) => out.frame(responseFrame(frame));
      void readClientFrames(clientFrames(reader), session, notify, failure);
    }
    for await (const frame of session.frames()) {
      const writable =
        frame.kind === "message"
          ? out.framed(connectMessageFrameBytes(frame.delivery, PREFIX_BYTES))
          : out.frame(heartbeatFrame());
      if (!writable) await out.drained();
    }
    if (failure.error !== undefined) {
      out.end(ConnectError.from(failure.error));
      return;
    }
    const closed = session.serverClose;
    if (closed !== undefined) {
      out.frame(responseFrame(closingNotice(closed)));
      out.end(new ConnectError(closed.message, closed.connectCode));
      return;
    }
    out.end();
  } catch (error) {
    reportInternalError(context, `rpc ${call.method}`, error);
    out.end(connectErrorOf(error));
  } finally {
    res.off("close", onGone);
    session.close("stream ended");
  }
}
