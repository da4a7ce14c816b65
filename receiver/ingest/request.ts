import { randomUUID } from "node:crypto";
/**
 * What the ingest handler reads off a request of node:http or of
 * node:http2's compatibility API, without altering anything.
 */
import type { TLSSocket } from "node:tls";
import type { IngestRequest } from "../auth/index.js";
import type { AnyRequest } from "../server/index.js";
import { peerAddressOf } from "../server/index.js";

/** Path and raw query (without `?`) of the request target. */
export function splitTarget(url: string | undefined): { path: string; query: string } {
  const target = url ?? "/";
  const mark = target.indexOf("?");
  return mark === -1
    ? { path: target, query: "" }
    : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/**
 * Header name/value pairs exactly as received: order, case and repeats
 * kept. HTTP/2 pseudo-headers (`:path`, …) are not headers of the webhook.
 */
export function headerPairs(rawHeaders: readonly string[]): { name: string; value: string }[] {
  const pairs: { name: string; value: string }[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    if (name.startsWith(":")) continue;
    pairs.push({ name, value: rawHeaders[index + 1]! });
  }
  return pairs;
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; other addresses unchanged. */
export function unwrapMappedIPv4(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match === null ? address : match[1]!;
}

/** The TCP peer's address, IPv4-mapped IPv6 unwrapped; empty when the socket is gone. */
export function remoteAddressOf(request: AnyRequest): string {
  return unwrapMappedIPv4(peerAddressOf(request));
}

/** Whether the request came over TLS (to the receiver itself, not to a proxy before it). */
export function isEncrypted(request: AnyRequest): boolean {
  return (request.socket as TLSSocket | undefined)?.encrypted === true;
}

/** Scheme and authority the request was addressed to, e.g. `https://relay.example.com`. */
export function originOf(request: AnyRequest): string {
  if ("authority" in request) return `${request.scheme}://${request.authority}`;
  const encrypted = (request.socket as TLSSocket | undefined)?.encrypted === true;
  return `${encrypted ? "https" : "http"}://${request.headers.host ?? ""}`;
}

/** The verifier view of a request whose body was read. */
export function toIngestRequest(
  request: AnyRequest,
  body: Buffer,
  receivedAt: number,
): IngestRequest {
  const { path, query } = splitTarget(request.url);
  return {
    method: (request.method ?? "").toUpperCase(),
    path,
    query,
    headers: request.headers,
    rawHeaders: request.rawHeaders,
    body,
    remoteAddress: remoteAddressOf(request),
    origin: originOf(request),
    receivedAt,
  };
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `X-Request-Id` when it is short and plain, else a new UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === "string" && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}
