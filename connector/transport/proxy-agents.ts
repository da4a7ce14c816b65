/**
 * Connection pools that go through the forward proxy, one per HTTP client
 * the transports use:
 * - undici (SSE, long-poll, their acks);
 * - Node's http/https agents (Connect over HTTP/1.1).
 * `https` receivers are reached through a CONNECT tunnel with TLS end to
 * end; cleartext `http` ones with absolute-form requests
 * (`GET http://host/path`) sent to the proxy, as HTTP proxies expect.
 */
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import type { ForwardProxy } from "./proxy.js";
import { connectToProxy, openTunnel, tlsOverTunnel } from "./proxy-tunnel.js";
import type { TlsOptions } from "./tls.js";

function defaultPort(protocol: string): number {
  return protocol === "https:" ? 443 : 80;
}

/** The undici dispatcher of the plain-HTTP transports, through `proxy`. */
export function createProxiedUndiciDispatcher(
  baseUrl: string,
  tls: TlsOptions | undefined,
  proxy: ForwardProxy,
): Dispatcher {
  const secure = baseUrl.startsWith("https:");
  const agent = new Agent({
    bodyTimeout: 0,
    headersTimeout: 0,
    connect(options, callback) {
      const host = options.hostname;
      const port = options.port === "" ? defaultPort(options.protocol) : Number(options.port);
      const opened = secure ? openTunnel(proxy, host, port) : connectToProxy(proxy);
      opened.then(
        (socket) => {
          if (!secure) {
            callback(null, socket);
            return;
          }
          const tlsSocket = tlsOverTunnel(socket, host, tls, ["http/1.1"]);
          const onError = (error: Error) => callback(error, null);
          tlsSocket.once("error", onError);
          tlsSocket.once("secureConnect", () => {
            tlsSocket.off("error", onError);
            callback(null, tlsSocket);
          });
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  if (secure) return agent;
  // Absolute-form: the proxy reads the receiver from the request line.
  return agent.compose((dispatch) => (options, handler) => {
    const origin = String(options.origin ?? "").replace(/\/+$/, "");
    const headers = withProxyAuthorization(options.headers, proxy);
    const path = `${origin}${options.path}`;
    return dispatch(
      headers === undefined ? { ...options, path } : { ...options, path, headers },
      handler,
    );
  });
}

function withProxyAuthorization(
  headers: Dispatcher.DispatchOptions["headers"],
  proxy: ForwardProxy,
): Dispatcher.DispatchOptions["headers"] {
  if (proxy.authorization === undefined) return headers;
  if (headers === undefined || headers === null) {
    return { "proxy-authorization": proxy.authorization };
  }
  if (Array.isArray(headers)) return [...headers, "proxy-authorization", proxy.authorization];
  if (Symbol.iterator in (headers as object)) {
    return [
      ...[...(headers as Iterable<[string, string | string[] | undefined]>)].flatMap(
        ([name, value]) => (value === undefined ? [] : [name, String(value)]),
      ),
      "proxy-authorization",
      proxy.authorization,
    ];
  }
  return { ...(headers as Record<string, string>), "proxy-authorization": proxy.authorization };
}

/**
 * Node's agent for `https.request` / `http.request` to the receiver at
 * `baseUrl`, through `proxy` (keep-alive, so acks reuse connections).
 */
export function createProxiedNodeAgent(
  baseUrl: string,
  tls: TlsOptions | undefined,
  proxy: ForwardProxy,
): http.Agent {
  if (baseUrl.startsWith("https:")) return new TunnelingAgent(proxy, tls);
  return new AbsoluteFormAgent(proxy);
}

type CreateConnectionCallback = (error: Error | null, socket: Duplex) => void;

/** HTTPS through a CONNECT tunnel per pooled connection. */
class TunnelingAgent extends https.Agent {
  constructor(
    private readonly proxy: ForwardProxy,
    private readonly tls: TlsOptions | undefined,
  ) {
    super({ keepAlive: true });
  }

  // Node's Agent accepts the socket through the callback when none is returned.
  override createConnection(
    options: http.ClientRequestArgs,
    callback?: CreateConnectionCallback,
  ): Duplex {
    const host = options.hostname ?? options.host ?? "localhost";
    const port = Number(options.port ?? 443);
    openTunnel(this.proxy, host, port).then(
      (tunnel) => callback?.(null, tlsOverTunnel(tunnel, host, this.tls, ["http/1.1"])),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}

/** Cleartext HTTP as absolute-form requests to the proxy. */
class AbsoluteFormAgent extends http.Agent {
  constructor(private readonly proxy: ForwardProxy) {
    super({ keepAlive: true });
  }

  /** Rewrites the request line before the head is written (it is written lazily). */
  addRequest(request: http.ClientRequest, options: http.ClientRequestArgs): void {
    const host = options.hostname ?? options.host ?? "localhost";
    const bare = host.replace(/^\[|\]$/g, "");
    const authority = `${bare.includes(":") ? `[${bare}]` : bare}:${options.port ?? 80}`;
    request.path = `http://${authority}${request.path}`;
    if (this.proxy.authorization !== undefined) {
      request.setHeader("proxy-authorization", this.proxy.authorization);
    }
    (
      http.Agent.prototype as unknown as { addRequest: (r: unknown, o: unknown) => void }
    ).addRequest.call(this, request, options);
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: CreateConnectionCallback,
  ): Duplex {
    connectToProxy(this.proxy).then(
      (socket) => callback?.(null, socket),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}
