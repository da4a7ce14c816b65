import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createVerifiers,
  loadVerifierBlocks,
  parseTrustedProxies,
} from "../../../receiver/auth/index.js";
import type { CreateVerifiers, Verifier, VerifyResult } from "../../../receiver/auth/verifier.js";
import { ConfigError } from "../../../receiver/config/index.js";
import { createIngestHandler, type IngestRejectedEvent } from "../../../receiver/ingest/index.js";
import { closeAfterTest } from "../../helpers/close-after-test.js";
import { sqliteBufferFor, storedMessages } from "./buffers.js";
import { configOf, type IngestServer, postHead, rawRequest, relayEntry } from "./harness.js";
import { startOnSqlite } from "./on-sqlite.js";

// The blocks whose modules load on demand (startReceiver loads what its config uses).
await loadVerifierBlocks();

const SECRET = "whsec_test_secret_value";
const BODY = '{"id":"evt_1","amount":  100}';

function sign(body: string, secret = SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/** A server whose checks come from `factory`, for an HMAC-signed `hook` unless `document` is given. */
function start(factory: CreateVerifiers, document?: Record<string, unknown>) {
  return startOnSqlite(
    document ?? {
      hook: relayEntry(
        {},
        { hmac: { secret: SECRET, header: "X-Signature", algorithm: "sha256" } },
      ),
    },
    { createVerifiers: factory },
  );
}

function nextRejection(current: IngestServer): Promise<IngestRejectedEvent> {
  return current.nextEvent("rejected");
}

function fixedVerifier(method: string, afterAuth: boolean, result: VerifyResult, calls: string[]) {
  const verifier: Verifier = {
    method,
    afterAuth,
    verify: () => {
      calls.push(method);
      return result;
    },
  };
  return verifier;
}

/** Posts `{}` to `hook` on a server whose only check, `method`, answers `result`. */
async function postPastOneCheck(method: string, afterAuth: boolean, result: VerifyResult) {
  const { server, buffer } = await start(() => [fixedVerifier(method, afterAuth, result, [])]);
  const response = await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}");
  return { response, buffer };
}

describe("ingest: hmac-signed webhooks (receiver/auth)", () => {
  it("accepts a valid signature over the raw body", async () => {
    const { server, buffer } = await start(createVerifiers);
    const head = postHead("/webhook/hook", BODY, [
      "Content-Type: application/json",
      `X-Signature: ${sign(BODY)}`,
    ]);
    expect((await rawRequest(server.port, head, BODY)).status).toBe(200);
    expect(Buffer.from((await storedMessages(buffer))[0]!.body).toString()).toBe(BODY);
  });

  it("answers a wrong signature with a generic 401, the detail only in the event", async () => {
    const { server, buffer } = await start(createVerifiers);
    const rejected = nextRejection(server);
    const head = postHead("/webhook/hook", BODY, [
      "Content-Type: application/json",
      `X-Signature: ${sign(BODY, "wrong-secret")}`,
    ]);
    const response = await rawRequest(server.port, head, BODY);
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ error: "unauthorized", message: "authentication failed" });
    const event = await rejected;
    expect(event).toMatchObject({ code: "WC_ERR_AUTH_FAILED", status: 401, verifier: "hmac" });
    expect(event.reason).toContain("signature");
    expect(event.reason).not.toContain(SECRET);
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("answers a missing signature with 401", async () => {
    const { server } = await start(createVerifiers);
    const response = await rawRequest(server.port, postHead("/webhook/hook", BODY), BODY);
    expect(response.status).toBe(401);
  });

  it("authenticates before checking content, so a bad signature on bad JSON is a 401", async () => {
    const { server } = await start(createVerifiers);
    const body = "{not json";
    const head = postHead("/webhook/hook", body, [
      "Content-Type: application/json",
      "X-Signature: 00",
    ]);
    expect((await rawRequest(server.port, head, body)).status).toBe(401);
  });

  it("refuses to be created with an invalid hmac block, naming file and key", async () => {
    const config = configOf({ hook: relayEntry({}, { hmac: { algorithm: "md5" } }) });
    const buffer = closeAfterTest(await sqliteBufferFor(config));
    const create = () => createIngestHandler({ config, buffer, createVerifiers });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/^webhooks\.json: hook\.hmac/);
  });
});

