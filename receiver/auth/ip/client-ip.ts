/**
 * Resolves the client address of a request. X-Forwarded-For is only read
 * when the TCP peer is a trusted proxy; then the right-most address that is
 * not itself a trusted proxy is the client (entries to its left were
 * written by the client and prove nothing).
 */
import {
  type AddressBytes,
  type AddressRange,
  formatAddress,
  parseAddress,
  rangeContains,
} from "./address.js";

/** The outcome of resolving a client address. */
export type ClientAddress =
  | { readonly ok: true; readonly address: AddressBytes }
  | { readonly ok: false; readonly reason: string };

/** Strips a port (`1.2.3.4:80`, `[::1]:80`) or brackets from a forwarded entry. */
function forwardedEntryAddress(entry: string): AddressBytes | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] !== undefined) text = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  return parseAddress(text);
}

function isTrusted(address: AddressBytes, trusted: readonly AddressRange[]): boolean {
  return trusted.some((range) => rangeContains(range, address));
}

/** Resolves the client address from the peer address and X-Forwarded-For. */
export function resolveClientAddress(
  remoteAddress: string,
  forwardedFor: string | undefined,
  trustedProxies: readonly AddressRange[],
): ClientAddress {
  const peer = parseAddress(remoteAddress);
  if (peer === undefined) return { ok: false, reason: "peer address is not an IP address" };
  if (!isTrusted(peer, trustedProxies) || forwardedFor === undefined) {
    return { ok: true, address: peer };
  }
  const entries = forwardedFor.split(",").filter((entry) => entry.trim() !== "");
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = forwardedEntryAddress(entries[i] ?? "");
    if (address === undefined) {
      return { ok: false, reason: "X-Forwarded-For holds an invalid address" };
    }
    client = address;
    if (!isTrusted(address, trustedProxies)) break;
  }
  return { ok: true, address: client };
}

/**
 * The scheme the client used to reach the receiver: the right-most
 * X-Forwarded-Proto entry when the peer is one of `trusted` (that entry is
 * the one the proxy wrote; ones to its left may come from the client) and
 * it says `http` or `https`; otherwise that of the connection itself.
 */
export function clientScheme(
  remoteAddress: string,
  encrypted: boolean,
  forwardedProto: string | undefined,
  trusted: readonly AddressRange[],
): "http" | "https" {
  const own = encrypted ? "https" : "http";
  if (forwardedProto === undefined || trusted.length === 0) return own;
  const peer = parseAddress(remoteAddress);
  if (peer === undefined || !isTrusted(peer, trusted)) return own;
  const entry = forwardedProto
    .slice(forwardedProto.lastIndexOf(",") + 1)
    .trim()
    .toLowerCase();
  return entry === "https" || entry === "http" ? entry : own;
}

/**
 * The client address as text, for a receiver behind `trusted` reverse
 * proxies: the peer when it is not one of them, else the right-most
 * untrusted X-Forwarded-For entry; the peer when that header is invalid.
 */
export function clientAddressText(
  remoteAddress: string,
  forwardedFor: string | undefined,
  trusted: readonly AddressRange[],
): string {
  const client = resolveClientAddress(remoteAddress, forwardedFor, trusted);
  return client.ok ? formatAddress(client.address) : remoteAddress;
}
