import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { type NoProxyRules, parseNoProxy } from "../../../connector/transport/no-proxy.js";
import { parseProxyUrl, resolveForwardProxy } from "../../../connector/transport/proxy.js";

/** Checks `rules.matches(host, port)` for each `[host, port, matches]` row; `context` names the rule list. */
function expectMatches(
  rules: NoProxyRules,
  rows: readonly (readonly [host: string, port: number, matches: boolean])[],
  context = "",
): void {
  for (const [host, port, matches] of rows) {
    expect(rules.matches(host, port), `${context} ${host}:${port}`).toBe(matches);
  }
}

describe("NO_PROXY rules", () => {
  it("matches a host name and its subdomains, with or without a leading dot", () => {
    for (const list of ["relay.internal", ".relay.internal", "*.relay.internal"]) {
      expectMatches(
        parseNoProxy(list),
        [
          ["relay.internal", 443, true],
          ["eu.relay.internal", 443, true],
          ["notrelay.internal", 443, false],
        ],
        list,
      );
    }
  });

  it("matches IPv4 and IPv6 CIDR ranges and exact addresses", () => {
    expectMatches(parseNoProxy("10.0.0.0/8, fd00::/8 192.168.1.7,[::1]"), [
      ["10.20.30.40", 443, true],
      ["11.0.0.1", 443, false],
      ["fd12::1", 443, true],
      ["[fd12::1]", 443, true],
      ["fe80::1", 443, false],
      ["192.168.1.7", 80, true],
      ["192.168.1.8", 80, false],
      ["::1", 80, true],
    ]);
  });

  it("restricts an entry with :port to that port", () => {
    expectMatches(parseNoProxy("relay.example.com:8443,[::1]:9000"), [
      ["relay.example.com", 8443, true],
      ["relay.example.com", 443, false],
      ["::1", 9000, true],
      ["::1", 9001, false],
    ]);
  });

  it("matches everything with *, and ignores unusable entries", () => {
    expect(parseNoProxy("*").matches("anything.example", 1)).toBe(true);
    const rules = parseNoProxy("10.0.0.0/99, ., ,");
    expect(rules.matches("10.0.0.1", 443)).toBe(false);
    expect(rules.matches("example.com", 443)).toBe(false);
  });

  it("compares host names case-insensitively and ignores a trailing dot", () => {
    expect(parseNoProxy("Relay.Example.COM").matches("relay.example.com.", 443)).toBe(true);
  });
});

describe("proxy URL", () => {
  it("builds Basic credentials and a label without them", () => {
    const proxy = parseProxyUrl("http://us%40er:p%3Ass@proxy.corp:3128");
    if ("problem" in proxy) throw new Error(proxy.problem);
    expect(proxy.label).toBe("http://proxy.corp:3128");
    expect(proxy.authorization).toBe(`Basic ${Buffer.from("us@er:p:ss").toString("base64")}`);
  });

  it("takes a value without a scheme as http:// and defaults the port to 80", () => {
    const proxy = parseProxyUrl("proxy.corp");
    expect(proxy).toMatchObject({ host: "proxy.corp", port: 80, authorization: undefined });
    expect(parseProxyUrl("[::1]:3128")).toMatchObject({ host: "::1", label: "http://[::1]:3128" });
  });

  it("refuses other schemes and paths without echoing the value", () => {
    const https = parseProxyUrl("https://user:hunter2@proxy.corp:3128");
    expect(https).toEqual({
      problem: "unsupported proxy scheme 'https' (expected http://host:port)",
    });
    expect(parseProxyUrl("http://proxy.corp:3128/path")).toHaveProperty("problem");
  });
});

describe("choosing the proxy", () => {
  const env = {
    HTTPS_PROXY: "http://upper-https:1",
    https_proxy: "http://lower-https:2",
    HTTP_PROXY: "http://upper-http:3",
  };

  it("uses the lower-case variable of the cloud URL's scheme first", () => {
    expect(resolveForwardProxy("https://relay.example.com", { env })?.label).toBe(
      "http://lower-https:2",
    );
    expect(resolveForwardProxy("wss://relay.example.com", { env })?.label).toBe(
      "http://lower-https:2",
    );
    expect(
      resolveForwardProxy("https://relay.example.com", { env: { HTTPS_PROXY: "upper:4" } })?.label,
    ).toBe("http://upper:4");
    expect(resolveForwardProxy("ws://relay.example.com", { env })?.label).toBe(
      "http://upper-http:3",
    );
    expect(resolveForwardProxy("https://relay.example.com", { env: { HTTP_PROXY: "x:1" } })).toBe(
      undefined,
    );
  });

  it("lets proxy_url override the environment", () => {
    expect(
      resolveForwardProxy("https://relay.example.com", { proxyUrl: "http://explicit:9", env })
        ?.label,
    ).toBe("http://explicit:9");
  });

  it("goes direct when NO_PROXY (or no_proxy from the config) matches the receiver", () => {
    const url = "https://relay.example.com";
    expect(resolveForwardProxy(url, { env: { ...env, NO_PROXY: "example.com" } })).toBe(undefined);
    expect(resolveForwardProxy(url, { env: { ...env, no_proxy: "other.com" } })?.label).toBe(
      "http://lower-https:2",
    );
    expect(
      resolveForwardProxy(url, { proxyUrl: "explicit:9", noProxy: "*", env: { NO_PROXY: "" } }),
    ).toBe(undefined);
    // The config's no_proxy replaces the variable.
    expect(
      resolveForwardProxy(url, { noProxy: "other.com", env: { ...env, NO_PROXY: "*" } })?.label,
    ).toBe("http://lower-https:2");
  });

  it("names the variable of an unusable value", () => {
    expect(() =>
      resolveForwardProxy("https://relay.example.com", { env: { HTTPS_PROXY: "socks5://p:1" } }),
    ).toThrow(
      new ConfigError(
        "env HTTPS_PROXY",
        "",
        "unsupported proxy scheme 'socks5' (expected http://host:port)",
      ),
    );
  });
});
