import { describe, expect, it } from "vitest";
import { buildVerifier } from "./build.js";
import { ingestRequest } from "./request-fixture.js";

const withHeaders = (headers: Record<string, string>) => ingestRequest({ headers });

describe("authorization", () => {
  const bearer = buildVerifier("authorization", "Bearer tok_live_123");

  it("accepts the exact Bearer value", async () => {
    expect(await bearer.verify(withHeaders({ Authorization: "Bearer tok_live_123" }))).toEqual({
      ok: true,
    });
  });

  it("accepts the Bearer scheme in another case (RFC 6750)", async () => {
    expect(await bearer.verify(withHeaders({ Authorization: "bearer tok_live_123" }))).toEqual({
      ok: true,
    });
  });

  it("refuses a wrong token, a prefix of it and a token of another case", async () => {
    for (const value of ["Bearer tok_live_124", "Bearer tok_live_12", "Bearer TOK_LIVE_123"]) {
      expect((await bearer.verify(withHeaders({ Authorization: value }))).ok).toBe(false);
    }
  });

  it("refuses the bare token without the scheme and a missing header", async () => {
    expect((await bearer.verify(withHeaders({ Authorization: "tok_live_123" }))).ok).toBe(false);
    expect(await bearer.verify(ingestRequest())).toMatchObject({ ok: false, status: 401 });
  });

  it("matches a non-Bearer value exactly", async () => {
    const exact = buildVerifier("authorization", "Token abc");
    expect(await exact.verify(withHeaders({ Authorization: "Token abc" }))).toEqual({ ok: true });
    expect((await exact.verify(withHeaders({ Authorization: "token abc" }))).ok).toBe(false);
  });

  it("accepts any value of a rotation list", async () => {
    const rotating = buildVerifier("authorization", ["Bearer new", "Bearer old"]);
    expect(await rotating.verify(withHeaders({ Authorization: "Bearer old" }))).toEqual({
      ok: true,
    });
  });

  it("rejects an empty value as a config error", () => {
    expect(() => buildVerifier("authorization", "")).toThrow(
      "relay.authorization: expected a non-empty string",
    );
  });
});

describe("basic_auth", () => {
  const verifier = buildVerifier("basic_auth", { username: "hook", password: "p@ss:wörd" });
  const basic = (credentials: string) =>
    withHeaders({ Authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` });

  it("accepts the right username and password (UTF-8, colon in password)", async () => {
    expect(await verifier.verify(basic("hook:p@ss:wörd"))).toEqual({ ok: true });
  });

  it("refuses a wrong password with a Basic challenge", async () => {
    expect(await verifier.verify(basic("hook:p@ss:word"))).toMatchObject({
      ok: false,
      status: 401,
      headers: { "WWW-Authenticate": 'Basic realm="webhook", charset="UTF-8"' },
    });
  });

  it("refuses a wrong username", async () => {
    expect((await verifier.verify(basic("hooks:p@ss:wörd"))).ok).toBe(false);
  });

  it("refuses credentials without a colon, non-base64 and another scheme", async () => {
    expect((await verifier.verify(basic("hook"))).ok).toBe(false);
    expect((await verifier.verify(withHeaders({ Authorization: "Basic !!!" }))).ok).toBe(false);
    expect((await verifier.verify(withHeaders({ Authorization: "Bearer aG9vaw==" }))).ok).toBe(
      false,
    );
  });

  it("rejects a block without password as a config error", () => {
    expect(() => buildVerifier("basic_auth", { username: "hook" })).toThrow(
      "relay.basic_auth.password",
    );
  });
});

describe("header_auth", () => {
  const verifier = buildVerifier("header_auth", { header_name: "X-API-Key", api_key: "Key-ABC" });

  it("accepts the key in the named header (header name case-insensitive)", async () => {
    expect(await verifier.verify(withHeaders({ "x-api-key": "Key-ABC" }))).toEqual({ ok: true });
  });

  it("is case-sensitive by default", async () => {
    expect((await verifier.verify(withHeaders({ "X-API-Key": "key-abc" }))).ok).toBe(false);
  });

  it("ignores case with case_sensitive: false", async () => {
    const relaxed = buildVerifier("header_auth", { api_key: "Key-ABC", case_sensitive: false });
    expect(await relaxed.verify(withHeaders({ "X-API-Key": "key-abc" }))).toEqual({ ok: true });
    expect((await relaxed.verify(withHeaders({ "X-API-Key": "key-abd" }))).ok).toBe(false);
  });

  it("refuses a wrong key and a missing header", async () => {
    expect((await verifier.verify(withHeaders({ "X-API-Key": "Key-ABD" }))).ok).toBe(false);
    expect((await verifier.verify(withHeaders({ "X-Other": "Key-ABC" }))).ok).toBe(false);
  });
});

describe("query_auth", () => {
  const verifier = buildVerifier("query_auth", { parameter_name: "token", api_key: "q+k/1" });

  it("accepts the key in the named parameter (form-decoded)", async () => {
    expect(await verifier.verify(ingestRequest({ query: "a=1&token=q%2Bk%2F1" }))).toEqual({
      ok: true,
    });
  });

  it("is case-sensitive by default and refuses a wrong or missing key", async () => {
    expect((await verifier.verify(ingestRequest({ query: "token=Q%2BK%2F1" }))).ok).toBe(false);
    expect((await verifier.verify(ingestRequest({ query: "token=q%2Bk%2F2" }))).ok).toBe(false);
    expect((await verifier.verify(ingestRequest({ query: "api_key=q%2Bk%2F1" }))).ok).toBe(false);
  });

  it("ignores case with case_sensitive: false", async () => {
    const relaxed = buildVerifier("query_auth", { api_key: "AbC", case_sensitive: "false" });
    expect(await relaxed.verify(ingestRequest({ query: "api_key=abc" }))).toEqual({ ok: true });
  });
});
