/**
 * Provider handshakes answered by a running receiver (issue 21): each
 * provider's documented handshake request, signed in the test where the
 * provider signs it, gets the exact documented answer and is not stored;
 * a tampered one is not answered as a handshake; an ordinary event on the
 * same webhook is stored as before.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Answer,
  type ReceiverFixture,
  relayed,
  send,
  startReceiverFixture,
} from "../hardening/receiver-fixture.js";

const SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const ZOOM_SECRET = "zoom-secret-token-1";
const ZOOM_OLD_SECRET = "zoom-secret-token-0";
const TWITTER_SECRET = "twitter-consumer-secret";
const DROPBOX_SECRET = "dropbox-app-secret";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const hmac = (key: string, data: string, encoding: "hex" | "base64") =>
  createHmac("sha256", key).update(data).digest(encoding);

/** Slack's documented url_verification body. */
const SLACK_CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";
const SLACK_VERIFICATION = JSON.stringify({
  token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
  challenge: SLACK_CHALLENGE,
  type: "url_verification",
});
/** Zoom's documented endpoint.url_validation body. */
const ZOOM_PLAIN_TOKEN = "qgg8vlvZRS6UYooatFL8Aw";
const ZOOM_VALIDATION = JSON.stringify({
  payload: { plainToken: ZOOM_PLAIN_TOKEN },
  event_ts: 1654503849680,
  event: "endpoint.url_validation",
});

const slackHeaders = (body: string, secret = SLACK_SECRET, ts = nowSeconds()) => ({
  "Content-Type": "application/json",
  "X-Slack-Request-Timestamp": String(ts),
  "X-Slack-Signature": `v0=${hmac(secret, `v0:${ts}:${body}`, "hex")}`,
});
const zoomHeaders = (body: string, secret = ZOOM_SECRET, ts = nowSeconds()) => ({
  "Content-Type": "application/json; charset=utf-8",
  "x-zm-request-timestamp": String(ts),
  "x-zm-signature": `v0=${hmac(secret, `v0:${ts}:${body}`, "hex")}`,
});

const GENERIC_401 = { error: "unauthorized", message: "authentication failed" };

let fixture: ReceiverFixture;
const url = (webhook: string, query = "") => `${fixture.url}/webhook/${webhook}${query}`;

beforeAll(async () => {
  fixture = await startReceiverFixture({
    slack: relayed("slack", {
      hmac: { provider: "slack", secret: SLACK_SECRET },
      handshake: { provider: "slack" },
    }),
    // Secret only in the handshake block: events are not authenticated.
    "slack-open": relayed("slack-open", {
      handshake: { provider: "slack", secret: SLACK_SECRET },
    }),
    zoom: relayed("zoom", {
      hmac: { provider: "zoom", secret: [ZOOM_SECRET, ZOOM_OLD_SECRET] },
      handshake: { provider: "zoom" },
    }),
    graph: relayed("graph", { handshake: { provider: "microsoft-graph" } }),
    "graph-relay": relayed("graph-relay", { handshake: { provider: "microsoft-graph" } }),
    dropbox: relayed("dropbox", {
      hmac: { secret: DROPBOX_SECRET, header: "X-Dropbox-Signature" },
      handshake: { provider: "dropbox" },
    }),
    twitter: relayed("twitter", {
      hmac: {
        secret: TWITTER_SECRET,
        header: "X-Twitter-Webhooks-Signature",
        encoding: "base64",
        prefix: "sha256=",
      },
      handshake: { provider: "twitter-crc" },
    }),
    "dropbox-guarded": relayed("dropbox-guarded", {
      ip_whitelist: ["192.0.2.0/24"],
      handshake: { provider: "dropbox" },
    }),
    plain: relayed("plain"),
  });
});

afterAll(async () => {
  await fixture?.close();
});

