import { describe, expect, it } from "vitest";
import { parseRange } from "../../../receiver/auth/ip/address.js";
import { clientScheme } from "../../../receiver/auth/ip/client-ip.js";

const proxies = [parseRange("10.0.0.0/8")!];

describe("clientScheme", () => {
  it("is the connection's own scheme without trusted proxies", () => {
    expect(clientScheme("10.0.0.1", true, undefined, [])).toBe("https");
    expect(clientScheme("10.0.0.1", false, undefined, [])).toBe("http");
    expect(clientScheme("10.0.0.1", false, "https", [])).toBe("http");
  });

  it("ignores X-Forwarded-Proto from a peer that is not a trusted proxy", () => {
    expect(clientScheme("203.0.113.9", false, "https", proxies)).toBe("http");
  });

  it("takes a trusted proxy's X-Forwarded-Proto, its right-most entry", () => {
    expect(clientScheme("10.0.0.1", false, "https", proxies)).toBe("https");
    expect(clientScheme("10.0.0.1", true, "HTTP", proxies)).toBe("http");
    expect(clientScheme("10.0.0.1", false, "http, https", proxies)).toBe("https");
  });

  it("keeps the connection's scheme when a trusted proxy's value is neither http nor https", () => {
    expect(clientScheme("10.0.0.1", true, "gopher", proxies)).toBe("https");
    expect(clientScheme("10.0.0.1", false, "", proxies)).toBe("http");
  });
});
