import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildVerifier } from "./build.js";
import { type FixtureServer, startFixtureServer } from "./http-fixture.js";
import { ingestRequest } from "./request-fixture.js";

describe("recaptcha", () => {
  const answers: Record<string, Record<string, unknown>> = {
    human: { success: true, score: 0.9, action: "webhook", hostname: "forms.example.com" },
    bot: { success: true, score: 0.1, action: "webhook", hostname: "forms.example.com" },
    "v2-ok": { success: true, hostname: "forms.example.com" },
    "other-action": { success: true, score: 0.9, action: "login", hostname: "forms.example.com" },
  };
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer((request) => {
      const form = new URLSearchParams(request.body);
      if (form.get("secret") !== "site-secret") {
        return { body: { success: false, "error-codes": ["invalid-input-secret"] } };
      }
      return {
        body: answers[form.get("response") ?? ""] ?? {
          success: false,
          "error-codes": ["invalid-input-response"],
        },
      };
    });
  });
  afterAll(() => server.close());

  const v3 = (extra: Record<string, unknown> = {}) =>
    buildVerifier("recaptcha", {
      secret_key: "site-secret",
      verify_url: `${server.url}/siteverify`,
      min_score: 0.5,
      ...extra,
    });
  const withToken = (token: string) => ingestRequest({ headers: { "X-Recaptcha-Token": token } });

  it("accepts a v3 token scoring above min_score and sends secret, response and remoteip", async () => {
    expect(await v3().verify(withToken("human"))).toEqual({ ok: true });
    const form = new URLSearchParams(server.requests.at(-1)?.body);
    expect(form.get("response")).toBe("human");
    expect(form.get("remoteip")).toBe("203.0.113.7");
  });

  it("refuses a v3 score below min_score", async () => {
    expect(await v3().verify(withToken("bot"))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("score"),
    });
  });

  it("refuses a token Google rejects and a missing token", async () => {
    expect((await v3().verify(withToken("garbage"))).ok).toBe(false);
    expect((await v3().verify(ingestRequest())).ok).toBe(false);
  });

  it("refuses a token for another action when action is configured", async () => {
    expect((await v3({ action: "webhook" }).verify(withToken("other-action"))).ok).toBe(false);
    expect(await v3({ action: "webhook" }).verify(withToken("human"))).toEqual({ ok: true });
  });

  it("refuses when the configured secret is wrong", async () => {
    expect((await v3({ secret_key: "wrong" }).verify(withToken("human"))).ok).toBe(false);
  });

  it("accepts a v2 token from a JSON body field (no score needed)", async () => {
    const v2 = buildVerifier("recaptcha", {
      secret_key: "site-secret",
      version: "v2",
      token_source: "body",
      verify_url: `${server.url}/siteverify`,
    });
    const body = JSON.stringify({ event: "signup", "g-recaptcha-response": "v2-ok" });
    expect(
      await v2.verify(ingestRequest({ body, headers: { "Content-Type": "application/json" } })),
    ).toEqual({ ok: true });
    const v3Only = v3();
    expect((await v3Only.verify(withToken("v2-ok"))).ok).toBe(false);
  });

  it("answers 503 when the verify endpoint cannot be reached", async () => {
    const closed = await startFixtureServer(() => ({ body: {} }));
    const url = closed.url;
    await closed.close();
    const verifier = buildVerifier("recaptcha", {
      secret_key: "site-secret",
      verify_url: `${url}/siteverify`,
    });
    expect(await verifier.verify(withToken("human"))).toMatchObject({ ok: false, status: 503 });
  });

  it("rejects a min_score outside 0..1 as a config error", () => {
    expect(() => buildVerifier("recaptcha", { secret_key: "s", min_score: 2 })).toThrow(
      "relay.recaptcha.min_score: expected a number between 0 and 1",
    );
  });
});
