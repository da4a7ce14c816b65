/**
 * The `ip_whitelist` block: the client address (see client-ip.ts) must be
 * one of the listed addresses or inside one of the listed CIDR ranges.
 * Config forms: `["1.2.3.4", "10.0.0.0/8"]` with an optional sibling
 * `trusted_proxies` list, or `{ "allow": [...], "trusted_proxies": [...] }`.
 * An entry that is not a valid address or range is a config error.
 */
import { z } from "zod";
import { type BlockLocation, configError, parseBlock, text } from "../block-config.js";
import { headerValue } from "../request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { type AddressRange, formatAddress, parseRange, rangeContains } from "./address.js";
import { resolveClientAddress } from "./client-ip.js";

const list = z.array(text(), { error: "expected a list of IP addresses or CIDR ranges" });
const schema = z.union(
  [
    list.min(1, { error: "expected at least one address" }),
    z.strictObject({ allow: list.min(1), trusted_proxies: list.optional() }),
  ],
  { error: "expected a list of addresses or { allow, trusted_proxies }" },
);

function ranges(values: readonly string[], at: BlockLocation, key: string): AddressRange[] {
  return values.map((value, index) => {
    const range = parseRange(value.trim());
    if (range === undefined) {
      throw configError(at, `${key}[${index}]`, `"${value}" is not an IP address or CIDR range`);
    }
    return range;
  });
}

/**
 * Builds the `ip_whitelist` verifier. `siblingTrustedProxies` is the
 * entry-level `trusted_proxies` key of the gateway format.
 */
export function createIpWhitelistVerifier(
  block: unknown,
  at: BlockLocation,
  siblingTrustedProxies: unknown,
): Verifier {
  const config = parseBlock(schema, block, at);
  const allowText = Array.isArray(config) ? config : config.allow;
  const allow = ranges(allowText, at, Array.isArray(config) ? "" : "allow");
  let trusted: AddressRange[] = [];
  if (!Array.isArray(config) && config.trusted_proxies !== undefined) {
    trusted = ranges(config.trusted_proxies, at, "trusted_proxies");
  } else if (siblingTrustedProxies !== undefined) {
    const siblingAt: BlockLocation = {
      options: at.options,
      keyPath: at.keyPath.replace(/\.ip_whitelist$/, ".trusted_proxies"),
    };
    trusted = ranges(parseBlock(list, siblingTrustedProxies, siblingAt), siblingAt, "");
  }
  const verify = (request: IngestRequest): VerifyResult => {
    const client = resolveClientAddress(
      request.remoteAddress,
      headerValue(request, "x-forwarded-for"),
      trusted,
    );
    if (!client.ok) return { ok: false, reason: `ip_whitelist: ${client.reason}`, status: 403 };
    const sourceIp = formatAddress(client.address);
    if (!allow.some((range) => rangeContains(range, client.address))) {
      return { ok: false, reason: `ip_whitelist: ${sourceIp} is not allowed`, status: 403 };
    }
    return { ok: true, sourceIp };
  };
  return { method: "ip_whitelist", afterAuth: false, verify };
}
