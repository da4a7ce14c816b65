/**
 * A request message that cannot be decoded is the client's fault:
 * INVALID_ARGUMENT, not the INTERNAL connect-es answers for a protobuf
 * parse failure ("parse binary: …") or an undecodable compressed envelope.
 *
 * Streaming calls read their messages inside the interceptor chain, so an
 * interceptor maps what reading them throws. Unary calls are decoded
 * before any interceptor runs; their error answer is rewritten instead,
 * per protocol: the Connect JSON error body, the gRPC trailers, or the
 * gRPC-Web trailer frame.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/** Messages connect-es gives INTERNAL although the request's bytes were at fault. */
const MALFORMED_PREFIXES = [
  "parse binary:",
  "received compressed envelope",
  "invalid envelope",
] as const;

function isMalformedMessage(message: string): boolean {
  return MALFORMED_PREFIXES.some((prefix) => message.startsWith(prefix));
}

/** The error to answer for what reading the request threw. */
function requestError(error: unknown): unknown {
  if (!(error instanceof ConnectError) || error.code !== Code.Internal) return error;
  return new ConnectError(`malformed request message: ${error.rawMessage}`, Code.InvalidArgument);
}

async function* mapRequestErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw requestError(error);
  }
}

/**
 * Interceptor: failures while reading a streaming call's request messages
 * (anything INTERNAL there is about the request's bytes) become
 * INVALID_ARGUMENT.
 */
export const malformedStreamMessages: Interceptor = (next) => async (req) => {
  if (!req.stream) return next(req);
  return next({ ...req, message: mapRequestErrors(req.message) });
};

/** The protocol of a call, from its request Content-Type. */
export type RpcProtocol = "grpc" | "grpc-web" | "connect";

/** `grpc`, `grpc-web` or `connect` for a request Content-Type. */
export function rpcProtocolOf(contentType: string | null | undefined): RpcProtocol {
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}

async function* afterEnd(
  body: AsyncIterable<Uint8Array>,
  onEnd: () => void,
): AsyncIterable<Uint8Array> {
  yield* body;
  onEnd();
}

/** gRPC: the status is in the trailers, set while the body is produced. */
function fixGrpcTrailers(trailer: Headers | undefined): void {
  if (trailer?.get("grpc-status") !== String(Code.Internal)) return;
  const message = decodeURIComponent(trailer.get("grpc-message") ?? "");
  if (!isMalformedMessage(message)) return;
  trailer.set("grpc-status", String(Code.InvalidArgument));
  trailer.set("grpc-message", encodeURIComponent(`malformed request message: ${message}`));
}

/** gRPC-Web: the trailers are the body's last frame (flag 0x80), `name: value` lines. */
function fixGrpcWebTrailerFrame(chunk: Uint8Array): Uint8Array {
  let at = 0;
  while (at + 5 <= chunk.length) {
    const length = Buffer.from(chunk.buffer, chunk.byteOffset + at + 1, 4).readUInt32BE(0);
    if ((chunk[at]! & 0x80) !== 0 && at + 5 + length === chunk.length) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset + at + 5, length).toString("latin1");
      const trailer = new Headers();
      for (const line of text.split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailer.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      if (trailer.get("grpc-status") !== String(Code.Internal)) return chunk;
      fixGrpcTrailers(trailer);
      let fixed = "";
      trailer.forEach((value, name) => {
        fixed += `${name}: ${value}\r\n`;
      });
      const payload = Buffer.from(fixed, "latin1");
      const head = Buffer.alloc(5);
      head[0] = chunk[at]!;
      head.writeUInt32BE(payload.length, 1);
      return Buffer.concat([chunk.subarray(0, at), head, payload]);
    }
    at += 5 + length;
  }
  return chunk;
}

async function* mapChunks(
  body: AsyncIterable<Uint8Array>,
  map: (chunk: Uint8Array) => Uint8Array,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) yield map(chunk);
}

/** Connect unary: an error is an HTTP status with a JSON body `{code, message}`. */
async function fixConnectUnary(
  response: UniversalServerResponse,
): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    error = undefined;
  }
  const message = typeof error?.message === "string" ? error.message : "";
  if (error?.code !== "internal" || !isMalformedMessage(message)) {
    return { ...response, body: toAsync(bytes) };
  }
  const body = Buffer.from(
    JSON.stringify({ code: "invalid_argument", message: `malformed request message: ${message}` }),
  );
  const header = new Headers(response.header);
  header.set("content-length", String(body.length));
  return { ...response, status: 400, header, body: toAsync(body) };
}

async function* toAsync(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/**
 * Rewrites the answer of a unary call whose request message could not be
 * decoded from INTERNAL to INVALID_ARGUMENT. Successful answers pass
 * through (Connect: status 200 is not touched; gRPC/gRPC-Web: only the
 * final trailers are looked at).
 */
export async function malformedUnaryAsInvalidArgument(
  response: UniversalServerResponse,
  protocol: RpcProtocol,
): Promise<UniversalServerResponse> {
  const body = response.body;
  if (body === undefined) return response;
  if (protocol === "grpc") {
    return { ...response, body: afterEnd(body, () => fixGrpcTrailers(response.trailer)) };
  }
  if (protocol === "grpc-web")
    return { ...response, body: mapChunks(body, fixGrpcWebTrailerFrame) };
  return response.status === 500 ? fixConnectUnary(response) : response;
}
