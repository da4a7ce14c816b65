import { generateKeyPairSync } from "node:crypto";
import { exportJWK, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { buildVerifier } from "./build.js";
import { type FixtureServer, startFixtureServer } from "./http-fixture.js";
import { ingestRequest, NOW_S } from "./request-fixture.js";

const secret = "jwt-test-secret-with-enough-entropy-0123456789";
const hsKey = new TextEncoder().encode(secret);
const claims: JWTPayload = { iss: "https://issuer.example", aud: "webhook-connect", sub: "sender" };

async function hs(
  payload: JWTPayload = {},
  alg = "HS256",
  key: Uint8Array = hsKey,
  exp = NOW_S + 300,
) {
  return new SignJWT({ ...claims, ...payload })
    .setProtectedHeader({ alg })
    .setIssuedAt(NOW_S)
    .setExpirationTime(exp)
    .sign(key);
}

const bearer = (token: string) => ingestRequest({ headers: { Authorization: `Bearer ${token}` } });

describe("jwt with a shared secret", () => {
  const verifier = buildVerifier("jwt", {
    secret,
    algorithm: "HS256",
    issuer: "https://issuer.example",
    audience: "webhook-connect",
  });

  it("accepts a valid HS256 token", async () => {
    expect(await verifier.verify(bearer(await hs()))).toEqual({ ok: true });
  });

  it("refuses a token signed with another secret", async () => {
    const token = await hs({}, "HS256", new TextEncoder().encode(`${secret}x`));
    expect(await verifier.verify(bearer(token))).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses an expired token (beyond the clock skew)", async () => {
    const result = await verifier.verify(bearer(await hs({}, "HS256", hsKey, NOW_S - 31)));
    expect(result).toMatchObject({ ok: false, reason: "jwt: token expired" });
  });

  it("accepts a token expired within the 30 s clock skew", async () => {
    expect(await verifier.verify(bearer(await hs({}, "HS256", hsKey, NOW_S - 10)))).toEqual({
      ok: true,
    });
  });

  it("refuses a token not valid yet (nbf)", async () => {
    const result = await verifier.verify(bearer(await hs({ nbf: NOW_S + 120 })));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("nbf") });
  });

  it("refuses a wrong audience", async () => {
    const result = await verifier.verify(bearer(await hs({ aud: "someone-else" })));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("aud") });
  });

  it("refuses a wrong issuer", async () => {
    const result = await verifier.verify(bearer(await hs({ iss: "https://evil.example" })));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("iss") });
  });

  it("refuses an algorithm that is not allowed (HS512 when HS256 is configured)", async () => {
    const result = await verifier.verify(bearer(await hs({}, "HS512")));
    expect(result).toMatchObject({ ok: false, reason: "jwt: algorithm not allowed" });
  });

  it("refuses alg: none", async () => {
    const token = new UnsecuredJWT({ ...claims, exp: NOW_S + 300 }).encode();
    expect((await verifier.verify(bearer(token))).ok).toBe(false);
  });

  it("refuses a token without exp unless verify_exp is false", async () => {
    const noExp = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256" }).sign(hsKey);
    expect(await verifier.verify(bearer(noExp))).toMatchObject({ ok: false });
    const lenient = buildVerifier("jwt", { secret, verify_exp: false });
    expect(await lenient.verify(bearer(noExp))).toEqual({ ok: true });
  });

  it("refuses a missing or non-Bearer Authorization header", async () => {
    expect((await verifier.verify(ingestRequest())).ok).toBe(false);
    const token = await hs();
    expect(
      (await verifier.verify(ingestRequest({ headers: { Authorization: `Basic ${token}` } }))).ok,
    ).toBe(false);
  });

  it("reads a token from a custom header", async () => {
    const custom = buildVerifier("jwt", { secret, header: "X-Token" });
    expect(await custom.verify(ingestRequest({ headers: { "X-Token": await hs() } }))).toEqual({
      ok: true,
    });
  });
});