async function handshakesCounted(webhook: string, provider: string): Promise<number> {
  const { body } = await fixture.receiver.metrics.render();
  const line = body
    .split("\n")
    .find((text) =>
      text.startsWith(
        `webhook_connect_handshakes_total{webhook_id="${webhook}",provider="${provider}"}`,
      ),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/**
 * Sends a handshake to `webhook` (with `query`) and checks what every
 * answered handshake does: it stores nothing and counts one handshake of
 * `provider`. Resolves with the answer for the provider's own checks.
 */
async function sendHandshake(
  webhook: string,
  provider: string,
  init: Parameters<typeof send>[1],
  query = "",
): Promise<Answer> {
  const before = await handshakesCounted(webhook, provider);
  const answer = await send(url(webhook, query), init);
  expect(await fixture.stored(webhook)).toEqual([]);
  expect(await handshakesCounted(webhook, provider)).toBe(before + 1);
  return answer;
}

function expectEcho(answer: Answer, token: string): void {
  expect(answer.status).toBe(200);
  expect(answer.headers["content-type"]).toBe("text/plain");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  expect(answer.text).toBe(token);
}

async function expectStoredEvent(answer: Answer, channel: string, body: string): Promise<void> {
  expect(answer.status, answer.text).toBe(200);
  const accepted = JSON.parse(answer.text) as { status: string; message_id: string };
  expect(accepted.status).toBe("accepted");
  const stored = await fixture.stored(channel);
  expect(stored.map((message) => message.messageId)).toEqual([accepted.message_id]);
  expect(Buffer.from(stored[0]!.body).toString("utf8")).toBe(body);
}

describe("slack url_verification", () => {
  it("answers a signed url_verification with the challenge as text/plain and stores nothing", async () => {
    const answer = await sendHandshake("slack", "slack", {
      headers: slackHeaders(SLACK_VERIFICATION),
      body: SLACK_VERIFICATION,
    });
    expectEcho(answer, SLACK_CHALLENGE);
  });

  it("does not answer a url_verification signed with another secret", async () => {
    const answer = await send(url("slack"), {
      headers: slackHeaders(SLACK_VERIFICATION, "not-the-signing-secret"),
      body: SLACK_VERIFICATION,
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual(GENERIC_401);
    expect(await fixture.stored("slack")).toEqual([]);
  });

  it("does not answer a url_verification whose timestamp is older than 300 s", async () => {
    const answer = await send(url("slack"), {
      headers: slackHeaders(SLACK_VERIFICATION, SLACK_SECRET, nowSeconds() - 301),
      body: SLACK_VERIFICATION,
    });
    expect(answer.status).toBe(401);
    expect(answer.text).not.toContain(SLACK_CHALLENGE);
  });

  it("handles an unsigned url_verification as a normal webhook when events need no signature", async () => {
    const answer = await send(url("slack-open"), {
      headers: { "Content-Type": "application/json" },
      body: SLACK_VERIFICATION,
    });
    await expectStoredEvent(answer, "slack-open", SLACK_VERIFICATION);
  });

  it("stores and relays a signed event on the same webhook", async () => {
    const event = JSON.stringify({
      token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      team_id: "T061EG9RZ",
      type: "event_callback",
      event: { type: "app_mention", text: "url_verification is a word here" },
    });
    const answer = await send(url("slack"), { headers: slackHeaders(event), body: event });
    await expectStoredEvent(answer, "slack", event);
  });
});

describe("zoom endpoint.url_validation", () => {
  it("answers plainToken and its HMAC-SHA256 encryptedToken as JSON and stores nothing", async () => {
    const answer = await sendHandshake("zoom", "zoom", {
      headers: zoomHeaders(ZOOM_VALIDATION),
      body: ZOOM_VALIDATION,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.text)).toEqual({
      plainToken: ZOOM_PLAIN_TOKEN,
      encryptedToken: hmac(ZOOM_SECRET, ZOOM_PLAIN_TOKEN, "hex"),
    });
  });

  it("answers with the secret that signed the request during a rotation", async () => {
    const answer = await send(url("zoom"), {
      headers: zoomHeaders(ZOOM_VALIDATION, ZOOM_OLD_SECRET),
      body: ZOOM_VALIDATION,
    });
    expect(JSON.parse(answer.text)).toEqual({
      plainToken: ZOOM_PLAIN_TOKEN,
      encryptedToken: hmac(ZOOM_OLD_SECRET, ZOOM_PLAIN_TOKEN, "hex"),
    });
  });

  it("does not answer a validation whose body changed after signing", async () => {
    const tampered = ZOOM_VALIDATION.replace(ZOOM_PLAIN_TOKEN, "attackerChosenToken");
    const answer = await send(url("zoom"), {
      headers: zoomHeaders(ZOOM_VALIDATION),
      body: tampered,
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual(GENERIC_401);
    expect(await fixture.stored("zoom")).toEqual([]);
  });

  it("stores and relays a signed event on the same webhook", async () => {
    const event = JSON.stringify({
      event: "meeting.started",
      event_ts: 1654503849681,
      payload: { account_id: "D8cJuqWVQ623CI4Q8yQK0Q", object: { id: "85" } },
    });
    const answer = await send(url("zoom"), { headers: zoomHeaders(event), body: event });
    await expectStoredEvent(answer, "zoom", event);
  });
});

describe("microsoft graph validationToken", () => {
  const token =
    "Validation: Testing client application reachability for subscription Request-Id: 7f8fbd8b-ba63-4bc1-8d82-0a4a56f9c1a5";

  it("echoes the URL-decoded validationToken as text/plain and stores nothing", async () => {
    const answer = await sendHandshake(
      "graph",
      "microsoft-graph",
      { headers: { "Content-Type": "text/plain; charset=utf-8" }, body: "" },
      `?validationToken=${encodeURIComponent(token)}`,
    );
    expectEcho(answer, token);
  });

  it("stores and relays a change notification on the same webhook", async () => {
    const notification = JSON.stringify({
      value: [
        {
          subscriptionId: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
          clientState: "secretClientValue",
          changeType: "created",
          resource: "Users/{user-id}/Messages/{message-id}",
        },
      ],
    });
    const answer = await send(url("graph"), {
      headers: { "Content-Type": "application/json" },
      body: notification,
    });
    await expectStoredEvent(answer, "graph", notification);
  });

  it("relays the notification to a connector (long-poll), never the validation", async () => {
    const validation = await send(url("graph-relay", "?validationToken=token-1"), { body: "" });
    expectEcho(validation, "token-1");
    const notification = '{"value":[{"changeType":"updated","clientState":"c"}]}';
    const accepted = await send(url("graph-relay"), {
      headers: { "Content-Type": "application/json" },
      body: notification,
    });
    expect(accepted.status).toBe(200);
    const messageId = (JSON.parse(accepted.text) as { message_id: string }).message_id;
    const poll = await send(
      `${fixture.url}/connect/stream/graph-relay/poll?timeout=5&max_messages=10`,
      { method: "GET", headers: { Authorization: "Bearer tok-graph-relay" } },
    );
    expect(poll.status).toBe(200);
    const frames = JSON.parse(poll.text) as {
      type: string;
      message_id: string;
      payload: unknown;
    }[];
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      type: "webhook",
      message_id: messageId,
      payload: JSON.parse(notification),
    });
  });

  it("refuses a GET: Graph validates with a POST", async () => {
    const answer = await send(url("graph", "?validationToken=abc"), { method: "GET" });
    expect(answer.status).toBe(405);
  });
});

describe("dropbox challenge", () => {
  it("echoes the challenge of a GET with nosniff and stores nothing", async () => {
    const answer = await sendHandshake(
      "dropbox",
      "dropbox",
      { method: "GET" },
      "?challenge=kduFaUfLJNjVH3ZKgjQ7",
    );
    expectEcho(answer, "kduFaUfLJNjVH3ZKgjQ7");
  });

  it("lists GET in the Allow header of a 405", async () => {
    const answer = await send(url("dropbox"), { method: "DELETE" });
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("GET, POST, PUT, PATCH");
  });

  it("answers a GET without a challenge with 400 handshake_expected", async () => {
    const answer = await send(url("dropbox"), { method: "GET" });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({
      error: "handshake_expected",
      message:
        "GET is only answered as the dropbox handshake: expected a GET with a challenge query parameter",
    });
  });

  it("applies the webhook's other checks: an IP allow-list refuses the challenge", async () => {
    const answer = await send(url("dropbox-guarded", "?challenge=abc"), { method: "GET" });
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain("abc");
  });

  it("stores and relays a signed notification on the same webhook", async () => {
    const notification = JSON.stringify({
      list_folder: { accounts: ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"] },
      delta: { users: [12345678] },
    });
    const answer = await send(url("dropbox"), {
      headers: {
        "Content-Type": "application/json",
        "X-Dropbox-Signature": hmac(DROPBOX_SECRET, notification, "hex"),
      },
      body: notification,
    });
    await expectStoredEvent(answer, "dropbox", notification);
  });
});

describe("x/twitter crc", () => {
  it("answers crc_token with response_token sha256=<base64 HMAC> and stores nothing", async () => {
    const crcToken = "ZjI1OWQ4YzEtNTI4Yy00ZmQ4LWFmZjEtNjE3ZmUxOTA1OTE5";
    const answer = await sendHandshake(
      "twitter",
      "twitter-crc",
      { method: "GET" },
      `?crc_token=${crcToken}&nonce=MTYwMzM3OTA2NDk0Nw`,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.text)).toEqual({
      response_token: `sha256=${hmac(TWITTER_SECRET, crcToken, "base64")}`,
    });
  });

  it("stores and relays a signed account activity event on the same webhook", async () => {
    const event = JSON.stringify({
      for_user_id: "2244994945",
      tweet_create_events: [{ id_str: "1322591463447040000", text: "hello" }],
    });
    const answer = await send(url("twitter"), {
      headers: {
        "Content-Type": "application/json",
        "X-Twitter-Webhooks-Signature": `sha256=${hmac(TWITTER_SECRET, event, "base64")}`,
      },
      body: event,
    });
    await expectStoredEvent(answer, "twitter", event);
  });
});

describe("webhooks without a GET handshake", () => {
  it.each(["plain", "slack", "zoom"])("answer GET on %s with 405 as before", async (webhook) => {
    const answer = await send(url(webhook, "?challenge=abc"), { method: "GET" });
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("POST, PUT, PATCH");
  });

  it("answers GET on an unknown webhook with 405 as before", async () => {
    const answer = await send(url("nope", "?crc_token=abc"), { method: "GET" });
    expect(answer.status).toBe(405);
  });
});
