/**
 * Request parsing shared by the HTTP stream endpoints (WebSocket, SSE,
 * long-poll, acks): the channel token, the session parameters of the
 * query string, and the channel segment of `/connect/stream/{channel}`.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { RequestOrigin } from "../auth/index.js";
import { WebhookConnectError } from "../errors.js";
import { remoteAddressOf } from "../ingest/index.js";
import type { AnyRequest } from "../server/index.js";
import type { HelloFields } from "./hello.js";
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

/**
 * The Hello of a stream request: `channel` from the URL, `group`,
 * `connector_id` (or `X-Connector-Id`) and `max_in_flight` from the query
 * string. Read as given: `attach` checks them, as it does every Hello
 * (an unreadable `max_in_flight` is NaN, refused there).
 */
export function helloOfRequest(
  channel: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
): HelloFields {
  const connectorHeader = headers["x-connector-id"];
  const maxInFlight = query.get("max_in_flight");
  return {
    channel,
    group: query.get("group") ?? "",
    connectorId:
      query.get("connector_id") ?? (typeof connectorHeader === "string" ? connectorHeader : ""),
    maxInFlight: maxInFlight === null || maxInFlight === "" ? 0 : Number(maxInFlight),
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
