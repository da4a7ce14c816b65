/**
 * One port for everything: HTTP/1.1 and HTTP/2 on the same listener.
 * Cleartext connections are sniffed for the HTTP/2 connection preface
 * (prior-knowledge h2c); TLS connections are dispatched by ALPN (`h2` or
 * `http/1.1`). Both kinds reach the same request handler; HTTP/1.1 upgrade
 * requests (WebSocket) reach the upgrade handler.
 */
import { readFileSync } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import http2, { type Http2ServerRequest } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { AnyRequest, AnyResponse } from "./http-types.js";
import {
  answerAndClose,
  armRequestDeadline,
  closeIdleSessions,
  headerListSize,
} from "./http2-limits.js";

/** Limits against slow or hostile clients (both HTTP versions unless noted). */
export interface ListenerLimits {
  /**
   * Time to receive all request headers. On HTTP/2: time a new session has
   * to complete its first request. @default 10000
   */
  readonly headersTimeoutMs: number;
  /**
   * Time to receive a whole request (headers and body); then 408. On
   * HTTP/2 per stream, except requests whose body stays open by design
   * (`ListenerOptions.openEndedRequest`). @default 30000
   */
  readonly requestTimeoutMs: number;
  /** Largest total header size in bytes (HTTP/1.1 431, HTTP/2 stream reset). @default 32768 */
  readonly maxHeaderBytes: number;
  /** Idle keep-alive connection timeout (HTTP/2: a session without open streams). @default 65000 */
  readonly keepAliveTimeoutMs: number;
  /**
   * Most streams open at once on one HTTP/2 session
   * (SETTINGS_MAX_CONCURRENT_STREAMS; more are refused with REFUSED_STREAM). @default 100
   */
  readonly maxConcurrentStreams: number;
}

/** Default limits. */
export const defaultLimits: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxHeaderBytes: 32_768,
  keepAliveTimeoutMs: 65_000,
  maxConcurrentStreams: 100,
};

/** Options of the listener. */
export interface ListenerOptions {
  /** Interface to bind. @default "0.0.0.0" */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** PEM certificate and key files: TLS with ALPN h2/http1.1. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Handles every request of both HTTP versions. */
  readonly onRequest: (req: AnyRequest, res: AnyResponse) => void;
  /** Handles HTTP/1.1 upgrade requests (WebSocket). Without it they are refused. */
  readonly onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Limits. @default defaultLimits */
  readonly limits?: Partial<ListenerLimits>;
  /**
   * HTTP/2 requests whose body may stay open as long as the call lasts
   * (a bidi RPC): exempt from the request timeout. @default none
   */
  readonly openEndedRequest?: (req: Http2ServerRequest) => boolean;
}

