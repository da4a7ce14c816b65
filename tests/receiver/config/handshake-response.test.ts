/**
 * The `handshake` and `response` blocks of webhooks.json: the valid forms
 * and the one-line error each broken one gets.
 */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  parseReceiverConfig,
  type WebhookEntry,
} from "../../../receiver/config/index.js";

const FILE = "webhooks.json";

function entry(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    module: "webhook_connect",
    "module-config": { channel: "events", channel_token: "tok" },
    ...extra,
  };
}

function parsed(extra: Record<string, unknown>, env: Record<string, string> = {}): WebhookEntry {
  const config = parseReceiverConfig(JSON.stringify({ hook: entry(extra) }), FILE, { env });
  return config.webhooks.get("hook")!;
}

function failure(extra: Record<string, unknown>): string {
  try {
    parsed(extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("handshake block", () => {
  it("takes the secrets and tolerance of the hmac block when it has none of its own", () => {
    const hook = parsed({
      hmac: { provider: "slack", secret: ["new", "old"], tolerance_seconds: 120 },
      handshake: { provider: "slack" },
    });
    expect(hook.handshake).toEqual({
      provider: "slack",
      secrets: ["new", "old"],
      toleranceSeconds: 120,
    });
  });

  it("takes the signature header override of the same provider's hmac preset", () => {
    const hook = parsed({
      hmac: { provider: "zoom", secret: "s", header: "X-Proxied-Zm-Signature" },
      handshake: { provider: "zoom" },
    });
    expect(hook.handshake?.signatureHeader).toBe("x-proxied-zm-signature");
    const other = parsed({
      hmac: { provider: "slack", secret: "s", header: "X-Other" },
      handshake: { provider: "zoom" },
    });
    expect(other.handshake?.signatureHeader).toBeUndefined();
  });

  it("prefers its own secret and substitutes variables in it", () => {
    const hook = parsed(
      { hmac: { secret: "hmac-secret" }, handshake: { provider: "zoom", secret: "{$ZOOM}" } },
      { ZOOM: "zoom-secret" },
    );
    expect(hook.handshake).toEqual({
      provider: "zoom",
      secrets: ["zoom-secret"],
      toleranceSeconds: 300,
    });
  });

  it("needs no secret for microsoft-graph and dropbox", () => {
    expect(parsed({ handshake: { provider: "dropbox" } }).handshake?.secrets).toEqual([]);
    expect(parsed({ handshake: { provider: "microsoft-graph" } }).handshake?.provider).toBe(
      "microsoft-graph",
    );
  });

  it("is absent from entries without the block", () => {
    expect(parsed({}).handshake).toBeUndefined();
    expect(parsed({}).response).toBeUndefined();
  });

  it.each([
    [
      { handshake: { provider: "github" } },
      "webhooks.json: hook.handshake.provider: expected one of slack, zoom, microsoft-graph, dropbox, twitter-crc",
    ],
    [{ handshake: {} }, "webhooks.json: hook.handshake.provider: is required"],
    [
      { handshake: { provider: "twitter-crc" } },
      "webhooks.json: hook.handshake.secret: is required for provider twitter-crc (or set hmac.secret on the webhook)",
    ],
    [
      { handshake: { provider: "dropbox", secret: "x" } },
      "webhooks.json: hook.handshake.secret: provider dropbox does not use a secret for its handshake",
    ],
    [
      { handshake: { provider: "dropbox", tolerance_seconds: 60 } },
      "webhooks.json: hook.handshake.tolerance_seconds: provider dropbox does not timestamp its handshake",
    ],
    [
      { handshake: { provider: "slack", secret: "s", extra: 1 } },
      "webhooks.json: hook.handshake.extra: unknown key (allowed: provider, secret, tolerance_seconds)",
    ],
    [
      { hmac: { secret: 42 }, handshake: { provider: "slack" } },
      "webhooks.json: hook.hmac.secret: expected a string or a list of strings",
    ],
    [{ handshake: "slack" }, "webhooks.json: hook.handshake: expected an object"],
  ])("refuses %j", (extra, message) => {
    expect(failure(extra)).toBe(message);
  });
});

describe("response block", () => {
  it("defaults to an empty 200", () => {
    expect(parsed({ response: {} }).response).toEqual({ status: 200, headers: [], body: [] });
  });

  it("splits the body and header values into text and placeholders, adding a text Content-Type", () => {
    const hook = parsed({
      response: {
        status: "202",
        headers: { "X-Receipt": "{webhook_id}/{message_id}" },
        body: '{"ok":true,"id":"{message_id}","other":"{unknown}"}',
      },
    });
    expect(hook.response).toEqual({
      status: 202,
      headers: [
        {
          name: "X-Receipt",
          value: [{ placeholder: "webhook_id" }, "/", { placeholder: "message_id" }],
        },
        { name: "Content-Type", value: ["text/plain; charset=utf-8"] },
      ],
      body: ['{"ok":true,"id":"', { placeholder: "message_id" }, '","other":"{unknown}"}'],
    });
  });

  it("keeps a configured Content-Type", () => {
    const hook = parsed({
      response: { headers: { "content-type": "application/xml" }, body: "<ok/>" },
    });
    expect(hook.response?.headers).toEqual([{ name: "content-type", value: ["application/xml"] }]);
  });

  it.each([
    [
      { response: { status: 500 } },
      "webhooks.json: hook.response.status: expected a 2xx status code (the webhook was stored)",
    ],
    [
      { response: { status: 204, body: "OK" } },
      "webhooks.json: hook.response.body: must be empty with status 204",
    ],
    [
      { response: { headers: { "Content-Length": "2" } } },
      "webhooks.json: hook.response.headers.Content-Length: is set by the receiver and cannot be configured",
    ],
    [
      { response: { headers: { "X-Note": "a\r\nSet-Cookie: x=1" } } },
      "webhooks.json: hook.response.headers.X-Note: expected visible ASCII text (no line breaks or control characters)",
    ],
    [
      { response: { headers: { "Bad Name": "x" } } },
      "webhooks.json: hook.response.headers: 'Bad Name' is not a header name",
    ],
    [
      { response: { code: 200 } },
      "webhooks.json: hook.response.code: unknown key (allowed: status, headers, body)",
    ],
    [{ response: { body: 1 } }, "webhooks.json: hook.response.body: expected a string"],
  ])("refuses %j", (extra, message) => {
    expect(failure(extra)).toBe(message);
  });
});
