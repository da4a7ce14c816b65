/**
 * The address failed authentications are counted against: the client
 * behind trusted proxies (their `X-Forwarded-For`), an IPv6 client by its
 * /64 network (one host usually holds a whole /64, so counting single
 * addresses would let it rotate through 2^64 of them).
 */
import { type AddressRange, formatAddress, parseAddress, parseRange } from "../ip/address.js";
import { resolveClientAddress } from "../ip/client-ip.js";

/** Who sent a request, as the transport saw it. */
export interface RequestOrigin {
  /** Address of the TCP peer. */
  readonly peer: string;
  /** The `X-Forwarded-For` header, if any (believed only from trusted proxies). */
  readonly forwardedFor: string | undefined;
}

/** Parses trusted proxy entries (addresses or CIDR ranges); returns the invalid entry, if any. */
export function parseTrustedProxies(
  entries: readonly string[],
): { ranges: AddressRange[] } | { invalid: string } {
  const ranges: AddressRange[] = [];
  for (const entry of entries) {
    const range = parseRange(entry.trim());
    if (range === undefined) return { invalid: entry };
    ranges.push(range);
  }
  return { ranges };
}

function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trusted: readonly AddressRange[],
) {
  if (trusted.length === 0) return parseAddress(peer);
  const client = resolveClientAddress(peer, forwardedFor, trusted);
  return client.ok ? client.address : parseAddress(peer);
}

/** The counting key of a request's client: `a.b.c.d`, or an IPv6 `/64` network. */
export function clientKey(
  peer: string,
  forwardedFor: string | undefined,
  trusted: readonly AddressRange[],
): string {
  const resolved = clientAddress(peer, forwardedFor, trusted);
  if (resolved === undefined) return peer;
  if (resolved.length === 4) return formatAddress(resolved);
  const network = new Uint8Array(16);
  network.set(resolved.subarray(0, 8));
  return `${formatAddress(network)}/64`;
}