/** A listening server. */
export interface Listener {
  /** Bound address. */
  readonly address: AddressInfo;
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** Stops accepting, then closes every open connection after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

const sessionAddresses = new WeakMap<object, string>();

/**
 * The TCP peer's address for a request of either HTTP version, as the
 * socket reports it, remembered per HTTP/2 session so it is known even
 * after the socket closed. Empty when unknown.
 */
export function peerAddressOf(req: AnyRequest): string {
  if ("stream" in req && req.stream?.session !== undefined) {
    const address = sessionAddresses.get(req.stream.session);
    if (address !== undefined) return address;
  }
  return req.socket?.remoteAddress ?? "";
}

/**
 * `h2` when `bytes` start with the whole HTTP/2 preface, `h1` as soon as
 * they differ from it, `undecided` while they are a strict prefix of it
 * (a client may send `P`, `PO`… in separate segments: that is `POST`,
 * `PUT` or `PATCH` as often as `PRI`).
 */
/**
 * Error listener for a socket's whole life: a shared function, so the
 * listener keeps nothing of the call that added it alive.
 */
export function destroySocket(this: Duplex): void {
  this.destroy();
}

function sniffProtocol(bytes: Buffer): "h1" | "h2" | "undecided" {
  const length = Math.min(bytes.length, H2_PREFACE.length);
  if (!bytes.subarray(0, length).equals(H2_PREFACE.subarray(0, length))) return "h1";
  return length === H2_PREFACE.length ? "h2" : "undecided";
}

/** Status line of the answer to an HTTP/1.1 parse error (Node's own mapping). */
function clientErrorStatus(error: Error & { code?: string }): string {
  if (error.code === "HPE_HEADER_OVERFLOW") return "431 Request Header Fields Too Large";
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return "408 Request Timeout";
  return "400 Bad Request";
}

/** Starts the listener. */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  const limits = { ...defaultLimits, ...options.limits };
  const h1 = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node enforces the two timeouts only when this sweep runs (30 s by
      // default), so a slow client would otherwise get up to 30 s extra.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)),
      ),
    },
    options.onRequest,
  );
  // Node starts the sweep that enforces headersTimeout and requestTimeout
  // when its server emits 'listening'. This server never listens itself
  // (connections are handed to it), so without this no slow client is ever
  // cut off. Closing it in close() stops the sweep.
  h1.emit("listening");
  if (options.onUpgrade !== undefined) h1.on("upgrade", options.onUpgrade);
  else h1.on("upgrade", (_req, socket: Duplex) => socket.destroy());
  h1.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${clientErrorStatus(error)}\r\nConnection: close\r\n\r\n`);
    } else {
      socket.destroy();
    }
  });
  const h2 = http2.createServer(
    {
      maxSessionMemory: 32,
      settings: {
        maxHeaderListSize: limits.maxHeaderBytes,
        maxConcurrentStreams: limits.maxConcurrentStreams,
      },
      maxSendHeaderBlockLength: limits.maxHeaderBytes,
    },
    (req, res) => {
      // The advertised SETTINGS_MAX_HEADER_LIST_SIZE is advisory: Node does
      // not refuse a larger list from a client that ignores it.
      if (headerListSize(req.rawHeaders) > limits.maxHeaderBytes) {
        answerAndClose(
          res,
          431,
          "header_fields_too_large",
          `request headers exceed ${limits.maxHeaderBytes} bytes`,
        );
        return;
      }
      if (options.openEndedRequest?.(req) !== true) {
        armRequestDeadline(req, res, limits.requestTimeoutMs);
      }
      options.onRequest(req, res);
    },
  );
  h2.on("sessionError", () => undefined);
  let connectingAddress: string | undefined;
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    // 'session' is emitted synchronously inside emit("connection").
    if (connectingAddress !== undefined) sessionAddresses.set(session, connectingAddress);
    h2Sessions.add(session);
    session.once("close", () => h2Sessions.delete(session));
    session.setTimeout(limits.keepAliveTimeoutMs * 10, () => session.close());
    closeIdleSessions(session, limits);
  });
  /** Sockets an HTTP/2 session runs on: closed by the session, not ended under it. */
  const h2Sockets = new WeakSet<Socket>();
  const toH2 = (socket: Socket, transport: Duplex) => {
    h2Sockets.add(socket);
    connectingAddress = socket.remoteAddress;
    try {
      h2.emit("connection", transport);
    } finally {
      connectingAddress = undefined;
    }
  };

  const sockets = new Set<Socket>();
  // Listeners that stay on a socket for its life are shared functions, not
  // closures per socket: a closure would keep its call's context (the
  // sniffed bytes, the sniffing timer) alive as long as the connection.
  function untrack(this: Socket): void {
    sockets.delete(this);
  }
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", untrack);
    socket.on("error", destroySocket);
  };

  const dispatchCleartext = (socket: Socket) => {
    track(socket);
    // A client that connects and sends nothing is cut off like a slow one.
    const sniff = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    sniff.unref();
    const stopSniffing = () => {
      clearTimeout(sniff);
      socket.off("close", stopSniffing);
      socket.off("data", onData);
    };
    socket.once("close", stopSniffing);
    let sniffed: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      sniffed = sniffed.length === 0 ? chunk : Buffer.concat([sniffed, chunk]);
      const protocol = sniffProtocol(sniffed);
      if (protocol === "undecided") return;
      stopSniffing();
      socket.pause();
      socket.unshift(sniffed);
      if (protocol === "h2") {
        // The HTTP/2 session consumes the socket natively and first takes
        // what is already buffered (the unshifted preface); the socket must
        // stay paused so the JS stream does not read past it.
        toH2(socket, socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };

  let server: net.Server;
  if (options.tls !== undefined) {
    server = tls.createServer(
      {
        cert: readFileSync(options.tls.certFile),
        key: readFileSync(options.tls.keyFile),
        ALPNProtocols: ["h2", "http/1.1"],
        handshakeTimeout: limits.headersTimeoutMs,
      },
      (socket) => {
        track(socket);
        if (socket.alpnProtocol === "h2") toH2(socket, socket);
        else h1.emit("connection", socket);
      },
    );
    server.on("tlsClientError", () => undefined);
  } else {
    server = net.createServer(dispatchCleartext);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const scheme = options.tls === undefined ? "http" : "https";

  return {
    address,
    url: `${scheme}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}`,
    async close(graceMs = 2_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      h1.close();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      deadline.unref();
      // GOAWAY: a session finishes the streams it has (their trailers and
      // closing notices go out), then closes its socket.
      for (const session of h2Sessions) session.close();
      for (const socket of sockets) {
        if (!h2Sockets.has(socket) && !socket.writableLength) socket.end();
      }
      await closed;
      clearTimeout(deadline);
      for (const socket of sockets) socket.destroy();
    },
  };
}
