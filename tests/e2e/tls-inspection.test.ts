/**
 * A TLS-inspecting corporate proxy (mitmproxy): it terminates TLS with its
 * own CA (trusted through ca_cert_path), speaks only HTTP/1.1 and buffers
 * whole responses. `auto` must notice each broken transport quickly — an
 * HTTP/2 refusal, a stream whose Welcome never arrives within the open
 * timeout — and end on one that works, saying why it left each.
 */
import { randomBytes } from "node:crypto";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProxyUrl } from "../../connector/transport/proxy.js";
import { createTransportForProtocol } from "../../connector/transport/select.js";
import { loadTlsOptions } from "../../connector/transport/tls.js";
import type { RelaySession, Transport } from "../../connector/transport/transport.js";
import { makeSelfSignedCert } from "../helpers/certs.js";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import {
  proxyProgramAvailable,
  startMitmproxy,
  type TlsInspectingProxy,
} from "../helpers/proxy-servers.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { startTarget } from "../helpers/target.js";
import { headerOf } from "./harness.js";
import { openSession, postBlob, receiveAcking } from "./proxied-relay.js";

const available = proxyProgramAvailable("mitmdump");
const OPEN_TIMEOUT_MS = 2_000;

describe.skipIf(!available)("connector through a TLS-inspecting proxy (mitmproxy)", () => {
  const cert = makeSelfSignedCert("localhost");
  const dir = tempDir("wc-mitm-");
  const token = "mitm-channel-token";
  const sender = new Agent({ connect: { ca: cert.cert } });
  let receiver: RunningProcess;
  let cloudUrl = "";
  let withWebSocket: TlsInspectingProxy;
  let withoutWebSocket: TlsInspectingProxy;
  const transports: Transport[] = [];
  const sessions: RelaySession[] = [];

  beforeAll(async () => {
    const port = await freePort();
    cloudUrl = `https://127.0.0.1:${port}`;
    const config = writeJson(dir, "webhooks.json", {
      hook: {
        data_type: "blob",
        module: "webhook_connect",
        "module-config": { channel: "mitm", channel_token: token },
      },
    });
    receiver = runReceiver({
      config,
      port,
      buffer: `sqlite:${dir}/buffer.db`,
      heartbeat: 1,
      tls: cert,
    });
    [withWebSocket, withoutWebSocket] = await Promise.all([
      startMitmproxy(),
      startMitmproxy({ blockWebSocket: true }),
      receiver.waitForOutput(/receiver listening/),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all(transports.map((t) => t.close()));
    await receiver?.stop("SIGKILL");
    await Promise.all([withWebSocket?.close(), withoutWebSocket?.close(), sender.close()]);
  });

  async function openAuto(mitm: TlsInspectingProxy, group: string): Promise<RelaySession> {
    const proxy = parseProxyUrl(mitm.url);
    if ("problem" in proxy) throw new Error(proxy.problem);
    const transport = createTransportForProtocol("auto", {
      cloudUrl,
      token,
      tls: loadTlsOptions({ caCertPath: mitm.caCertPath }),
      proxy,
      openTimeoutMs: OPEN_TIMEOUT_MS,
    });
    transports.push(transport);
    const session = await openSession(transport, {
      channel: "mitm",
      group,
      maxInFlight: 8,
      timeoutMs: 30_000,
    });
    sessions.push(session);
    return session;
  }

  async function deliversThrough(session: RelaySession): Promise<void> {
    const body = Buffer.concat([Buffer.from([0, 255]), randomBytes(32)]);
    await receiveAcking(session, await postBlob(cloudUrl, sender, body), body);
  }

  it("leaves HTTP/2 and the buffered Connect stream quickly and ends on WebSocket", async () => {
    const started = Date.now();
    const session = await openAuto(withWebSocket, "ws");
    expect(session.transport).toBe("websocket");
    const reasons = (session.fallbacks ?? []).map((f) => `${f.transport}: ${f.error.message}`);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^grpc: .*HTTP\/2/);
    expect(reasons[1]).toBe(
      `connect_http1: connect_http1: no Welcome within ${OPEN_TIMEOUT_MS} ms`,
    );
    // One open timeout, not one per transport: the HTTP/2 refusal is noticed at once.
    expect(Date.now() - started).toBeLessThan(OPEN_TIMEOUT_MS * 2 + 3_000);
    await deliversThrough(session);
  });

  it("trusts the inspecting proxy's CA from NODE_EXTRA_CA_CERTS (connector CLI, HTTPS_PROXY)", async () => {
    const target = await startTarget();
    const config = writeJson(dir, "connector.json", {
      cloud_url: cloudUrl,
      channel: "mitm",
      token,
      protocol: "websocket",
      group: "extra-ca",
      reconnect_delay: 0.2,
      default_target: { url: `${target.url}/extra-ca` },
    });
    const connector = runCli(["connector", "--config", config], {
      NODE_EXTRA_CA_CERTS: withWebSocket.caCertPath,
      HTTPS_PROXY: withWebSocket.url,
      NO_PROXY: "",
      no_proxy: "",
      https_proxy: "",
    });
    try {
      const line = await connector.waitForOutput(/^.*"msg":"connected".*$/m);
      expect(line).toContain('"transport":"websocket"');
      const body = Buffer.from("through the inspecting proxy");
      const id = await postBlob(cloudUrl, sender, body);
      const delivered = () =>
        target.requests.find((r) => headerOf(r.rawHeaders, "x-webhook-message-id") === id);
      await expect.poll(() => delivered()?.body.equals(body), { timeout: 10_000 }).toBe(true);
    } finally {
      await connector.stop("SIGKILL");
      await target.close();
    }
  });

  it("with WebSocket blocked, also leaves the buffered SSE stream and ends on long-poll", async () => {
    const session = await openAuto(withoutWebSocket, "poll");
    expect(session.transport).toBe("long_poll");
    const fallbacks = (session.fallbacks ?? []).map((f) => f.transport);
    expect(fallbacks).toEqual(["grpc", "connect_http1", "websocket", "sse"]);
    expect(session.fallbacks?.[3]?.error.message).toBe(
      `sse: no 'connected' event within ${OPEN_TIMEOUT_MS} ms (a buffering proxy?)`,
    );
    await deliversThrough(session);
  });
});
