/**
 * RelayService on Node's request API: connect-es's universal handlers (all
 * three protocols) behind a guard against hostile clients.
 * - The channel token is checked from the `Authorization` header before
 *   any request byte is read: a call whose token belongs to no channel is
 *   answered UNAUTHENTICATED by connect-es itself (so in each protocol's
 *   own error form) without its body ever being consumed. The channel
 *   named in the first message is checked again by the handler.
 * - Every request message is capped at MAX_RPC_MESSAGE_BYTES
 *   (`readMaxBytes`): a length prefix announcing more is refused before
 *   its bytes arrive.
 * - A request message that cannot be decoded is INVALID_ARGUMENT.
 * - When the answer is complete but the request is not (the client is
 *   still sending), the HTTP/2 stream is reset (NO_ERROR, as gRPC servers
 *   do) or the HTTP/1.1 connection half-closed, the rest read and dropped for
 *   at most two seconds (a lingering close: see lingeringClose).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as http2Constants,
} from "node:http2";
import type { Socket } from "node:net";
import { Code, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { bearerToken } from "../channels/index.js";
import { AuthThrottledError } from "../errors.js";
import { remoteAddressOf } from "../ingest/index.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { originOfRequest } from "./connect-request.js";
import type { PollSessions } from "./poll-sessions.js";
import { registerRelayService, remoteAddressKey } from "./relay-service.js";
import { directCallOf, serveDirect } from "./rpc-direct.js";
import { MAX_RPC_MESSAGE_BYTES } from "./rpc-limits.js";
import {
  malformedStreamMessages,
  malformedUnaryAsInvalidArgument,
  rpcProtocolOf,
} from "./rpc-malformed.js";
import { reportInternalError, type StreamContext, validForSomeChannel } from "./stream-context.js";

/** Path prefix of every RelayService method. */
export const RELAY_SERVICE_PATH = "/webhookconnect.v1.RelayService/";

/** The RPC endpoint. */
export interface RpcEndpoint {
  /** Handles a request under `/webhookconnect.v1.RelayService/`. */
  handle(req: AnyRequest, res: AnyResponse): void;
  /** The long-poll connections of `Pull`. */
  readonly polls: PollSessions;
}

/** Options of createRpcEndpoint. */
export interface RpcEndpointOptions {
  /** Response messages smaller than this are not compressed. @default 32768 */
  readonly compressMinBytes?: number;
}

const UNAUTHENTICATED_MESSAGE =
  "missing or invalid channel token (send Authorization: Bearer <channel_token>)";

/** A request body that fails on first read: connect-es answers its error, nothing is read. */
function refusedBody(error: ConnectError): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(error),
      return: () => Promise.resolve({ done: true as const, value: undefined }),
    }),
  };
}

/**
 * Resolves once the whole answer was handed to the connection. The HTTP/2
 * compatibility response emits `finish` only when the stream closes,
 * which a client still sending would put off; its stream asks for the
 * trailers (always, and after the last data) once the answer is out.
 */
function responseWritten(res: AnyResponse): Promise<void> {
  return new Promise((resolve) => {
    if ("stream" in res) {
      const { stream } = res as Http2ServerResponse;
      // The trailers are submitted by the response's own listener; they
      // reach the socket in the send pass Node queued for them, before this.
      stream.once("wantTrailers", () => setImmediate(resolve));
      stream.once("close", resolve);
      return;
    }
    res.once("finish", resolve);
    res.once("close", resolve);
  });
}

/** Stops reading a request whose answer is complete. */
function dropUnreadRequest(req: AnyRequest, res: AnyResponse): void {
  if (req.complete) return;
  if ("stream" in res) {
    const { stream } = res as Http2ServerResponse;
    if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_NO_ERROR);
    return;
  }
  lingeringClose((req as IncomingMessage).socket);
}

/** Longest a refused HTTP/1.1 client may go on sending before its connection is cut. */
const LINGER_MS = 2_000;

function discard(): void {}

