/**
 * IP addresses and CIDR ranges as bytes. IPv4-mapped IPv6 addresses
 * (`::ffff:192.0.2.1`) are treated as the IPv4 address they carry, so one
 * allow-list entry covers both notations.
 */
import { isIPv4, isIPv6 } from "node:net";

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type AddressBytes = Uint8Array;

/** A CIDR range: network bytes and prefix length. */
export interface AddressRange {
  readonly network: AddressBytes;
  readonly prefix: number;
}

function ipv4Bytes(text: string): AddressBytes {
  return Uint8Array.from(text.split(".").map(Number));
}

function ipv6Bytes(text: string): AddressBytes {
  let normalized = text;
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    // Rewrite an embedded dotted quad (`::ffff:1.2.3.4`) as two hex groups.
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(last);
    normalized = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const [head = "", rest] = normalized.split("::");
  const headGroups = parse(head);
  const restGroups = rest === undefined ? [] : parse(rest);
  const zeros = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<number>(Math.max(zeros, 0)).fill(0), ...restGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function unmapIpv4(bytes: AddressBytes): AddressBytes {
  if (bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.slice(12);
}

/** Parses an IPv4 or IPv6 address (no zone, no port); undefined if invalid. */
export function parseAddress(text: string): AddressBytes | undefined {
  if (isIPv4(text)) return ipv4Bytes(text);
  if (isIPv6(text) && !text.includes("%")) return unmapIpv4(ipv6Bytes(text));
  return undefined;
}

/** Parses `addr` or `addr/prefix`; undefined if invalid (bad address or prefix). */
export function parseRange(text: string): AddressRange | undefined {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const isMapped = isIPv6(addressText) && parseAddress(addressText)?.length === 4;
  const network = parseAddress(addressText);
  if (network === undefined) return undefined;
  const width = network.length * 8;
  if (prefixText === undefined) return { network, prefix: width };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  if (isMapped) {
    // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8.
    if (prefix < 96 || prefix > 128) return undefined;
    prefix -= 96;
  }
  if (prefix > width) return undefined;
  return { network, prefix };
}

/** True when `address` lies inside `range` (different families never match). */
export function rangeContains(range: AddressRange, address: AddressBytes): boolean {
  if (range.network.length !== address.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((range.network[i] ?? 0) & mask) !== ((address[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Formats address bytes canonically (IPv4 dotted, IPv6 compressed). */
export function formatAddress(bytes: AddressBytes): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  const head = groups.slice(0, bestStart).join(":");
  const tail = groups.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}
