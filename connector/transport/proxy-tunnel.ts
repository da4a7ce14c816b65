/**
 * Opens connections through the forward proxy: an HTTP `CONNECT` tunnel
 * (for TLS, HTTP/2 and WebSocket), TLS on top of it, and a plain
 * connection to the proxy for absolute-form HTTP/1.1 requests. Failures
 * are ProxyErrors naming the proxy.
 */
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { ProxyError } from "../errors.js";
import type { ForwardProxy } from "./proxy.js";
import type { TlsOptions } from "./tls.js";

/** Longest wait for the proxy to connect and answer CONNECT. */
export const PROXY_CONNECT_TIMEOUT_MS = 10_000;

/** Longest proxy response head read. */
const MAX_HEAD_BYTES = 16 * 1024;

/** Host and port of the receiver, as a CONNECT authority (`[::1]:443`). */
export function authorityOf(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  return `${bare.includes(":") ? `[${bare}]` : bare}:${port}`;
}

function unreachable(proxy: ForwardProxy, error: NodeJS.ErrnoException): ProxyError {
  return new ProxyError(`proxy ${proxy.label} unreachable (${error.code ?? error.message})`, {
    cause: error,
  });
}

/**
 * Connects to the proxy itself. Resolves once connected; rejects with a
 * ProxyError when the proxy cannot be reached.
 */
export function connectToProxy(proxy: ForwardProxy, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: proxy.host, port: proxy.port });
    const timer = setTimeout(
      () => fail(new ProxyError(`proxy ${proxy.label} did not accept the connection in time`)),
      PROXY_CONNECT_TIMEOUT_MS,
    );
    const onAbort = () => fail(new ProxyError(`proxy ${proxy.label}: cancelled`));
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
    };
    function fail(error: ProxyError) {
      cleanup();
      socket.destroy();
      reject(error);
    }
    const onError = (error: NodeJS.ErrnoException) => fail(unreachable(proxy, error));
    socket.once("error", onError);
    socket.once("connect", () => {
      cleanup();
      resolve(socket);
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Opens a CONNECT tunnel to `host:port` through the proxy. Resolves with
 * the socket once the proxy answered 2xx, with nothing read past the
 * proxy's answer.
 */
export async function openTunnel(
  proxy: ForwardProxy,
  host: string,
  port: number,
  signal?: AbortSignal,
): Promise<Socket> {
  const socket = await connectToProxy(proxy, signal);
  const authority = authorityOf(host, port);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(
      () =>
        fail(new ProxyError(`proxy ${proxy.label} did not answer CONNECT ${authority} in time`)),
      PROXY_CONNECT_TIMEOUT_MS,
    );
    const onAbort = () => fail(new ProxyError(`proxy ${proxy.label}: cancelled`));
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("readable", onReadable);
      socket.off("error", onError);
      socket.off("end", onEnd);
    };
    function fail(error: ProxyError) {
      cleanup();
      socket.destroy();
      reject(error);
    }
    const onError = (error: NodeJS.ErrnoException) =>
      fail(
        new ProxyError(
          `proxy ${proxy.label} failed during CONNECT ${authority} (${error.code ?? error.message})`,
          { cause: error },
        ),
      );
    const onEnd = () =>
      fail(new ProxyError(`proxy ${proxy.label} closed the connection on CONNECT ${authority}`));
    // Read in paused mode ('readable'), never flowing: once the listener is
    // gone the socket is back in its initial mode, so whoever takes it next
    // (TLS, HTTP/2, ws, undici) reads it as a fresh connection.
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read()) {
        if (onChunk(chunk)) return;
      }
    };
    /** Handles one chunk of the answer; true once the answer is complete or failed. */
    const onChunk = (chunk: Buffer): boolean => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES) {
          fail(new ProxyError(`proxy ${proxy.label} sent an oversized answer to CONNECT`));
          return true;
        }
        return false;
      }
      const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (match === null) {
        fail(
          new ProxyError(`proxy ${proxy.label} answered CONNECT with '${statusLine.slice(0, 80)}'`),
        );
        return true;
      }
      const status = Number(match[1]);
      const reason = match[2] ?? "";
      if (status === 407) {
        fail(
          new ProxyError(
            proxy.authorization === undefined
              ? `proxy ${proxy.label} requires authentication (407 ${reason}); put the credentials in proxy_url as http://user:password@host:port`
              : `proxy ${proxy.label} refused the credentials (407 ${reason})`,
            { status },
          ),
        );
        return true;
      }
      if (status < 200 || status > 299) {
        fail(
          new ProxyError(
            `proxy ${proxy.label} refused CONNECT to ${authority} (${status} ${reason})`,
            {
              status,
            },
          ),
        );
        return true;
      }
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
      return true;
    };
    socket.on("readable", onReadable);
    socket.once("error", onError);
    socket.once("end", onEnd);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.write(
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${
        proxy.authorization === undefined ? "" : `Proxy-Authorization: ${proxy.authorization}\r\n`
      }\r\n`,
    );
  });
}

/** Server name for SNI: none for IP addresses, as TLS forbids them there. */
export function serverNameOf(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, "");
  return /^[\d.]+$/.test(bare) || bare.includes(":") ? undefined : bare;
}

/**
 * Starts TLS to the receiver over a tunnel; the socket is returned at once
 * (the handshake runs when it is used), for APIs that take a connection.
 */
export function tlsOverTunnel(
  tunnel: Socket,
  host: string,
  tls: TlsOptions | undefined,
  alpn: readonly string[],
): TLSSocket {
  const servername = serverNameOf(host);
  return tlsConnect({
    ...tls,
    socket: tunnel,
    // The certificate is checked against the receiver's name, not the proxy's.
    host: host.replace(/^\[|\]$/g, ""),
    ALPNProtocols: [...alpn],
    ...(servername === undefined ? {} : { servername }),
  });
}
