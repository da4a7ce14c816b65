/**
 * Maps refusals of the receiver's plain-HTTP endpoints (status and JSON
 * error body) to connector errors, so that every transport reports a bad
 * token or an unknown channel the same way.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type ConnectorError, ProxyError } from "../errors.js";
import type { ForwardProxy } from "./proxy.js";
import { connectorErrorFromRpc } from "./rpc-errors.js";

function errorCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === "string" ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Connect code of a refused HTTP request. Only the receiver's own
 * JSON errors count as "unknown channel" or "too many connections": a
 * proxy's 404 or 503 is a transport failure, so `auto` tries the next.
 */
export function codeFromHttp(status: number, body: string): Code {
  const error = errorCodeOf(body);
  if (status === 401 && error === "unauthorized") return Code.Unauthenticated;
  if (status === 404 && error === "unknown_channel") return Code.NotFound;
  if (status === 503 && error === "too_many_connections") return Code.ResourceExhausted;
  return Code.Unavailable;
}

/**
 * The ConnectorError of a refused HTTP request on `transport`. A 407
 * comes from the forward proxy (absolute-form requests get the proxy's
 * own answers), never from the receiver.
 */
export function connectorErrorFromHttp(
  transport: string,
  status: number,
  body: string,
  proxy?: ForwardProxy,
): ConnectorError {
  if (status === 407 && proxy !== undefined) {
    return new ProxyError(
      proxy.authorization === undefined
        ? `proxy ${proxy.label} requires authentication (407); put the credentials in proxy_url as http://user:password@host:port`
        : `proxy ${proxy.label} refused the credentials (407)`,
      { status },
    );
  }
  const text = body.length > 200 ? `${body.slice(0, 200)}…` : body;
  return connectorErrorFromRpc(
    transport,
    new ConnectError(`HTTP ${status}${text === "" ? "" : ` ${text}`}`, codeFromHttp(status, body)),
  );
}
