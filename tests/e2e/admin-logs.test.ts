/**
 * The real `webhook-connect receiver` process with the admin API enabled:
 * JSON logs carry request and message ids and the traceparent, the
 * `status` command reads the admin API, and no log line ever contains the
 * channel token, the HMAC secret, the admin token or a rotated token.
 */
import { createHmac, randomUUID } from "node:crypto";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { GrpcConsumer } from "../receiver/admin/fixture.js";

describe("receiver logs and admin CLI (real process)", () => {
  const processes: RunningProcess[] = [];

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop("SIGKILL")));
  });

  it("logs ids and traceparent, never a secret", async () => {
    const dir = tempDir("wc-e2e-admin-");
    const channelToken = `chan-${randomUUID()}`;
    const hmacSecret = `hmac-${randomUUID()}`;
    const adminToken = `admin-${randomUUID()}`;
    const config = writeJson(dir, "webhooks.json", {
      signed: {
        module: "webhook_connect",
        "module-config": { channel: "audited", channel_token: channelToken },
        hmac: { secret: hmacSecret, header: "X-Signature", algorithm: "sha256" },
      },
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const receiver = runReceiver(
      {
        config,
        port,
        buffer: `sqlite:${join(dir, "buffer.db")}`,
        heartbeat: 1,
        args: ["--log-level", "debug"],
      },
      { WEBHOOK_CONNECT_ADMIN_TOKEN: adminToken },
    );
    processes.push(receiver);
    await receiver.waitForOutput(/receiver listening/);

    const body = '{"order":42}';
    const traceparent = `00-${randomUUID().replaceAll("-", "")}-${"ab".repeat(8)}-01`;
    const sign = (secret: string) => createHmac("sha256", secret).update(body).digest("hex");
    const post = (signature: string) =>
      request(`${url}/webhook/signed`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": signature, traceparent },
        body,
      });
    const accepted = await post(sign(hmacSecret));
    expect(accepted.statusCode).toBe(200);
    const messageId = ((await accepted.body.json()) as { message_id: string }).message_id;
    const requestId = accepted.headers["x-request-id"];
    expect(typeof requestId).toBe("string");
    const rejected = await post(sign("not-the-secret"));
    expect(rejected.statusCode).toBe(401);
    await rejected.body.text();

    const adminCall = async (method: string, path: string, token: string, json?: unknown) => {
      const res = await request(`${url}/admin/webhook-connect${path}`, {
        method: method as "GET",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
    };
    expect((await adminCall("GET", "/channels", "wrong")).status).toBe(401);

    const consumer = new GrpcConsumer(url, "audited", channelToken, { connectorId: "auditor" });
    const [message] = await consumer.waitForMessages(1);
    expect(message!.messageId).toBe(messageId);
    expect(message!.traceparent).toBe(traceparent);
    consumer.ack(messageId);
    await receiver.waitForOutput(/"msg":"message acked"/);
    await consumer.close();

    const rotation = await adminCall("POST", "/channels/audited/rotate-token", adminToken, {
      grace_period_seconds: 60,
    });
    expect(rotation.status).toBe(200);
    const newToken = rotation.json["new_token"] as string;
    const second = new GrpcConsumer(url, "audited", newToken, { connectorId: "rotated" });
    await second.welcome;
    await second.close();

    const status = runCli(["status", "--cloud-url", url, "--admin-token", adminToken]);
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(/^audited\s+0\s+0\s+0\s+0/m);

    await receiver.waitForOutput(/"msg":"channel token rotated"/);
    receiver.child.kill("SIGTERM");
    expect(await receiver.exited).toBe(0);
    const output = receiver.output();

    for (const secret of [channelToken, hmacSecret, adminToken, newToken]) {
      expect(output.includes(secret), "a secret reached the logs").toBe(false);
    }
    const lines = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const acceptedLine = lines.find((line) => line["msg"] === "webhook accepted");
    expect(acceptedLine).toMatchObject({
      message_id: messageId,
      traceparent,
      request_id: requestId,
      webhook_id: "signed",
      channel: "audited",
    });
    expect(lines.find((line) => line["msg"] === "webhook rejected")).toMatchObject({
      status: 401,
      verifier: "hmac",
      webhook_id: "signed",
    });
    expect(
      lines.find((line) => line["msg"] === "admin request" && line["status"] === 401),
    ).toMatchObject({
      path: "/admin/webhook-connect/channels",
    });
    expect(lines.find((line) => line["msg"] === "channel token rotated")).toMatchObject({
      channel: "audited",
    });
  }, 60_000);
});
