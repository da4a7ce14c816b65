import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createVerifiers } from "../../../receiver/auth/index.js";
import { ingestRequest, NOW_S, testOptions } from "./request-fixture.js";

function verifierFor(block: Record<string, unknown>, nowMs?: number) {
  const options = nowMs === undefined ? testOptions() : testOptions({ now: () => nowMs });
  const [verifier] = createVerifiers("relay", { hmac: block }, options);
  if (verifier === undefined) throw new Error("no verifier built");
  return verifier;
}

const hex = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest("hex");

/** A provider's verifier for `secret`, and requests with a signature in its one `header` over `body` (or another payload). */
function signedInOneHeader(provider: string, secret: string, header: string, body: string) {
  return {
    verifier: verifierFor({ provider, secret }),
    request: (signature: string, payload = body) =>
      ingestRequest({ headers: { [header]: signature }, body: payload }),
  };
}

describe("hmac provider github", () => {
  // docs.github.com "Validating webhook deliveries" test values.
  const secret = "It's a Secret to Everybody";
  const body = "Hello, World!";
  const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  const { verifier, request } = signedInOneHeader("github", secret, "X-Hub-Signature-256", body);

  it("accepts GitHub's published example", async () => {
    expect(await verifier.verify(request(signature))).toEqual({ ok: true });
  });

  it("refuses the example with an altered body", async () => {
    expect((await verifier.verify(request(signature, `${body}!`))).ok).toBe(false);
  });

  it("refuses a signature without the sha256= prefix", async () => {
    expect((await verifier.verify(request(signature.slice("sha256=".length)))).ok).toBe(false);
  });

  it("refuses the legacy sha1 header alone", async () => {
    const sha1 = `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;
    const request = ingestRequest({ headers: { "X-Hub-Signature": sha1 }, body });
    expect((await verifier.verify(request)).ok).toBe(false);
  });
});

describe("hmac provider slack", () => {
  // api.slack.com "Verifying requests from Slack" worked example.
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const timestamp = "1531420618";
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
  const at = (offsetSeconds: number) => (Number(timestamp) + offsetSeconds) * 1000;
  const request = (headers: Record<string, string> = {}) =>
    ingestRequest({
      headers: {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        ...headers,
      },
      body,
    });

  it("accepts Slack's published example within the window", async () => {
    expect(await verifierFor({ provider: "slack", secret }, at(60)).verify(request())).toEqual({
      ok: true,
    });
  });

  it("refuses a stale timestamp (over 300 s old)", async () => {
    const result = await verifierFor({ provider: "slack", secret }, at(301)).verify(request());
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("old") });
  });

  it("refuses a timestamp more than 300 s in the future", async () => {
    const result = await verifierFor({ provider: "slack", secret }, at(-301)).verify(request());
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("future") });
  });

  it("refuses a timestamp changed after signing", async () => {
    const changed = request({ "X-Slack-Request-Timestamp": String(Number(timestamp) + 1) });
    expect((await verifierFor({ provider: "slack", secret }, at(0)).verify(changed)).ok).toBe(
      false,
    );
  });

  it("refuses a missing timestamp header", async () => {
    const missing = ingestRequest({ headers: { "X-Slack-Signature": signature }, body });
    expect((await verifierFor({ provider: "slack", secret }, at(0)).verify(missing)).ok).toBe(
      false,
    );
  });

  it("refuses another secret", async () => {
    const verifier = verifierFor({ provider: "slack", secret: "not-the-secret" }, at(0));
    expect((await verifier.verify(request())).ok).toBe(false);
  });

  it("honours a tolerance_seconds override", async () => {
    const verifier = verifierFor({ provider: "slack", secret, tolerance_seconds: 30 }, at(60));
    expect((await verifier.verify(request())).ok).toBe(false);
  });
});

describe("hmac provider zoom", () => {
  // Zoom signs `v0:{x-zm-request-timestamp}:{raw body}` with the app's secret token.
  const secret = "zoom-secret-token";
  const body = '{"event":"meeting.started","payload":{"account_id":"abc","object":{"id":"85"}}}';
  const timestamp = String(NOW_S - 10);
  const signature = `v0=${hex(secret, `v0:${timestamp}:${body}`)}`;
  const request = (headers: Record<string, string>, payload = body) =>
    ingestRequest({ headers, body: payload });
  const signed = { "x-zm-request-timestamp": timestamp, "x-zm-signature": signature };
  const verifier = verifierFor({ provider: "zoom", secret });

  it("accepts x-zm-signature over `v0:{timestamp}:{body}`", async () => {
    expect(await verifier.verify(request(signed))).toEqual({ ok: true });
  });

  it("refuses a timestamp other than the signed one", async () => {
    const moved = { ...signed, "x-zm-request-timestamp": String(NOW_S - 11) };
    expect((await verifier.verify(request(moved))).ok).toBe(false);
  });

  it("refuses a signature older than 300 s", async () => {
    const old = String(NOW_S - 301);
    const headers = {
      "x-zm-request-timestamp": old,
      "x-zm-signature": `v0=${hex(secret, `v0:${old}:${body}`)}`,
    };
    expect((await verifier.verify(request(headers))).ok).toBe(false);
  });
});

describe("hmac provider stripe", () => {
  const secret = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH";
  const body = '{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}';
  const t = String(NOW_S - 10);
  const v1 = hex(secret, `${t}.${body}`);
  const { verifier, request } = signedInOneHeader("stripe", secret, "Stripe-Signature", body);

  it("accepts t=…,v1=… signed over `{t}.{body}`", async () => {
    expect(await verifier.verify(request(`t=${t},v1=${v1}`))).toEqual({ ok: true });
  });

  it("accepts when one of several v1 entries matches (secret rotation on Stripe's side)", async () => {
    const other = hex("whsec_old", `${t}.${body}`);
    expect(await verifier.verify(request(`t=${t},v1=${other},v1=${v1},v0=abc`))).toEqual({
      ok: true,
    });
  });

  it("refuses a v0 (test-mode legacy) signature in place of v1", async () => {
    expect((await verifier.verify(request(`t=${t},v0=${v1}`))).ok).toBe(false);
  });

  it("refuses an altered body", async () => {
    expect((await verifier.verify(request(`t=${t},v1=${v1}`, `${body} `))).ok).toBe(false);
  });

  it("refuses a changed t", async () => {
    expect((await verifier.verify(request(`t=${Number(t) + 1},v1=${v1}`))).ok).toBe(false);
  });

  it("refuses a stale signature (older than 300 s)", async () => {
    const old = String(NOW_S - 301);
    const result = await verifier.verify(request(`t=${old},v1=${hex(secret, `${old}.${body}`)}`));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("old") });
  });

  it("refuses a signature from the future (over 300 s ahead)", async () => {
    const ahead = String(NOW_S + 301);
    const result = await verifier.verify(
      request(`t=${ahead},v1=${hex(secret, `${ahead}.${body}`)}`),
    );
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("future") });
  });

  it("refuses a header without t", async () => {
    expect((await verifier.verify(request(`v1=${v1}`))).ok).toBe(false);
  });

  it("accepts the seed's X-Stripe-Signature header through the header override", async () => {
    const custom = verifierFor({ provider: "stripe", secret, header: "X-Stripe-Signature" });
    const req = ingestRequest({ headers: { "X-Stripe-Signature": `t=${t},v1=${v1}` }, body });
    expect(await custom.verify(req)).toEqual({ ok: true });
  });
});

describe("hmac provider shopify", () => {
  const secret = "shpss_0123456789abcdef";
  const body = '{"id":820982911946154508,"email":"jon@example.com"}';
  const signature = createHmac("sha256", secret).update(body).digest("base64");
  const { verifier, request } = signedInOneHeader("shopify", secret, "X-Shopify-Hmac-Sha256", body);

  it("accepts a base64 HMAC-SHA256 of the body", async () => {
    expect(await verifier.verify(request(signature))).toEqual({ ok: true });
  });

  it("refuses the same digest in hex", async () => {
    expect((await verifier.verify(request(hex(secret, body)))).ok).toBe(false);
  });

  it("refuses an altered body", async () => {
    expect((await verifier.verify(request(signature, body.replace("jon", "bob")))).ok).toBe(false);
  });
});

describe("hmac provider standard-webhooks", () => {
  // Test vector published with the Standard Webhooks reference libraries.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const headers = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  const body = '{"test": 2432232314}';
  const nowMs = 1614265330 * 1000;
  const request = (override: Record<string, string> = {}, payload = body) =>
    ingestRequest({ headers: { ...headers, ...override }, body: payload });
  const verifier = verifierFor({ provider: "standard-webhooks", secret }, nowMs);

  it("accepts the published test vector", async () => {
    expect(await verifier.verify(request())).toEqual({ ok: true });
  });

  it("accepts when the valid signature is one of a space-separated list", async () => {
    const list = `v1,bm9wZQ== ${headers["webhook-signature"]} v2,abc`;
    expect(await verifier.verify(request({ "webhook-signature": list }))).toEqual({ ok: true });
  });

  it("accepts during rotation when the matching secret is one of several", async () => {
    const rotating = verifierFor(
      { provider: "standard-webhooks", secret: ["whsec_c2VjcmV0LXR3bw==", secret] },
      nowMs,
    );
    expect(await rotating.verify(request())).toEqual({ ok: true });
  });

  it("refuses a changed webhook-id", async () => {
    expect((await verifier.verify(request({ "webhook-id": "msg_other" }))).ok).toBe(false);
  });

  it("refuses an altered body", async () => {
    expect((await verifier.verify(request({}, '{"test": 2432232315}'))).ok).toBe(false);
  });

  it("refuses a signature under another version label", async () => {
    const v2 = headers["webhook-signature"].replace("v1,", "v2,");
    expect((await verifier.verify(request({ "webhook-signature": v2 }))).ok).toBe(false);
  });

  it("refuses a stale and a future timestamp", async () => {
    const late = verifierFor({ provider: "standard-webhooks", secret }, nowMs + 301_000);
    const early = verifierFor({ provider: "standard-webhooks", secret }, nowMs - 301_000);
    expect((await late.verify(request())).ok).toBe(false);
    expect((await early.verify(request())).ok).toBe(false);
  });

  it("refuses another secret", async () => {
    const other = verifierFor({ provider: "standard-webhooks", secret: "whsec_b3RoZXI=" }, nowMs);
    expect((await other.verify(request())).ok).toBe(false);
  });

  it("rejects a secret that is not base64 as a config error", () => {
    expect(() =>
      verifierFor({ provider: "standard-webhooks", secret: "whsec_not base64!" }),
    ).toThrow("relay.hmac.secret: expected whsec_ followed by base64");
  });

  it("accepts the same vector under svix-* headers with the svix preset", async () => {
    const svix = verifierFor({ provider: "svix", secret }, nowMs);
    const svixRequest = ingestRequest({
      headers: {
        "svix-id": headers["webhook-id"],
        "svix-timestamp": headers["webhook-timestamp"],
        "svix-signature": headers["webhook-signature"],
      },
      body,
    });
    expect(await svix.verify(svixRequest)).toEqual({ ok: true });
  });
});

describe("hmac provider gitlab", () => {
  const verifier = verifierFor({ provider: "gitlab", secret: "gl-token-123" });

  it("accepts the configured X-Gitlab-Token", async () => {
    const request = ingestRequest({ headers: { "X-Gitlab-Token": "gl-token-123" } });
    expect(await verifier.verify(request)).toEqual({ ok: true });
  });

  it("refuses another token, a prefix of it and a missing header", async () => {
    for (const token of ["gl-token-124", "gl-token-12"]) {
      const request = ingestRequest({ headers: { "X-Gitlab-Token": token } });
      expect((await verifier.verify(request)).ok).toBe(false);
    }
    expect((await verifier.verify(ingestRequest())).ok).toBe(false);
  });

  it("rejects an unknown provider as a config error listing the presets", () => {
    expect(() => verifierFor({ provider: "bitbucket", secret: "x" })).toThrow(
      /relay\.hmac\.provider: expected one of stripe, github, shopify, slack, standard-webhooks/,
    );
  });
});
