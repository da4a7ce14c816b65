/**
 * The handshake responders on their own: the exact answers, and one broken
 * variant each of the requests the receiver must not take
 * for a handshake.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { IngestRequest } from "../../../receiver/auth/index.js";
import { createHandshake } from "../../../receiver/handshake/index.js";
import { ingestRequest, NOW_S } from "../auth/request-fixture.js";

const hex = (key: string, data: string) => createHmac("sha256", key).update(data).digest("hex");

describe("slack", () => {
  // The signing secret of api.slack.com's "Verifying requests from Slack" example.
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const handshake = createHandshake({
    provider: "slack",
    secrets: [secret],
    toleranceSeconds: 300,
  });
  const at = (timestamp: number, body: string, signature: string): IngestRequest => ({
    ...ingestRequest({
      headers: {
        "X-Slack-Request-Timestamp": String(timestamp),
        "X-Slack-Signature": signature,
        "Content-Type": "application/json",
      },
      body,
    }),
    receivedAt: timestamp * 1000,
  });
  const verification = '{"token":"t","challenge":"c-123","type":"url_verification"}';
  const signed = (body = verification, timestamp = NOW_S) =>
    at(timestamp, body, `v0=${hex(secret, `v0:${timestamp}:${body}`)}`);

  it("answers a signed url_verification", () => {
    expect(handshake.answer(signed())).toEqual({
      status: 200,
      headers: {
        "Content-Type": "text/plain",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
      },
      body: "c-123",
    });
  });

  it.each([
    [
      "an event of another type",
      signed('{"type":"event_callback","challenge":"url_verification"}'),
    ],
    ["a url_verification without a challenge", signed('{"type":"url_verification"}')],
    ["a JSON array", signed('["url_verification"]')],
    ["a body that is not JSON", signed("type=url_verification&challenge=x")],
    [
      "a signature without v0=",
      at(NOW_S, verification, hex(secret, `v0:${NOW_S}:${verification}`)),
    ],
    [
      "a timestamp 301 s in the future",
      { ...signed(verification, NOW_S + 301), receivedAt: NOW_S * 1000 },
    ],
    ["a GET", { ...signed(), method: "GET" }],
  ])("does not answer %s", (_what, request) => {
    expect(handshake.answer(request)).toBeUndefined();
  });
});

describe("zoom", () => {
  const handshake = createHandshake({ provider: "zoom", secrets: ["s"], toleranceSeconds: 300 });
  const request = (body: string) =>
    ingestRequest({
      headers: {
        "x-zm-request-timestamp": String(NOW_S),
        "x-zm-signature": `v0=${hex("s", `v0:${NOW_S}:${body}`)}`,
      },
      body,
    });

  it("answers with encryptedToken = hex HMAC-SHA256(secret, plainToken)", () => {
    const answer = handshake.answer(
      request('{"payload":{"plainToken":"p1"},"event_ts":1,"event":"endpoint.url_validation"}'),
    );
    expect(answer?.body).toBe(JSON.stringify({ plainToken: "p1", encryptedToken: hex("s", "p1") }));
  });

  it("reads the signature from an overridden header", () => {
    const moved = createHandshake({
      provider: "zoom",
      secrets: ["s"],
      toleranceSeconds: 300,
      signatureHeader: "x-proxied-signature",
    });
    const body = '{"payload":{"plainToken":"p2"},"event":"endpoint.url_validation"}';
    const signature = `v0=${hex("s", `v0:${NOW_S}:${body}`)}`;
    const request = (name: string) =>
      ingestRequest({
        headers: { "x-zm-request-timestamp": String(NOW_S), [name]: signature },
        body,
      });
    expect(moved.answer(request("X-Proxied-Signature"))?.status).toBe(200);
    expect(moved.answer(request("x-zm-signature"))).toBeUndefined();
  });

  it("does not answer a validation without a plainToken", () => {
    expect(handshake.answer(request('{"payload":{},"event":"endpoint.url_validation"}'))).toBe(
      undefined,
    );
  });
});

describe("query-string handshakes", () => {
  const graph = createHandshake({
    provider: "microsoft-graph",
    secrets: [],
    toleranceSeconds: 300,
  });
  const dropbox = createHandshake({ provider: "dropbox", secrets: [], toleranceSeconds: 300 });
  const twitter = createHandshake({
    provider: "twitter-crc",
    secrets: ["c"],
    toleranceSeconds: 300,
  });

  it("decodes the Graph validationToken, + as a space", () => {
    const answer = graph.answer(ingestRequest({ query: "validationToken=a+b%3Ac" }));
    expect(answer?.body).toBe("a b:c");
  });

  it.each([
    ["a repeated parameter", "challenge=a&challenge=b"],
    ["an empty parameter", "challenge="],
    ["a parameter of another name", "xchallenge=a"],
  ])("does not take %s for a Dropbox challenge", (_what, query) => {
    expect(dropbox.answer(ingestRequest({ method: "GET", query }))).toBeUndefined();
  });

  it.each([
    ["a JSON number, which would sign the event body 12345", "crc_token=12345"],
    ["a JSON literal", "crc_token=true"],
    ["a JSON object", `crc_token=${encodeURIComponent('{"a":1}')}`],
    ["a token longer than 512 characters", `crc_token=${"a".repeat(513)}`],
  ])("does not answer a crc_token that is %s", (_what, query) => {
    expect(twitter.answer(ingestRequest({ method: "GET", query }))).toBeUndefined();
  });

  it("answers a base64 crc_token with padding", () => {
    const answer = twitter.answer(
      ingestRequest({ method: "GET", query: "crc_token=YWJj%2Bw%3D%3D" }),
    );
    const digest = createHmac("sha256", "c").update("YWJj+w==").digest("base64");
    expect(answer?.body).toBe(JSON.stringify({ response_token: `sha256=${digest}` }));
  });

  it("does not answer a crc_token sent with POST", () => {
    expect(twitter.answer(ingestRequest({ method: "POST", query: "crc_token=x" }))).toBeUndefined();
  });

  it("uses GET only for dropbox and twitter-crc", () => {
    expect([graph.usesGet, dropbox.usesGet, twitter.usesGet]).toEqual([false, true, true]);
  });
});
