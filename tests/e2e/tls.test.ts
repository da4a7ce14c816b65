/**
 * TLS on the one port (SPEC §5): with --tls-cert/--tls-key, ALPN picks
 * HTTP/2 or HTTP/1.1 on the same listener; ingest works over both and a
 * connector trusting the CA streams over gRPC on HTTP/2.
 */
import { connect as connectHttp2 } from "node:http2";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeSelfSignedCert } from "../helpers/certs.js";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { startTarget, type Target } from "../helpers/target.js";
import { headerOf } from "./harness.js";

describe("receiver with TLS", () => {
  const cert = makeSelfSignedCert("localhost");
  const dir = tempDir("wc-tls-");
  const token = "tls-channel-token";
  let port = 0;
  let receiver: RunningProcess;
  let connector: RunningProcess | undefined;
  let target: Target;
  const agent = new Agent({ connect: { ca: cert.cert } });

  beforeAll(async () => {
    port = await freePort();
    const config = writeJson(dir, "webhooks.json", {
      hook: {
        module: "webhook_connect",
        "module-config": { channel: "tls", channel_token: token },
      },
    });
    receiver = runReceiver({ config, port, buffer: `sqlite:${dir}/buffer.db`, tls: cert });
    await receiver.waitForOutput(/receiver listening/);
    target = await startTarget();
  });

  afterAll(async () => {
    await connector?.stop("SIGKILL");
    await receiver.stop("SIGKILL");
    await target.close();
    await agent.close();
  });

  it("answers HTTP/1.1 over TLS when the client offers only http/1.1", async () => {
    const res = await request(`https://127.0.0.1:${port}/health`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: "ok" });
  });

  it("negotiates h2 by ALPN and serves ingest over HTTP/2", async () => {
    const session = connectHttp2(`https://127.0.0.1:${port}`, { ca: cert.cert });
    try {
      expect(
        await new Promise((resolve) =>
          session.once("connect", () => resolve(session.alpnProtocol)),
        ),
      ).toBe("h2");
      const stream = session.request({
        ":method": "POST",
        ":path": "/webhook/hook",
        "content-type": "application/json",
      });
      stream.end('{"over":"h2"}');
      const [status, body] = await new Promise<[number, string]>((resolve, reject) => {
        let code = 0;
        let text = "";
        stream.on("response", (headers) => {
          code = Number(headers[":status"]);
        });
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          text += chunk;
        });
        stream.on("end", () => resolve([code, text]));
        stream.on("error", reject);
      });
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ status: "accepted", channel: "tls" });
    } finally {
      session.close();
    }
  });

  it("refuses a client that does not trust the certificate", async () => {
    await expect(request(`https://127.0.0.1:${port}/health`)).rejects.toThrow(/certificate/i);
  });

  it("streams to a connector that trusts the CA, over gRPC on HTTP/2", async () => {
    const sent = await request(`https://127.0.0.1:${port}/webhook/hook`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/json" },
      body: '{"over":"tls"}',
    });
    expect(sent.statusCode).toBe(200);
    const { message_id: messageId } = (await sent.body.json()) as { message_id: string };
    const config = writeJson(dir, "connector.json", {
      cloud_url: `https://127.0.0.1:${port}`,
      channel: "tls",
      token,
      protocol: "grpc",
      ca_cert_path: cert.certPath,
      reconnect_delay: 0.2,
      default_target: { url: target.url },
    });
    connector = runCli(["connector", "--config", config]);
    await target.waitForRequests(2);
    const ids = target.requests.map((r) => headerOf(r.rawHeaders, "x-webhook-message-id"));
    expect(ids).toContain(messageId);
    const tlsBody = target.requests.find(
      (r) => headerOf(r.rawHeaders, "x-webhook-message-id") === messageId,
    );
    expect(tlsBody?.body.toString()).toBe('{"over":"tls"}');
  });
});
