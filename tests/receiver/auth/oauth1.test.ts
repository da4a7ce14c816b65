import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  baseStringUri,
  formPairs,
  oauthEncode,
  signatureBaseString,
} from "../../../receiver/auth/oauth1/base-string.js";
import type { Verifier } from "../../../receiver/auth/verifier.js";
import { buildVerifier } from "./build.js";
import { ingestRequest, testOptions } from "./request-fixture.js";

describe("OAuth 1.0 base string", () => {
  it("reproduces the RFC 5849 §3.4.1.1 example", () => {
    const pairs = [
      ...formPairs("b5=%3D%253D&a3=a&c%40=&a2=r%20b"),
      ...formPairs("c2&a3=2+q"),
      ["oauth_consumer_key", "9djdj82h48djs9d2"],
      ["oauth_token", "kkk9d7dh3k39sjv7"],
      ["oauth_signature_method", "HMAC-SHA1"],
      ["oauth_timestamp", "137131201"],
      ["oauth_nonce", "7d8f3e4a"],
    ] as Array<[string, string]>;
    expect(signatureBaseString("POST", "http://example.com/request", pairs)).toBe(
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
    );
  });

  it("normalizes the base string URI (§3.4.1.2)", () => {
    expect(baseStringUri("HTTP://EXAMPLE.COM:80", "/r%20v/X")).toBe("http://example.com/r%20v/X");
    expect(baseStringUri("https://www.example.net:8080", "/")).toBe(
      "https://www.example.net:8080/",
    );
  });
});

// The worked example of X's (Twitter's) "Creating a signature" documentation.
const consumerKey = "xvz1evFS4wEEPTGEFPHBog";
const consumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
const token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
const tokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
const timestamp = 1318622958;
const nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
const body = "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21";

function header(params: Record<string, string>): string {
  return `OAuth ${Object.entries(params)
    .map(([name, value]) => `${name}="${oauthEncode(value)}"`)
    .join(", ")}`;
}

function request(oauth: Record<string, string>, init: { body?: string; query?: string } = {}) {
  return ingestRequest({
    origin: "https://api.twitter.com",
    path: "/1.1/statuses/update.json",
    query: init.query ?? "include_entities=true",
    body: init.body ?? body,
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: header(oauth) },
  });
}

const protocol = (overrides: Record<string, string> = {}) => ({
  oauth_consumer_key: consumerKey,
  oauth_nonce: nonce,
  oauth_signature_method: "HMAC-SHA1",
  oauth_timestamp: String(timestamp),
  oauth_token: token,
  oauth_version: "1.0",
  ...overrides,
});

/** Signs like a sender would, with the module's base string (pinned by the vectors above). */
function sign(
  params: Record<string, string>,
  algorithm = "sha1",
  secret = consumerSecret,
  query = "include_entities=true",
  payload = body,
) {
  const pairs = [...formPairs(query), ...formPairs(payload), ...Object.entries(params)];
  const base = signatureBaseString(
    "POST",
    "https://api.twitter.com/1.1/statuses/update.json",
    pairs,
  );
  return createHmac(algorithm, `${oauthEncode(secret)}&${oauthEncode(tokenSecret)}`)
    .update(base)
    .digest("base64");
}

describe("oauth1", () => {
  let clock = timestamp * 1000;
  const open: Verifier[] = [];
  const build = (extra: Record<string, unknown> = {}) => {
    const verifier = buildVerifier(
      "oauth1",
      {
        consumer_key: consumerKey,
        consumer_secret: consumerSecret,
        token_secret: tokenSecret,
        ...extra,
      },
      testOptions({ now: () => clock }),
    );
    open.push(verifier);
    return verifier;
  };
  afterEach(async () => {
    clock = timestamp * 1000;
    await Promise.all(open.splice(0).map((v) => v.close?.()));
  });

  it("accepts the documented request with signature hCtSmYh+iHYCEqBWrE7C7hYmtUk=", async () => {
    const verifier = build();
    const result = await verifier.verify(
      request({ ...protocol(), oauth_signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=" }),
    );
    expect(result).toEqual({ ok: true });
  });

  it("refuses the same nonce a second time (replay)", async () => {
    const verifier = build();
    const signed = request({ ...protocol(), oauth_signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=" });
    expect((await verifier.verify(signed)).ok).toBe(true);
    expect(await verifier.verify(signed)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("replay"),
    });
  });

  it.each([
    ["body parameter", { body: "status=Hello" }],
    ["query", { query: "include_entities=false" }],
  ])("refuses an altered %s", async (_part, alteration) => {
    const verifier = build();
    const altered = request(
      { ...protocol(), oauth_signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=" },
      alteration,
    );
    expect((await verifier.verify(altered)).ok).toBe(false);
  });

  it("refuses a signature made with another consumer secret", async () => {
    const verifier = build();
    const params = protocol({ oauth_nonce: "n2" });
    const forged = request({ ...params, oauth_signature: sign(params, "sha1", "wrong-secret") });
    expect((await verifier.verify(forged)).ok).toBe(false);
  });

  it("refuses a stale and a future timestamp", async () => {
    const verifier = build();
    const valid = request({ ...protocol(), oauth_signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=" });
    clock = (timestamp + 301) * 1000;
    expect(await verifier.verify(valid)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("too old"),
    });
    clock = (timestamp - 301) * 1000;
    expect(await verifier.verify(valid)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("future"),
    });
  });

  it("refuses another signature method than configured", async () => {
    const verifier = build({ signature_method: "HMAC-SHA256" });
    expect(
      (
        await verifier.verify(
          request({ ...protocol(), oauth_signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=" }),
        )
      ).ok,
    ).toBe(false);
  });

  it("accepts HMAC-SHA256", async () => {
    const verifier = build({ signature_method: "HMAC-SHA256" });
    const params = protocol({ oauth_signature_method: "HMAC-SHA256" });
    expect(
      await verifier.verify(request({ ...params, oauth_signature: sign(params, "sha256") })),
    ).toEqual({ ok: true });
  });

  it("refuses an unknown consumer key", async () => {
    const verifier = build();
    const params = protocol({ oauth_consumer_key: "other" });
    expect((await verifier.verify(request({ ...params, oauth_signature: sign(params) }))).ok).toBe(
      false,
    );
  });

  it("accepts PLAINTEXT with the right secrets and refuses wrong ones", async () => {
    const verifier = build({ signature_method: "PLAINTEXT" });
    const params = protocol({ oauth_signature_method: "PLAINTEXT" });
    const good = `${oauthEncode(consumerSecret)}&${oauthEncode(tokenSecret)}`;
    expect(await verifier.verify(request({ ...params, oauth_signature: good }))).toEqual({
      ok: true,
    });
    expect((await verifier.verify(request({ ...params, oauth_signature: `${good}x` }))).ok).toBe(
      false,
    );
  });

  it("refuses a request without OAuth credentials", async () => {
    expect((await build().verify(ingestRequest({ body }))).ok).toBe(false);
  });
});
