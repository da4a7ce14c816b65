/**
 * The undici dispatcher of the plain-HTTP transports (SSE, long-poll and
 * their acks): HTTP/1.1, the connector's TLS settings on every request,
 * through the forward proxy when one is configured, and no idle timeouts
 * of its own — streams are watched by heartbeats.
 */
import { Agent, type Dispatcher } from "undici";
import type { ForwardProxy } from "./proxy.js";
import { createProxiedUndiciDispatcher } from "./proxy-agents.js";
import type { TlsOptions } from "./tls.js";
import type { ReceiverOptions } from "./transport.js";

/** Where a plain-HTTP transport sends its requests, through what and as whom. */
export interface HttpEndpoint {
  /** Transport name, for errors. */
  readonly transport: string;
  /** Base URL of the `/connect/*` endpoints. */
  readonly baseUrl: string;
  /** Channel token. */
  readonly token: string;
  /** The dispatcher of every request (see createHttpAgent). */
  readonly dispatcher: Dispatcher;
  /** Forward proxy the dispatcher goes through, for its errors. */
  readonly proxy?: ForwardProxy | undefined;
}

/** The endpoint of transport `transport` with its own dispatcher (closed with the transport). */
export function createHttpEndpoint(transport: string, options: ReceiverOptions): HttpEndpoint {
  const baseUrl = httpBaseUrl(options.cloudUrl);
  return {
    transport,
    baseUrl,
    token: options.token,
    dispatcher: createHttpAgent(baseUrl, options.tls, options.proxy),
    proxy: options.proxy,
  };
}

/** Creates the dispatcher for `baseUrl`. */
export function createHttpAgent(
  baseUrl: string,
  tls: TlsOptions | undefined,
  proxy?: ForwardProxy,
): Dispatcher {
  if (proxy !== undefined) return createProxiedUndiciDispatcher(baseUrl, tls, proxy);
  const secure = baseUrl.startsWith("https:");
  return new Agent({
    bodyTimeout: 0,
    headersTimeout: 0,
    ...(secure && tls !== undefined ? { connect: { ...tls } } : {}),
  });
}

/** Base URL of the `/connect/*` endpoints for a cloud URL (no trailing slash). */
export function httpBaseUrl(cloudUrl: string): string {
  const url = new URL(cloudUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  return url.toString().replace(/\/+$/, "");
}
