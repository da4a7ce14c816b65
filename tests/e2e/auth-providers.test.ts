/**
 * Sender authentication through a running receiver (SPEC §3.3): for every
 * provider preset and for jwt, basic_auth, ip_whitelist behind a trusted
 * proxy and an AND of two blocks, a correctly signed request is answered
 * 200 and stored byte-exact; one broken variant is refused with the
 * generic body and nothing is stored.
 */
import { createHmac, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ReceiverFixture,
  relayed,
  send,
  startReceiverFixture,
} from "../receiver/hardening/receiver-fixture.js";

/** Bytes a re-serialiser would change: spacing, key order, a trailing zero, non-ASCII, a newline. */
const BODY = Buffer.from('{"z": 1,  "a":[2.50, "é\\u00e9"],"n":null}\n', "utf8");
const SECRET = "s3cr3t-for-the-e2e-test";
const WHSEC_KEY = randomBytes(24);
const WHSEC = `whsec_${WHSEC_KEY.toString("base64")}`;
const BASIC = { username: "relay-user", password: "pä55:word" };

type Headers = Record<string, string>;

interface Case {
  readonly name: string;
  /** Auth blocks of the webhook entry. */
  readonly blocks: Record<string, unknown>;
  /** Headers of a correctly authenticated request for `body`. */
  readonly sign: (body: Buffer) => Headers | Promise<Headers>;
  /** One thing broken. */
  readonly broken: {
    readonly what: string;
    readonly request: (body: Buffer) => Promise<{ headers: Headers; body: Buffer }>;
    readonly status: 401 | 403;
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const hmacHex = (key: string | Buffer, data: string | Buffer) =>
  createHmac("sha256", key).update(data).digest("hex");
const hmacBase64 = (key: string | Buffer, data: string | Buffer) =>
  createHmac("sha256", key).update(data).digest("base64");
const concat = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));

