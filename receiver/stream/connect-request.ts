/**
 * Request parsing shared by the HTTP stream endpoints (WebSocket, SSE,
 * long-poll, acks): the channel token, the session parameters of the
 * query string, and the channel segment of `/connect/stream/{channel}`.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { RequestOrigin } from "../auth/index.js";
import { WebhookConnectError } from "../errors.js";
import { remoteAddressOf } from "../ingest/index.js";
import type { AnyRequest } from "../server/http-types.js";
import { requestOriginOf } from "./stream-context.js";

/** Options of the `/connect/*` endpoints. */
export interface ConnectEndpointOptions {
  /**
   * Also accept the channel token as `?token=` (for clients that cannot
   * set headers). Query strings end up in proxy logs, so it is off unless
   * enabled explicitly. @default false
   */
  readonly allowQueryToken?: boolean;
}

const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The `Authorization` value to check: the header, or `Bearer <token>` from
 * `?token=` when query tokens are enabled and no header was sent.
 */
export function authorizationOf(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  options: ConnectEndpointOptions,
): string | undefined {
  const header = headers.authorization;
  if (header !== undefined && header !== "") return header;
  const token = options.allowQueryToken === true ? query.get("token") : null;
  return token === null || token === "" ? undefined : `Bearer ${token}`;
}

/** Who sent a request (for the failed-authentication throttle). */
export function originOfRequest(req: AnyRequest): RequestOrigin {
  return requestOriginOf(remoteAddressOf(req), req.headers["x-forwarded-for"]);
}

/** Session parameters of a stream request: `group`, `connector_id`, `max_in_flight`. */
export interface StreamParams {
  readonly group: string;
  readonly connectorId: string;
  readonly maxInFlight: number;
}

/** Reads the session parameters; throws WC_ERR_STREAM_PROTOCOL for invalid ones. */
export function streamParamsOf(query: URLSearchParams, headers: IncomingHttpHeaders): StreamParams {
  const group = query.get("group") ?? "";
  if (group !== "" && !GROUP.test(group)) {
    throw new WebhookConnectError(
      "WC_ERR_STREAM_PROTOCOL",
      "group must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    );
  }
  const connectorHeader = headers["x-connector-id"];
  const connectorId =
    query.get("connector_id") ?? (typeof connectorHeader === "string" ? connectorHeader : "");
  return {
    group,
    connectorId: connectorId.slice(0, 128),
    maxInFlight: nonNegativeInteger(query, "max_in_flight", 0),
  };
}

/** A non-negative integer query parameter, or `fallback` when absent. */
export function nonNegativeInteger(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new WebhookConnectError(
      "WC_ERR_STREAM_PROTOCOL",
      `${name} must be a non-negative integer`,
    );
  }
  return value;
}

/** A duration query parameter in (possibly fractional) seconds, in milliseconds. */
export function secondsParam(query: URLSearchParams, name: string, fallbackMs: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallbackMs;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new WebhookConnectError("WC_ERR_STREAM_PROTOCOL", `${name} must be seconds >= 0`);
  }
  return value * 1000;
}

/** Matches `/connect/stream/{channel}` plus an optional suffix (`/sse`, `/poll`). */
export function streamPathOf(path: string): { channel: string; kind: string } | undefined {
  const match = /^\/connect\/stream\/([^/]+)(?:\/(sse|poll))?\/?$/.exec(path);
  if (match === null) return undefined;
  let channel: string;
  try {
    channel = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  return { channel, kind: match[2] ?? "websocket" };
}

/** Splits a request URL into path and query. */
export function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? "/";
  const at = raw.indexOf("?");
  return at === -1
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, at), query: new URLSearchParams(raw.slice(at + 1)) };
}
