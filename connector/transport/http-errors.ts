/**
 * Maps refusals of the receiver's plain-HTTP endpoints (status and JSON
 * error body) to connector errors, so that every transport reports a bad
 * token or an unknown channel the same way.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectorError } from "../errors.js";
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

/** The ConnectorError of a refused HTTP request on `transport`. */
export function connectorErrorFromHttp(
  transport: string,
  status: number,
  body: string,
): ConnectorError {
  const text = body.length > 200 ? `${body.slice(0, 200)}…` : body;
  return connectorErrorFromRpc(
    transport,
    new ConnectError(`HTTP ${status}${text === "" ? "" : ` ${text}`}`, codeFromHttp(status, body)),
  );
}
