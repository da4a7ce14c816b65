import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../../config-file/config-error.js";
import { type FakeHttp, startFakeHttp } from "../fake-http.js";
import { blobMessage, jsonMessage, never } from "../helpers.js";
import { hookBuilder } from "./one-hook.js";

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

/** The request path without the SDK's `?x-id=PutObject`. */
function pathOf(url: string): string {
  return new URL(url, "http://x").pathname;
}

describe("s3 module against an in-test S3-compatible server", () => {
  let fake: FakeHttp;
  beforeEach(async () => {
    fake = await startFakeHttp();
    fake.reply(() => ({ headers: { etag: '"abc"' } }));
  });
  afterEach(() => fake.close());
  const build = hookBuilder({
    module: "s3",
    moduleConfig: { bucket: "webhook-archive", prefix: "in/" },
    connection: [
      "store",
      () => ({
        type: "s3",
        region: "eu-west-1",
        endpoint_url: fake.url,
        force_path_style: true,
        access_key_id: "AKIDTEST",
        secret_access_key: "secret",
        max_attempts: 1,
      }),
    ],
  });

  it("PUTs the body bytes under prefix + pattern with a SigV4 signature", async () => {
    const b = await build();
    const message = jsonMessage({ id: "evt_1", amount: 42 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(fake.requests).toHaveLength(1);
    const put = fake.requests[0]!;
    expect(put.method).toBe("PUT");
    expect(pathOf(put.url)).toBe(`/webhook-archive/in/hook/2025-03-04/${message.messageId}.json`);
    expect(put.body.equals(Buffer.from(message.body))).toBe(true);
    const signed = SIGV4.exec(put.headers["authorization"] ?? "");
    expect(signed, put.headers["authorization"]).not.toBeNull();
    expect(signed![1]!.split(";")).toEqual(
      expect.arrayContaining(["host", "x-amz-date", "x-amz-content-sha256"]),
    );
    expect(put.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    const sha = put.headers["x-amz-content-sha256"];
    expect([createHash("sha256").update(put.body).digest("hex"), "UNSIGNED-PAYLOAD"]).toContain(
      sha,
    );
    expect(put.headers["content-type"]).toBe("application/json");
    expect(put.headers["x-amz-meta-message-id"]).toBe(message.messageId);
    expect(put.headers["x-amz-meta-webhook-id"]).toBe("hook");
  });

  it("a redelivery writes the same object key", async () => {
    const b = await build({ key_pattern: "{message_id}" });
    const message = jsonMessage({ n: 1 });
    await b.deliverer.deliver(message, never);
    await b.deliverer.deliver(message, never);
    expect(fake.requests.map((r) => pathOf(r.url))).toEqual([
      `/webhook-archive/in/${message.messageId}.json`,
      `/webhook-archive/in/${message.messageId}.json`,
    ]);
  });

  it("stores blob bytes unchanged with a .bin key", async () => {
    const b = await build({}, "blob");
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const message = blobMessage(bytes);
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(new Uint8Array(fake.requests[0]!.body)).toEqual(bytes);
    expect(pathOf(fake.requests[0]!.url)).toMatch(/\.bin$/);
  });

  it("maps 503 and AccessDenied to retry, EntityTooLarge to reject", async () => {
    const b = await build();
    const xml = (code: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`;
    fake.reply(() => ({ status: 503, body: xml("SlowDown") }));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake.reply(() => ({ status: 403, body: xml("AccessDenied") }));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake.reply(() => ({ status: 400, body: xml("EntityTooLarge") }));
    const outcome = await b.deliverer.deliver(jsonMessage({}), never);
    expect(outcome).toMatchObject({
      kind: "reject",
      reason: expect.stringMatching(/EntityTooLarge/),
    });
  });

  it("an unreachable endpoint is a retry", async () => {
    const b = await build();
    await fake.close();
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake = await startFakeHttp();
  });

  it("rejects a key pattern without {message_id} and a bad bucket name", async () => {
    await expect(build({ key_pattern: "{webhook_id}" })).rejects.toThrow(
      /hook\.module-config\.key_pattern: must contain \{message_id\}/,
    );
    await expect(build({ bucket: "Bad_Bucket" })).rejects.toThrow(ConfigError);
    await expect(build({ bucket: "ok-bucket", acl: "public" })).rejects.toThrow(/unknown key/);
  });
});