const stripe = (body: Buffer, ts = nowSeconds()) => ({
  "Stripe-Signature": `t=${ts},v1=${hmacHex(SECRET, concat(`${ts}.`, body))}`,
});
const slack = (body: Buffer, ts = nowSeconds()) => ({
  "X-Slack-Request-Timestamp": String(ts),
  "X-Slack-Signature": `v0=${hmacHex(SECRET, concat(`v0:${ts}:`, body))}`,
});
const standardWebhooks = (body: Buffer, id = "msg_2Lq1e2e") => {
  const ts = nowSeconds();
  const signature = hmacBase64(WHSEC_KEY, concat(`${id}.${ts}.`, body));
  // A second, unrelated signature first: any matching one passes.
  const other = randomBytes(32).toString("base64");
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": `v1,${other} v1,${signature}`,
  };
};
const jwt = (expiresIn: number) =>
  new SignJWT({ sub: "sender" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://issuer.test")
    .setAudience("webhook-connect")
    .setIssuedAt(nowSeconds() - 600)
    .setExpirationTime(nowSeconds() + expiresIn)
    .sign(new TextEncoder().encode(SECRET));
const basic = (password: string) => ({
  Authorization: `Basic ${Buffer.from(`${BASIC.username}:${password}`).toString("base64")}`,
});
/** The test client is 127.0.0.1, a trusted proxy; the sender is named in X-Forwarded-For. */
const viaProxy = (client: string) => ({ "X-Forwarded-For": `198.51.100.99, ${client}` });
const ALLOWED_CLIENT = "203.0.113.7";
/** An X-Signature over `body` with `secret`, sent by `client` through the trusted proxy. */
const signedVia = (client: string, secret: string, body: Buffer) => ({
  ...viaProxy(client),
  "X-Signature": `sha256=${hmacHex(secret, body)}`,
});
/** The AND of an allow-list and an hmac block, which two cases break from either side. */
const allowlistAndHmac: Pick<Case, "blocks" | "sign"> = {
  blocks: {
    ip_whitelist: { allow: [ALLOWED_CLIENT], trusted_proxies: ["127.0.0.0/8"] },
    hmac: { secret: SECRET, header: "X-Signature", prefix: "sha256=" },
  },
  sign: (body) => signedVia(ALLOWED_CLIENT, SECRET, body),
};

const cases: Case[] = [
  {
    name: "stripe",
    blocks: { hmac: { provider: "stripe", secret: SECRET } },
    sign: (body) => stripe(body),
    broken: {
      what: "a timestamp older than the 300 s tolerance (signature valid for it)",
      request: async (body) => ({ headers: stripe(body, nowSeconds() - 301), body }),
      status: 401,
    },
  },
  {
    name: "github",
    blocks: { hmac: { provider: "github", secret: SECRET } },
    sign: (body) => ({ "X-Hub-Signature-256": `sha256=${hmacHex(SECRET, body)}` }),
    broken: {
      what: "signed with another secret",
      request: async (body) => ({
        headers: { "X-Hub-Signature-256": `sha256=${hmacHex(`${SECRET}x`, body)}` },
        body,
      }),
      status: 401,
    },
  },
  {
    name: "shopify",
    blocks: { hmac: { provider: "shopify", secret: SECRET } },
    sign: (body) => ({ "X-Shopify-Hmac-Sha256": hmacBase64(SECRET, body) }),
    broken: {
      what: "the body changed after signing",
      request: async (body) => ({
        headers: { "X-Shopify-Hmac-Sha256": hmacBase64(SECRET, body) },
        body: concat(body, " "),
      }),
      status: 401,
    },
  },
  {
    name: "slack",
    blocks: { hmac: { provider: "slack", secret: SECRET } },
    sign: (body) => slack(body),
    broken: {
      what: "the timestamp header differs from the signed one",
      request: async (body) => {
        const headers = slack(body);
        return {
          headers: {
            ...headers,
            "X-Slack-Request-Timestamp": String(Number(headers["X-Slack-Request-Timestamp"]) - 1),
          },
          body,
        };
      },
      status: 401,
    },
  },
  {
    name: "standard-webhooks",
    blocks: { hmac: { provider: "standard-webhooks", secret: WHSEC } },
    sign: (body) => standardWebhooks(body),
    broken: {
      what: "a webhook-id other than the signed one",
      request: async (body) => ({
        headers: { ...standardWebhooks(body), "webhook-id": "msg_other" },
        body,
      }),
      status: 401,
    },
  },
  {
    name: "gitlab",
    blocks: { hmac: { provider: "gitlab", secret: SECRET } },
    sign: () => ({ "X-Gitlab-Token": SECRET }),
    broken: {
      what: "a token differing in its last character",
      request: async (body) => ({
        headers: { "X-Gitlab-Token": `${SECRET.slice(0, -1)}X` },
        body,
      }),
      status: 401,
    },
  },
  {
    name: "jwt",
    blocks: {
      jwt: { secret: SECRET, issuer: "https://issuer.test", audience: "webhook-connect" },
    },
    sign: async () => ({ Authorization: `Bearer ${await jwt(300)}` }),
    broken: {
      what: "an expired token (beyond the 30 s skew)",
      request: async (body) => ({ headers: { Authorization: `Bearer ${await jwt(-60)}` }, body }),
      status: 401,
    },
  },
  {
    name: "basic_auth",
    blocks: { basic_auth: BASIC },
    sign: () => basic(BASIC.password),
    broken: {
      what: "a wrong password",
      request: async (body) => ({ headers: basic(`${BASIC.password}!`), body }),
      status: 401,
    },
  },
  {
    name: "ip_whitelist",
    blocks: { ip_whitelist: ["203.0.113.0/28"], trusted_proxies: ["127.0.0.1"] },
    sign: () => viaProxy(ALLOWED_CLIENT),
    broken: {
      what: "a forwarded client outside the allowed range",
      request: async (body) => ({ headers: viaProxy("203.0.113.200"), body }),
      status: 403,
    },
  },
  {
    name: "ip_whitelist-and-hmac",
    ...allowlistAndHmac,
    broken: {
      what: "an allowed address with a wrong signature",
      request: async (body) => ({ headers: signedVia(ALLOWED_CLIENT, "nope", body), body }),
      status: 401,
    },
  },
  {
    name: "hmac-and-ip_whitelist",
    ...allowlistAndHmac,
    broken: {
      what: "a valid signature from an address that is not allowed",
      request: async (body) => ({ headers: signedVia("192.0.2.1", SECRET, body), body }),
      status: 403,
    },
  },
];

const GENERIC = {
  401: { error: "unauthorized", message: "authentication failed" },
  403: { error: "forbidden", message: "access denied" },
} as const;

let fixture: ReceiverFixture;

beforeAll(async () => {
  const document: Record<string, unknown> = {};
  for (const testCase of cases) document[testCase.name] = relayed(testCase.name, testCase.blocks);
  fixture = await startReceiverFixture(document);
});

afterAll(async () => {
  await fixture?.close();
});

describe("sender authentication through a running receiver", () => {
  describe.each(cases)("$name", (testCase) => {
    const url = () => `${fixture.url}/webhook/${testCase.name}?source=e2e`;

    it(`refuses ${testCase.broken.what} with the generic ${testCase.broken.status} and stores nothing`, async () => {
      const { headers, body } = await testCase.broken.request(BODY);
      const answer = await send(url(), {
        headers: { "Content-Type": "application/json", ...headers },
        body,
      });
      expect(answer.status).toBe(testCase.broken.status);
      expect(JSON.parse(answer.text)).toEqual(GENERIC[testCase.broken.status]);
      expect(await fixture.stored(testCase.name)).toEqual([]);
    });

    it("accepts a correctly authenticated request and stores it byte-exact", async () => {
      const headers = await testCase.sign(BODY);
      const answer = await send(url(), {
        headers: { "Content-Type": "application/json", ...headers },
        body: BODY,
      });
      expect(answer.status, answer.text).toBe(200);
      const accepted = JSON.parse(answer.text) as { message_id: string };
      const stored = await fixture.stored(testCase.name);
      expect(stored).toHaveLength(1);
      const [message] = stored;
      expect(message?.messageId).toBe(accepted.message_id);
      expect(Buffer.from(message!.body).equals(BODY)).toBe(true);
      expect(message?.query).toBe("source=e2e");
      for (const [name, value] of Object.entries(headers)) {
        expect(message?.headers).toContainEqual(expect.objectContaining({ name, value }));
      }
      if ("X-Forwarded-For" in headers) expect(message?.sourceIp).toBe(ALLOWED_CLIENT);
    });
  });
});
