import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { buildVerifier } from "./build.js";
import { ingestRequest, testOptions } from "./request-fixture.js";

const from = (remoteAddress: string, forwardedFor?: string) =>
  ingestRequest({
    remoteAddress,
    headers: forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor },
  });

describe("ip_whitelist", () => {
  const verifier = buildVerifier("ip_whitelist", [
    "198.51.100.7",
    "203.0.113.0/24",
    "2001:db8::/32",
  ]);

  it("accepts an exact IPv4 address and returns it as sourceIp", async () => {
    expect(await verifier.verify(from("198.51.100.7"))).toEqual({
      ok: true,
      sourceIp: "198.51.100.7",
    });
  });

  it("accepts an address inside an IPv4 CIDR range", async () => {
    expect((await verifier.verify(from("203.0.113.254"))).ok).toBe(true);
  });

  it("refuses an address outside the CIDR range with 403", async () => {
    expect(await verifier.verify(from("203.0.114.1"))).toMatchObject({ ok: false, status: 403 });
    expect((await verifier.verify(from("198.51.100.8"))).ok).toBe(false);
  });

  it("accepts an IPv6 address inside an IPv6 range and refuses one outside", async () => {
    expect(await verifier.verify(from("2001:db8:1::5"))).toEqual({
      ok: true,
      sourceIp: "2001:db8:1::5",
    });
    expect((await verifier.verify(from("2001:db9::1"))).ok).toBe(false);
  });

  it("treats an IPv4-mapped IPv6 peer as its IPv4 address", async () => {
    expect(await verifier.verify(from("::ffff:203.0.113.9"))).toEqual({
      ok: true,
      sourceIp: "203.0.113.9",
    });
    expect((await verifier.verify(from("::ffff:192.0.2.1"))).ok).toBe(false);
  });

  it("ignores X-Forwarded-For from an untrusted peer (spoofing)", async () => {
    expect((await verifier.verify(from("192.0.2.50", "198.51.100.7"))).ok).toBe(false);
  });
});

describe("ip_whitelist behind trusted proxies", () => {
  const verifier = buildVerifier("ip_whitelist", {
    allow: ["198.51.100.0/24"],
    trusted_proxies: ["10.0.0.0/8", "fd00::1"],
  });

  it("uses the right-most untrusted X-Forwarded-For address", async () => {
    const result = await verifier.verify(from("10.1.2.3", "198.51.100.20, 10.0.0.5"));
    expect(result).toEqual({ ok: true, sourceIp: "198.51.100.20" });
  });

  it("does not let the client prepend an allowed address", async () => {
    const result = await verifier.verify(from("10.1.2.3", "198.51.100.20, 192.0.2.66"));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("192.0.2.66") });
  });

  it("accepts entries with ports and an IPv6 trusted peer", async () => {
    expect(await verifier.verify(from("fd00::1", "198.51.100.3:4711"))).toEqual({
      ok: true,
      sourceIp: "198.51.100.3",
    });
  });

  it("refuses a malformed right-most entry", async () => {
    expect((await verifier.verify(from("10.1.2.3", "198.51.100.20, not-an-ip"))).ok).toBe(false);
  });

  it("uses the peer when a trusted proxy sends no X-Forwarded-For", async () => {
    expect((await verifier.verify(from("10.1.2.3"))).ok).toBe(false);
  });

  it("reads the gateway-format sibling trusted_proxies key", async () => {
    const sibling = buildVerifier("ip_whitelist", ["198.51.100.0/24"], testOptions(), {
      trusted_proxies: ["10.0.0.1"],
    });
    expect((await sibling.verify(from("10.0.0.1", "198.51.100.1"))).ok).toBe(true);
    expect((await sibling.verify(from("10.0.0.2", "198.51.100.1"))).ok).toBe(false);
  });
});

describe("ip_whitelist config errors", () => {
  it("names the invalid CIDR entry", () => {
    expect(() => buildVerifier("ip_whitelist", ["10.0.0.0/8", "10.0.0.0/33"])).toThrow(
      'webhooks.json: relay.ip_whitelist[1]: "10.0.0.0/33" is not an IP address or CIDR range',
    );
  });

  it("rejects invalid addresses and prefixes in every list", () => {
    for (const bad of ["300.1.1.1", "10.0.0.0/", "2001:db8::/129", "example.com", "10.0.0.0/8x"]) {
      expect(() => buildVerifier("ip_whitelist", [bad])).toThrow(ConfigError);
    }
    expect(() =>
      buildVerifier("ip_whitelist", { allow: ["10.0.0.1"], trusted_proxies: ["10.0.0.0/99"] }),
    ).toThrow("relay.ip_whitelist.trusted_proxies[0]");
    expect(() =>
      buildVerifier("ip_whitelist", ["10.0.0.1"], testOptions(), { trusted_proxies: ["nope"] }),
    ).toThrow("relay.trusted_proxies[0]");
  });

  it("rejects an empty list", () => {
    expect(() => buildVerifier("ip_whitelist", [])).toThrow(ConfigError);
  });
});
