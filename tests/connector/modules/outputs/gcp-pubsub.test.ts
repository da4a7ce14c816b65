import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeHttp, startFakeHttp } from "../fake-http.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer, tempDir } from "../helpers.js";

describe("gcp_pubsub module against an in-test Pub/Sub endpoint", () => {
  let fake: FakeHttp;
  const built: TestDeliverer[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    fake = await startFakeHttp();
    fake.reply(() => ({ body: JSON.stringify({ messageIds: ["1"] }) }));
  });
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    for (const c of cleanups.splice(0)) await c();
    await fake.close();
  });

  async function build(
    connection: Record<string, unknown>,
    moduleConfig: Record<string, unknown> = {},
  ) {
    const b = await deliverFrom(
      {
        hook: {
          module: "gcp_pubsub",
          connection: "gcp",
          "module-config": { topic: "webhooks", ...moduleConfig },
        },
      },
      { gcp: { type: "gcp_pubsub", project_id: "proj-1", ...connection } },
    );
    built.push(b);
    return b;
  }

  const emulator = () => ({ emulator_host: new URL(fake.url).host });

  it("publishes the body as data with relay attributes to the emulator", async () => {
    const b = await build(emulator(), { ordering_key: "orders" });
    const message = jsonMessage({ id: "evt_1" });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const request = fake.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/v1/projects/proj-1/topics/webhooks:publish");
    expect(request.headers["authorization"]).toBeUndefined();
    const { messages } = JSON.parse(request.body.toString());
    expect(messages).toHaveLength(1);
    expect(Buffer.from(messages[0].data, "base64").equals(Buffer.from(message.body))).toBe(true);
    expect(messages[0].attributes).toEqual({
      message_id: message.messageId,
      webhook_id: "hook",
      channel: "test-channel",
      received_at: "2025-03-04T05:06:07.089Z",
      content_type: "application/json",
    });
    expect(messages[0].orderingKey).toBe("orders");
  });

  it("400 is a reject; 404, 429 and an unreachable host are retries", async () => {
    const b = await build(emulator());
    fake.reply(() => ({ status: 400, body: '{"error":{"status":"INVALID_ARGUMENT"}}' }));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("reject");
    fake.reply(() => ({ status: 404, body: '{"error":{"status":"NOT_FOUND"}}' }));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake.reply(() => ({ status: 429 }));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    await fake.close();
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake = await startFakeHttp();
  });

  it("with a service-account key: exchanges a signed JWT for a token and reuses it", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyFile = join(dir.path, "key.json");
    await writeFile(
      keyFile,
      JSON.stringify({
        type: "service_account",
        client_email: "relay@proj-1.iam.gserviceaccount.com",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        private_key_id: "k1",
        token_uri: `${fake.url}/token`,
      }),
    );
    const assertions: string[] = [];
    fake.reply((request) => {
      if (request.url === "/token") {
        const form = new URLSearchParams(request.body.toString());
        expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
        assertions.push(form.get("assertion")!);
        return { body: JSON.stringify({ access_token: "ya29.test", expires_in: 3600 }) };
      }
      return { body: JSON.stringify({ messageIds: ["1"] }) };
    });
    const b = await build({ credentials_file: keyFile, endpoint: fake.url });
    expect(await b.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(await b.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(assertions).toHaveLength(1);
    const { payload, protectedHeader } = await jwtVerify(assertions[0]!, publicKey, {
      issuer: "relay@proj-1.iam.gserviceaccount.com",
      audience: `${fake.url}/token`,
    });
    expect(payload["scope"]).toBe("https://www.googleapis.com/auth/pubsub");
    expect(protectedHeader.kid).toBe("k1");
    const publishes = fake.requests.filter((r) => r.url.endsWith(":publish"));
    expect(publishes.map((r) => r.headers["authorization"])).toEqual([
      "Bearer ya29.test",
      "Bearer ya29.test",
    ]);
  });

  it("needs credentials_file without an emulator; validates the topic", async () => {
    await expect(build({})).rejects.toThrow(/gcp\.credentials_file: required unless emulator_host/);
    await expect(build(emulator(), { topic: "goog-x" })).rejects.toThrow(/module-config\.topic/);
  });
});
