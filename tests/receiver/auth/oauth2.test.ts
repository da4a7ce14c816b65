import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { buildVerifier } from "./build.js";
import { type FixtureServer, startFixtureServer } from "./http-fixture.js";
import { ingestRequest, NOW_MS, NOW_S, testOptions } from "./request-fixture.js";

const bearer = (token: string) => ingestRequest({ headers: { Authorization: `Bearer ${token}` } });

describe("oauth2 with RFC 7662 introspection", () => {
  const tokens: Record<string, Record<string, unknown>> = {
    "tok-good": {
      active: true,
      scope: "webhook:write webhook:read",
      exp: NOW_S + 3600,
      aud: "relay",
      iss: "https://as.example",
    },
    "tok-narrow": { active: true, scope: "webhook:read", exp: NOW_S + 3600 },
    "tok-revoked": { active: false },
    "tok-expired": { active: true, scope: "webhook:write", exp: NOW_S - 10 },
    "tok-other-aud": { active: true, scope: "webhook:write", aud: "elsewhere" },
  };
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer((request) => {
      if (
        request.headers.authorization !==
        `Basic ${Buffer.from("relay-client:s3cr%2Bt").toString("base64")}`
      ) {
        return { status: 401, body: { error: "invalid_client" } };
      }
      const token = new URLSearchParams(request.body).get("token") ?? "";
      return { body: tokens[token] ?? { active: false } };
    });
  });
  afterAll(() => server.close());

  const block = () => ({
    introspection_endpoint: `${server.url}/introspect`,
    client_id: "relay-client",
    client_secret: "s3cr+t",
    required_scope: ["webhook:write"],
  });

  it("accepts an active token with the required scope, authenticating with client credentials", async () => {
    expect(await buildVerifier("oauth2", block()).verify(bearer("tok-good"))).toEqual({ ok: true });
    const last = server.requests.at(-1);
    expect(last?.method).toBe("POST");
    expect(new URLSearchParams(last?.body).get("token_type_hint")).toBe("access_token");
  });

  it("caches the answer per token", async () => {
    const verifier = buildVerifier("oauth2", block());
    const before = server.requests.length;
    await verifier.verify(bearer("tok-good"));
    await verifier.verify(bearer("tok-good"));
    expect(server.requests.length - before).toBe(1);
  });

  it("introspects again once the cache TTL has passed", async () => {
    let clock = NOW_MS;
    const verifier = buildVerifier(
      "oauth2",
      { ...block(), cache_seconds: 10 },
      testOptions({ now: () => clock }),
    );
    const before = server.requests.length;
    await verifier.verify(bearer("tok-good"));
    clock += 11_000;
    await verifier.verify(bearer("tok-good"));
    expect(server.requests.length - before).toBe(2);
  });

  it("refuses an inactive token", async () => {
    expect(await buildVerifier("oauth2", block()).verify(bearer("tok-revoked"))).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it("refuses a token without the required scope with 403", async () => {
    const result = await buildVerifier("oauth2", block()).verify(bearer("tok-narrow"));
    expect(result).toMatchObject({
      ok: false,
      status: 403,
      reason: expect.stringContaining("webhook:write"),
    });
  });

  it("refuses an expired token even if the server calls it active", async () => {
    expect((await buildVerifier("oauth2", block()).verify(bearer("tok-expired"))).ok).toBe(false);
  });

  it("refuses a token for another audience", async () => {
    const verifier = buildVerifier("oauth2", { ...block(), audience: "relay" });
    expect((await verifier.verify(bearer("tok-other-aud"))).ok).toBe(false);
    expect(await verifier.verify(bearer("tok-good"))).toEqual({ ok: true });
  });

  it("answers 503 when the introspection endpoint rejects our client credentials", async () => {
    const verifier = buildVerifier("oauth2", { ...block(), client_secret: "wrong" });
    expect(await verifier.verify(bearer("tok-good"))).toMatchObject({ ok: false, status: 503 });
  });

  it("refuses a request without a Bearer token without calling out", async () => {
    const before = server.requests.length;
    expect((await buildVerifier("oauth2", block()).verify(ingestRequest())).ok).toBe(false);
    expect(server.requests.length).toBe(before);
  });
});

describe("oauth2 with local JWT validation", () => {
  const secret = "oauth2-local-secret-0123456789abcdef";
  const key = new TextEncoder().encode(secret);
  const token = (scope: string, exp = NOW_S + 60) =>
    new SignJWT({ scope, aud: "relay" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(exp)
      .sign(key);
  const verifier = buildVerifier("oauth2", {
    jwt_secret: secret,
    jwt_algorithms: ["HS256"],
    audience: "relay",
    required_scopes: ["hooks"],
  });

  it("accepts a signed token with the scope", async () => {
    expect(await verifier.verify(bearer(await token("read hooks")))).toEqual({ ok: true });
  });

  it("refuses a token lacking the scope, an expired one and a forged one", async () => {
    expect((await verifier.verify(bearer(await token("read")))).ok).toBe(false);
    expect((await verifier.verify(bearer(await token("hooks", NOW_S - 120)))).ok).toBe(false);
    const forged = await new SignJWT({ scope: "hooks", aud: "relay" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(NOW_S + 60)
      .sign(new TextEncoder().encode("another-secret-0123456789abcdef!!"));
    expect((await verifier.verify(bearer(forged))).ok).toBe(false);
  });

  it("rejects a block with both or neither validation modes", () => {
    expect(() => buildVerifier("oauth2", { required_scope: ["x"] })).toThrow(ConfigError);
    expect(() =>
      buildVerifier("oauth2", {
        introspection_endpoint: "https://as.example/i",
        client_id: "a",
        client_secret: "b",
        jwt_secret: secret,
      }),
    ).toThrow(ConfigError);
    expect(() =>
      buildVerifier("oauth2", { introspection_endpoint: "https://as.example/i" }),
    ).toThrow("relay.oauth2.client_id: required with introspection_endpoint");
  });
});
