import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { parseAuthParams } from "../../../receiver/auth/auth-params.js";
import { digestResponse } from "../../../receiver/auth/digest/digest-auth.js";
import type { Verifier } from "../../../receiver/auth/verifier.js";
import { buildVerifier } from "./build.js";
import { ingestRequest, NOW_MS, testOptions } from "./request-fixture.js";

describe("digestResponse against RFC 7616 §3.9.1", () => {
  const example = {
    username: "Mufasa",
    realm: "http-auth@example.org",
    password: "Circle of Life",
    method: "GET",
    uri: "/dir/index.html",
    nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    nc: "00000001",
    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  };

  it("reproduces the MD5 example", () => {
    expect(digestResponse({ ...example, algorithm: "MD5" })).toBe(
      "8ca523f5e9506fed4657c9700eebdbec",
    );
  });

  it("reproduces the SHA-256 example", () => {
    expect(digestResponse({ ...example, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });
});

describe("digest_auth", () => {
  const block = { username: "Mufasa", password: "Circle of Life", realm: "webhooks" };
  let clock = NOW_MS;
  let verifier: Verifier;
  const open: Verifier[] = [];
  const build = (extra: Record<string, unknown> = {}) => {
    clock = NOW_MS;
    const built = buildVerifier(
      "digest_auth",
      { ...block, ...extra },
      testOptions({ now: () => clock }),
    );
    open.push(built);
    return built;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((v) => v.close?.()));
  });

  async function challenge(v: Verifier): Promise<Map<string, string>> {
    const result = await v.verify(ingestRequest({ path: "/webhook/relay" }));
    if (result.ok) throw new Error("expected a challenge");
    const header = result.headers?.["WWW-Authenticate"] ?? "";
    expect(header.startsWith("Digest ")).toBe(true);
    const params = parseAuthParams(header.slice("Digest ".length));
    if (params === undefined) throw new Error("unparseable challenge");
    return params;
  }

  function answer(
    nonce: string,
    overrides: {
      nc?: string;
      password?: string;
      uri?: string;
      algorithm?: "MD5" | "SHA-256";
      method?: string;
    } = {},
  ) {
    const uri = overrides.uri ?? "/webhook/relay?x=1";
    const nc = overrides.nc ?? "00000001";
    const algorithm = overrides.algorithm ?? "MD5";
    const response = digestResponse({
      algorithm,
      username: block.username,
      realm: block.realm,
      password: overrides.password ?? block.password,
      method: overrides.method ?? "POST",
      uri,
      nonce,
      nc,
      cnonce: "0a4f113b",
    });
    const header = `Digest username="Mufasa", realm="webhooks", nonce="${nonce}", uri="${uri}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="0a4f113b", response="${response}"`;
    return ingestRequest({
      path: "/webhook/relay",
      query: "x=1",
      headers: { Authorization: header },
    });
  }

  it("challenges a request without credentials with realm, qop, algorithm and nonce", async () => {
    verifier = build();
    const params = await challenge(verifier);
    expect(params.get("realm")).toBe("webhooks");
    expect(params.get("qop")).toBe("auth");
    expect(params.get("algorithm")).toBe("MD5");
    expect(params.get("nonce")).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it("accepts a correct answer to an issued nonce", async () => {
    verifier = build();
    const nonce = (await challenge(verifier)).get("nonce") ?? "";
    expect(await verifier.verify(answer(nonce))).toEqual({ ok: true });
  });

  it("refuses a replay of the same nonce count, accepts the next count", async () => {
    verifier = build();
    const nonce = (await challenge(verifier)).get("nonce") ?? "";
    expect(await verifier.verify(answer(nonce))).toEqual({ ok: true });
    expect(await verifier.verify(answer(nonce))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("replay"),
    });
    expect(await verifier.verify(answer(nonce, { nc: "00000002" }))).toEqual({ ok: true });
  });

  it("refuses a wrong password with a new challenge", async () => {
    verifier = build();
    const nonce = (await challenge(verifier)).get("nonce") ?? "";
    const result = await verifier.verify(answer(nonce, { password: "Circle of Lies" }));
    expect(result).toMatchObject({
      ok: false,
      status: 401,
      headers: { "WWW-Authenticate": expect.stringContaining("nonce=") },
    });
  });

  it("refuses a nonce the receiver never issued", async () => {
    verifier = build();
    const forged = Buffer.alloc(40, 7).toString("base64url");
    expect(await verifier.verify(answer(forged))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not issued"),
    });
  });

  it("refuses an expired nonce and marks the challenge stale", async () => {
    verifier = build({ nonce_ttl_seconds: 60 });
    const nonce = (await challenge(verifier)).get("nonce") ?? "";
    clock += 61_000;
    const result = await verifier.verify(answer(nonce));
    expect(result).toMatchObject({
      ok: false,
      headers: { "WWW-Authenticate": expect.stringContaining("stale=true") },
    });
  });

  it("refuses an answer for another uri or method", async () => {
    verifier = build();
    const nonce = (await challenge(verifier)).get("nonce") ?? "";
    expect((await verifier.verify(answer(nonce, { uri: "/webhook/other" }))).ok).toBe(false);
    expect((await verifier.verify(answer(nonce, { method: "GET", nc: "00000003" }))).ok).toBe(
      false,
    );
  });

  it("works with SHA-256 and refuses an MD5 answer to a SHA-256 challenge", async () => {
    verifier = build({ algorithm: "SHA-256" });
    const params = await challenge(verifier);
    expect(params.get("algorithm")).toBe("SHA-256");
    const nonce = params.get("nonce") ?? "";
    expect(await verifier.verify(answer(nonce, { algorithm: "SHA-256" }))).toEqual({ ok: true });
    expect((await verifier.verify(answer(nonce, { algorithm: "MD5", nc: "00000002" }))).ok).toBe(
      false,
    );
  });

  it("rejects an unsupported qop or algorithm as a config error", () => {
    expect(() => build({ qop: "auth-int" })).toThrow("relay.digest_auth.qop: expected one of auth");
    expect(() => build({ algorithm: "SHA-512" })).toThrow(ConfigError);
  });
});
