import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { createVerifiers } from "../../../receiver/auth/index.js";
import { ingestRequest, testOptions } from "./request-fixture.js";

const body = '{"id":"evt_1","amount":1200}';
const secret = "It's a Secret to Everybody";

function sign(algorithm: string, key: string, data: string, encoding: "hex" | "base64" = "hex") {
  return createHmac(algorithm, key).update(data).digest(encoding);
}

function verifierFor(block: Record<string, unknown>) {
  const [verifier] = createVerifiers(
    "relay",
    { module: "webhook_connect", hmac: block },
    testOptions(),
  );
  if (verifier === undefined) throw new Error("no verifier built");
  return verifier;
}

describe("hmac (generic)", () => {
  const block = { secret, header: "X-Signature", algorithm: "sha256" };
  const valid = () =>
    ingestRequest({ headers: { "X-Signature": sign("sha256", secret, body) }, body });

  it("accepts a hex sha256 signature over the raw body", async () => {
    expect(await verifierFor(block).verify(valid())).toEqual({ ok: true });
  });

  it("is built as a before-auth verifier named hmac", () => {
    const verifier = verifierFor(block);
    expect(verifier.method).toBe("hmac");
    expect(verifier.afterAuth).toBe(false);
  });

  it("refuses a signature made with another secret", async () => {
    const request = ingestRequest({
      headers: { "X-Signature": sign("sha256", "other secret", body) },
      body,
    });
    expect(await verifierFor(block).verify(request)).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses an altered body", async () => {
    const request = ingestRequest({
      headers: { "X-Signature": sign("sha256", secret, body) },
      body: body.replace("1200", "1201"),
    });
    expect((await verifierFor(block).verify(request)).ok).toBe(false);
  });

  it("refuses a body that differs only in whitespace (raw bytes are signed)", async () => {
    const request = ingestRequest({
      headers: { "X-Signature": sign("sha256", secret, body) },
      body: body.replace(",", ", "),
    });
    expect((await verifierFor(block).verify(request)).ok).toBe(false);
  });

  it("refuses a signature made with another algorithm", async () => {
    const request = ingestRequest({ headers: { "X-Signature": sign("sha1", secret, body) }, body });
    expect((await verifierFor(block).verify(request)).ok).toBe(false);
  });

  it("refuses a missing header and says which", async () => {
    const result = await verifierFor(block).verify(ingestRequest({ body }));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("X-Signature") });
  });

  it("never puts the secret into the reason", async () => {
    const request = ingestRequest({ headers: { "X-Signature": "00" }, body });
    const result = await verifierFor(block).verify(request);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("supports sha1 and sha512", async () => {
    for (const algorithm of ["sha1", "sha512"]) {
      const request = ingestRequest({
        headers: { "X-Signature": sign(algorithm, secret, body) },
        body,
      });
      expect(await verifierFor({ ...block, algorithm }).verify(request)).toEqual({ ok: true });
    }
  });

  it("supports base64 encoding", async () => {
    const request = ingestRequest({
      headers: { "X-Signature": sign("sha256", secret, body, "base64") },
      body,
    });
    expect(await verifierFor({ ...block, encoding: "base64" }).verify(request)).toEqual({
      ok: true,
    });
    const hexRequest = valid();
    expect((await verifierFor({ ...block, encoding: "base64" }).verify(hexRequest)).ok).toBe(false);
  });

  it("requires a configured prefix", async () => {
    const withPrefix = { ...block, prefix: "sha256=" };
    const prefixed = ingestRequest({
      headers: { "X-Signature": `sha256=${sign("sha256", secret, body)}` },
      body,
    });
    expect(await verifierFor(withPrefix).verify(prefixed)).toEqual({ ok: true });
    expect((await verifierFor(withPrefix).verify(valid())).ok).toBe(false);
  });

  it("accepts an implicit <algorithm>= prefix when none is configured", async () => {
    const prefixed = ingestRequest({
      headers: { "X-Signature": `sha256=${sign("sha256", secret, body)}` },
      body,
    });
    expect(await verifierFor(block).verify(prefixed)).toEqual({ ok: true });
  });

  it("accepts any of several secrets during a rotation", async () => {
    const rotating = { ...block, secret: ["new secret", secret] };
    expect(await verifierFor(rotating).verify(valid())).toEqual({ ok: true });
  });

  it("rejects an unknown algorithm as a config error naming the key", () => {
    expect(() => verifierFor({ ...block, algorithm: "md5" })).toThrowError(
      "webhooks.json: relay.hmac.algorithm: expected one of sha1, sha256, sha512",
    );
  });

  it("rejects a missing secret and unknown keys as config errors", () => {
    expect(() => verifierFor({ header: "X-Signature" })).toThrowError(ConfigError);
    expect(() => verifierFor({ ...block, algoritm: "sha1" })).toThrowError(
      "relay.hmac.algoritm: unknown key",
    );
  });
});