describe("ingest: verifier outcomes", () => {
  it("passes the verifier's headers through on an authentication failure", async () => {
    const challenge = { "WWW-Authenticate": 'Basic realm="webhooks"' };
    const { response } = await postPastOneCheck("basic_auth", false, {
      ok: false,
      reason: "bad password",
      headers: challenge,
    });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Basic realm="webhooks"');
  });

  it("runs after-auth checks only once authentication passed", async () => {
    const calls: string[] = [];
    const { server } = await start(() => [
      fixedVerifier("rate_limit", true, { ok: true }, calls),
      fixedVerifier("hmac", false, { ok: false, reason: "no signature" }, calls),
    ]);
    expect((await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}")).status).toBe(401);
    expect(calls).toEqual(["hmac"]);
  });

  it("answers a rate limit with 429 and the verifier's Retry-After", async () => {
    const calls: string[] = [];
    const { server, buffer } = await start(() => [
      fixedVerifier("hmac", false, { ok: true }, calls),
      fixedVerifier(
        "rate_limit",
        true,
        { ok: false, reason: "10 requests in 60 s", status: 429, headers: { "Retry-After": "42" } },
        calls,
      ),
    ]);
    const response = await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}");
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("42");
    expect(response.json()["error"]).toBe("rate_limited");
    expect(calls).toEqual(["hmac", "rate_limit"]);
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("answers a schema mismatch with 400 schema_validation", async () => {
    const { response } = await postPastOneCheck("json_schema", true, {
      ok: false,
      reason: "/id: required",
      status: 400,
    });
    expect(response.status).toBe(400);
    expect(response.json()["error"]).toBe("schema_validation");
  });

  it("names the failing path of a schema mismatch when the verifier gives a sender-safe message", async () => {
    const { response } = await postPastOneCheck("json_schema", true, {
      ok: false,
      reason: "/id: required",
      status: 400,
      message: "/id: must be integer",
    });
    expect(response.status).toBe(400);
    expect(response.json()["message"]).toContain("/id: must be integer");
  });

  it("answers 503 with Retry-After when a check's service is unreachable, storing nothing", async () => {
    const { response, buffer } = await postPastOneCheck("oauth2", false, {
      ok: false,
      reason: "introspection endpoint unreachable",
      status: 503,
      headers: { "Retry-After": "7" },
    });
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.json()["error"]).toBe("auth_unavailable");
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("records a verifier-provided source address on the message", async () => {
    const { response, buffer } = await postPastOneCheck("ip_whitelist", false, {
      ok: true,
      sourceIp: "203.0.113.9",
    });
    expect(response.status).toBe(200);
    expect((await storedMessages(buffer))[0]?.sourceIp).toBe("203.0.113.9");
  });

  it("takes source_ip from X-Forwarded-For only behind a trusted proxy (WEBHOOK_CONNECT_TRUSTED_PROXIES)", async () => {
    const ranges = parseTrustedProxies(["127.0.0.0/8"]);
    if (!("ranges" in ranges)) throw new Error("bad range");
    const { server, buffer } = await startOnSqlite(
      { hook: relayEntry({}, {}) },
      { trustedProxies: ranges.ranges },
    );
    const forwarded = [
      "Content-Type: application/json",
      "X-Forwarded-For: 198.51.100.1, 203.0.113.7",
    ];
    const head = postHead("/webhook/hook", "{}", forwarded);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(200);
    // The right-most untrusted entry: what the client wrote to its left proves nothing.
    expect((await storedMessages(buffer))[0]?.sourceIp).toBe("203.0.113.7");
  });

  it("ignores X-Forwarded-For for source_ip when no proxy is trusted", async () => {
    const { server, buffer } = await start(() => [], { hook: relayEntry({}, {}) });
    const head = postHead("/webhook/hook", "{}", [
      "Content-Type: application/json",
      "X-Forwarded-For: 203.0.113.7",
    ]);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(200);
    expect((await storedMessages(buffer))[0]?.sourceIp).toBe("127.0.0.1");
  });

  it("fails closed when a verifier throws", async () => {
    const { server, buffer } = await start(() => [
      {
        method: "jwt",
        afterAuth: false,
        verify: () => {
          throw new Error("boom");
        },
      },
    ]);
    const rejected = nextRejection(server);
    expect((await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}")).status).toBe(401);
    expect((await rejected).reason).toContain("boom");
    expect(await storedMessages(buffer)).toHaveLength(0);
  });
});
