/**
 * `NO_PROXY` rules: which receiver hosts the connector reaches directly
 * even when a proxy is configured. Entries are separated by commas or
 * spaces; each is `*` (everything), a host name (`relay.internal` also
 * matches `a.relay.internal`; a leading `.` or `*.` means the same), an IP
 * address, or a CIDR range (`10.0.0.0/8`, `fd00::/8`). Any entry may end
 * in `:port` to match that port only. Host names are compared as written,
 * never resolved, as curl does.
 */
import { BlockList, isIP } from "node:net";

/** A parsed NO_PROXY list. */
export interface NoProxyRules {
  /** True when `host` (a host name or IP, without brackets) on `port` bypasses the proxy. */
  matches(host: string, port: number): boolean;
}

interface Entry {
  readonly port: number | undefined;
  readonly test: (host: string) => boolean;
}

function splitPort(entry: string): { readonly host: string; readonly port: number | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) {
    return {
      host: bracketed[1]!,
      port: bracketed[2] === undefined ? undefined : Number(bracketed[2]),
    };
  }
  // An IPv6 address (with or without /prefix) has several colons and no port.
  if ((entry.match(/:/g) ?? []).length > 1) return { host: entry, port: undefined };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  if (withPort !== null) return { host: withPort[1]!, port: Number(withPort[2]) };
  return { host: entry, port: undefined };
}

function parseEntry(raw: string): Entry | undefined {
  const { host, port } = splitPort(raw.toLowerCase());
  if (host === "*") return { port, test: () => true };
  const cidr = /^(.+)\/(\d{1,3})$/.exec(host);
  if (cidr !== null) {
    const family = isIP(cidr[1]!);
    const prefix = Number(cidr[2]);
    if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
    const list = new BlockList();
    const type = family === 4 ? "ipv4" : "ipv6";
    list.addSubnet(cidr[1]!, prefix, type);
    return {
      port,
      test: (candidate) => {
        const candidateFamily = isIP(candidate);
        if (candidateFamily === 0) return false;
        return list.check(candidate, candidateFamily === 4 ? "ipv4" : "ipv6");
      },
    };
  }
  if (isIP(host) !== 0) return { port, test: (candidate) => candidate === host };
  const name = host.replace(/^\*?\.+/, "");
  if (name === "") return undefined;
  return {
    port,
    test: (candidate) => candidate === name || candidate.endsWith(`.${name}`),
  };
}

/** Parses a NO_PROXY value; unusable entries (`/99` on IPv4, an empty name) are ignored, as curl does. */
export function parseNoProxy(value: string): NoProxyRules {
  const entries = value
    .split(/[\s,]+/)
    .filter((part) => part !== "")
    .map(parseEntry)
    .filter((entry): entry is Entry => entry !== undefined);
  return {
    matches(host, port) {
      const candidate = host
        .toLowerCase()
        .replace(/^\[|\]$/g, "")
        .replace(/\.$/, "");
      return entries.some(
        (entry) => (entry.port === undefined || entry.port === port) && entry.test(candidate),
      );
    },
  };
}