describe("jwt with PEM public keys", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsaPem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
  const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }).toString();
  const sign = (alg: string, key: Parameters<SignJWT["sign"]>[0]) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg })
      .setExpirationTime(NOW_S + 60)
      .sign(key);

  it("accepts RS256 and PS256 tokens with an RSA key", async () => {
    const verifier = buildVerifier("jwt", { public_key: rsaPem });
    expect(await verifier.verify(bearer(await sign("RS256", rsa.privateKey)))).toEqual({
      ok: true,
    });
    expect(await verifier.verify(bearer(await sign("PS256", rsa.privateKey)))).toEqual({
      ok: true,
    });
  });

  it("accepts ES256 with an EC key and refuses a token from another EC key", async () => {
    const verifier = buildVerifier("jwt", { public_key: ecPem, algorithms: ["ES256"] });
    expect(await verifier.verify(bearer(await sign("ES256", ec.privateKey)))).toEqual({ ok: true });
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect((await verifier.verify(bearer(await sign("ES256", other.privateKey)))).ok).toBe(false);
  });

  it("refuses the HS256-with-public-key confusion attack", async () => {
    const verifier = buildVerifier("jwt", { public_key: rsaPem });
    const forged = await sign("HS256", new TextEncoder().encode(rsaPem));
    expect(await verifier.verify(bearer(forged))).toMatchObject({
      ok: false,
      reason: "jwt: algorithm not allowed",
    });
  });

  it("accepts a PEM given as secret (gateway format) and refuses PS256 when only RS256 is allowed", async () => {
    const verifier = buildVerifier("jwt", { secret: rsaPem, algorithm: "RS256" });
    expect(await verifier.verify(bearer(await sign("RS256", rsa.privateKey)))).toEqual({
      ok: true,
    });
    expect((await verifier.verify(bearer(await sign("PS256", rsa.privateKey)))).ok).toBe(false);
  });
});

describe("jwt with a JWKS URL", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  let server: FixtureServer;
  beforeAll(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    server = await startFixtureServer(() => ({ body: { keys: [jwk] } }));
  });
  afterAll(() => server.close());
  const sign = (kid: string, key = rsa.privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid })
      .setExpirationTime(NOW_S + 60)
      .sign(key);

  it("accepts a token signed by a JWKS key and fetches the set once (cached)", async () => {
    const verifier = buildVerifier("jwt", {
      jwks_url: `${server.url}/jwks.json`,
      audience: "webhook-connect",
    });
    const before = server.requests.length;
    expect(await verifier.verify(bearer(await sign("k1")))).toEqual({ ok: true });
    expect(await verifier.verify(bearer(await sign("k1")))).toEqual({ ok: true });
    expect(server.requests.length - before).toBe(1);
  });

  it("refuses a token signed by a key not in the set", async () => {
    const verifier = buildVerifier("jwt", { jwks_url: `${server.url}/jwks.json` });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect((await verifier.verify(bearer(await sign("k1", other.privateKey)))).ok).toBe(false);
  });
});

describe("jwt config errors", () => {
  it("refuses alg none in the allowed list", () => {
    expect(() => buildVerifier("jwt", { secret, algorithms: ["HS256", "none"] })).toThrow(
      "relay.jwt.algorithms: alg none is never accepted",
    );
  });

  it("refuses an asymmetric algorithm with a secret and HS with a public key", () => {
    expect(() => buildVerifier("jwt", { secret, algorithm: "RS256" })).toThrow(ConfigError);
    const pem = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    expect(() => buildVerifier("jwt", { public_key: pem, algorithms: ["HS256"] })).toThrow(
      ConfigError,
    );
  });

  it("requires exactly one key source and a parseable PEM", () => {
    expect(() => buildVerifier("jwt", { issuer: "x" })).toThrow(
      "exactly one of secret, public_key, jwks_url",
    );
    expect(() =>
      buildVerifier("jwt", {
        public_key: "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----",
      }),
    ).toThrow("relay.jwt.public_key: expected a PEM public key or certificate");
  });
});