/**
 * Closes an HTTP/1.1 connection whose request is still arriving. The
 * answer goes out followed by a FIN; what the client still sends is read
 * and dropped (nothing is kept) for at most LINGER_MS, then the connection
 * is cut. Cutting it at once, with the client's bytes unread, resets it,
 * and a reset makes the client's system drop what it had received but the
 * client had not read yet: the answer itself, under load.
 */
function lingeringClose(socket: Socket): void {
  socket.end();
  // The HTTP parser is done with this connection: no more requests on it.
  socket.removeAllListeners("data");
  socket.on("data", discard);
  socket.resume();
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  socket.once("close", () => clearTimeout(cut));
}

/** Creates the endpoint and registers RelayService on it. */
export function createRpcEndpoint(
  context: StreamContext,
  options: RpcEndpointOptions = {},
): RpcEndpoint {
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    // Webhook messages are small; gzip per frame costs more CPU than it
    // saves on the wire, so only large messages are compressed.
    compressMinBytes: options.compressMinBytes ?? 32 * 1024,
    readMaxBytes: MAX_RPC_MESSAGE_BYTES,
    interceptors: [malformedStreamMessages],
  });
  const polls = registerRelayService(router, context);
  const handlers = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) handlers.set(handler.requestPath, handler);

  /** The error to refuse the call with before reading it, or undefined to serve it. */
  async function preAuthorize(req: AnyRequest): Promise<ConnectError | undefined> {
    try {
      const token = bearerToken(req.headers.authorization);
      if (await validForSomeChannel(context, token, originOfRequest(req))) return undefined;
      return new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated);
    } catch (error) {
      if (!(error instanceof AuthThrottledError)) throw error;
      const retryAfter = String(Math.ceil(error.retryAfterSeconds ?? 1));
      return new ConnectError(error.message, Code.ResourceExhausted, { "retry-after": retryAfter });
    }
  }

  async function serve(handler: UniversalHandler, req: AnyRequest, res: AnyResponse) {
    const refused = await preAuthorize(req);
    const direct = directCallOf(req as Http2ServerRequest, handler.method.name);
    if (direct !== undefined) {
      const finished = responseWritten(res);
      const caller = { origin: originOfRequest(req), remoteAddress: remoteAddressOf(req) };
      await serveDirect(
        context,
        direct,
        caller,
        req as Http2ServerRequest,
        res as Http2ServerResponse,
        refused,
      );
      await finished;
      dropUnreadRequest(req, res);
      return;
    }
    const contextValues = createContextValues().set(remoteAddressKey, remoteAddressOf(req));
    let call: UniversalServerRequest = universalRequestFromNodeRequest(
      req as IncomingMessage,
      res as ServerResponse,
      undefined,
      contextValues,
    );
    if (refused !== undefined) {
      const header = new Headers(call.header);
      // Else a Connect unary call announcing a large body is answered
      // "too large" before the body is asked for.
      header.delete("content-length");
      call = { ...call, header, body: refusedBody(refused) };
    }
    const finished = responseWritten(res);
    try {
      let response = await handler(call);
      if (handler.method.methodKind === "unary") {
        const protocol = rpcProtocolOf(req.headers["content-type"]);
        response = await malformedUnaryAsInvalidArgument(response, protocol);
      }
      await Promise.race([universalResponseToNodeResponse(response, res), finished]);
    } catch (error) {
      // Write errors (the client went away) arrive as ConnectErrors and are not reported.
      reportInternalError(context, `rpc ${handler.method.name}`, error);
      if (!res.headersSent) res.destroy();
    }
    await finished;
    dropUnreadRequest(req, res);
  }

  return {
    polls,
    handle(req, res) {
      const url = req.url ?? "";
      const queryAt = url.indexOf("?");
      const handler = handlers.get(queryAt === -1 ? url : url.slice(0, queryAt));
      if (handler === undefined) {
        res.writeHead(404);
        res.end();
        return;
      }
      serve(handler, req, res).catch((error: unknown) => {
        reportInternalError(context, `rpc ${handler.method.name}`, error);
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
    },
  };
}
