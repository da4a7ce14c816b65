/**
 * The shipped reverse-proxy configs (docs/deploy/nginx.conf and
 * haproxy.cfg), run by the real nginx and HAProxy on 127.0.0.1 in front of
 * a receiver: TLS termination; every connector transport through them
 * (gRPC and Connect over HTTP/2, Connect over HTTP/1.1, WebSocket, SSE,
 * long-poll) byte-exact with acks; the sender's address reaching the
 * receiver through X-Forwarded-For (source_ip with
 * WEBHOOK_CONNECT_TRUSTED_PROXIES, ip_whitelist with trusted_proxies); and
 * heartbeats keeping idle streams open under nginx's read timeout.
 */
import { randomBytes } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RelaySession, Transport } from "../../connector/transport/index.js";
import { freePort, type RunningProcess, tempDir, writeJson } from "../helpers/processes.js";
import { type ProxyServer, proxyProgramAvailable, startNginx } from "../helpers/proxy-servers.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { adminJson, openSession, receiveAcking } from "./proxied-relay.js";
import {
  channelStatsUrl,
  httpsUrl,
  localhostTls,
  startShippedProxies,
  connectorTransports as transports,
} from "./reverse-proxy-fixture.js";

const available = proxyProgramAvailable("nginx") && proxyProgramAvailable("haproxy");
const SENDER = "127.0.0.5";
const OUTSIDER = "127.0.0.6";
const token = "reverse-proxy-channel-token";
const adminToken = "reverse-proxy-admin-token";

describe.skipIf(!available)("receiver behind the shipped nginx and HAProxy configs", () => {
  const { cert, tls } = localhostTls();
  const dir = tempDir("wc-reverse-");
  const fromSender = new Agent({ localAddress: SENDER, connect: { ca: cert.cert } });
  const fromOutsider = new Agent({ localAddress: OUTSIDER, connect: { ca: cert.cert } });
  const opened: { transport: Transport; session: RelaySession; beat: NodeJS.Timeout }[] = [];
  let receiver: RunningProcess;
  let receiverUrl = "";
  const proxies: Record<string, ProxyServer> = {};

  beforeAll(async () => {
    const port = await freePort();
    receiverUrl = `http://127.0.0.1:${port}`;
    const config = writeJson(dir, "webhooks.json", {
      ...Object.fromEntries(
        ["nginx", "haproxy", "idle"].map((kind) => [
          `hook-${kind}`,
          {
            data_type: "blob",
            module: "webhook_connect",
            "module-config": { channel: `rp-${kind}`, channel_token: token, max_connections: 20 },
          },
        ]),
      ),
      guarded: {
        data_type: "blob",
        module: "webhook_connect",
        "module-config": { channel: "rp-guarded", channel_token: token },
        ip_whitelist: [SENDER],
        trusted_proxies: ["127.0.0.1"],
      },
    });
    receiver = runReceiver(
      { config, port, buffer: `sqlite:${dir}/buffer.db`, heartbeat: 1 },
      { WEBHOOK_CONNECT_TRUSTED_PROXIES: "127.0.0.1", WEBHOOK_CONNECT_ADMIN_TOKEN: adminToken },
    );
    await receiver.waitForOutput(/receiver listening/);
    const upstream = `127.0.0.1:${port}`;
    [[proxies["nginx"], proxies["haproxy"]], proxies["nginx-idle"]] = await Promise.all([
      startShippedProxies(upstream, cert),
      // nginx cutting streams idle for 3 s (its default is 60 s); heartbeats come every second.
      startNginx({
        upstream,
        cert,
        replace: [["proxy_read_timeout 120s;", "proxy_read_timeout 3s;"]],
      }),
    ]);
  });

  async function closeAll() {
    const closing = opened.splice(0);
    for (const { beat } of closing) clearInterval(beat);
    await Promise.all(closing.map(({ session }) => session.close()));
    await Promise.all(closing.map(({ transport }) => transport.close()));
  }

  afterEach(closeAll);

  afterAll(async () => {
    await receiver?.stop("SIGKILL");
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    await Promise.all([fromSender.close(), fromOutsider.close()]);
  });

  async function open(
    proxy: ProxyServer,
    channel: string,
    name: string,
    group: string,
  ): Promise<RelaySession> {
    const transport = transports[name]!({ cloudUrl: httpsUrl(proxy), token, tls });
    const session = await openSession(transport, {
      channel,
      group,
      maxInFlight: 8,
      timeoutMs: 15_000,
    });
    // The connector's runner beats every second too: the receiver drops a silent client.
    const beat = setInterval(() => session.heartbeat(), 1_000);
    opened.push({ transport, session, beat });
    return session;
  }

  async function send(proxy: ProxyServer, webhook: string, agent: Agent, body: Buffer) {
    const response = await request(`${httpsUrl(proxy)}/webhook/${webhook}`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    const text = await response.body.text();
    // A proxy's own error page is HTML, not the receiver's JSON.
    const json = text.startsWith("{") ? (JSON.parse(text) as Record<string, string>) : {};
    return { status: response.statusCode, json, text };
  }

  /** Sends a request head announcing `length` body bytes and returns the answer's head and start. */
  function announceBody(proxy: ProxyServer, webhook: string, length: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: "127.0.0.1",
        port: proxy.port,
        ca: cert.cert,
        ALPNProtocols: ["http/1.1"],
      });
      let answer = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        answer += chunk;
        if (/\r\n\r\n<html>/i.test(answer)) {
          socket.destroy();
          resolve(answer);
        }
      });
      socket.on("error", reject);
      socket.on("end", () => resolve(answer));
      socket.write(
        `POST /webhook/${webhook} HTTP/1.1\r\nHost: relay.example.com\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`,
      );
    });
  }

  async function inFlight(channel: string): Promise<number> {
    const stats = await adminJson<{ messages_in_flight: number }>(
      channelStatsUrl(receiverUrl, channel),
      adminToken,
    );
    return stats.messages_in_flight;
  }

  for (const kind of ["nginx", "haproxy"]) {
    it(`${kind}: every transport receives byte-exact and acks, with the sender's address as source_ip`, async () => {
      const proxy = proxies[kind]!;
      const sessions = await Promise.all(
        Object.keys(transports).map(async (name) => ({
          name,
          session: await open(proxy, `rp-${kind}`, name, name.replace("_", "-")),
        })),
      );
      for (const { name, session } of sessions) expect(session.transport).toBe(name);
      const body = Buffer.concat([Buffer.from([0, 255, 13, 10]), randomBytes(256)]);
      const sent = await send(proxy, `hook-${kind}`, fromSender, body);
      expect(sent.status).toBe(200);
      for (const { session } of sessions) {
        // X-Forwarded-For from the proxy, believed through WEBHOOK_CONNECT_TRUSTED_PROXIES.
        expect(await receiveAcking(session, sent.json["message_id"]!, body)).toBe(SENDER);
      }
      await expect.poll(() => inFlight(`rp-${kind}`)).toBe(0);
    });

    it(`${kind}: ip_whitelist sees the sender's address, not the proxy's`, async () => {
      const proxy = proxies[kind]!;
      const allowed = await send(proxy, "guarded", fromSender, Buffer.from("from the sender"));
      expect(allowed.status).toBe(200);
      const refused = await send(proxy, "guarded", fromOutsider, Buffer.from("from elsewhere"));
      expect(refused.status).toBe(403);
    });

    it(`${kind}: passes a body of max_message_bytes and refuses a larger one itself`, async () => {
      const proxy = proxies[kind]!;
      const max = 10 * 1024 * 1024;
      expect((await send(proxy, "guarded", fromSender, Buffer.alloc(max, 7))).status).toBe(200);
      // Announced only: the proxy answers from the head, before any byte of the body.
      const tooBig = await announceBody(proxy, "guarded", max + 1);
      expect(tooBig).toMatch(/^HTTP\/1\.1 413 /);
      // The proxy's page, not the receiver's JSON error: the body never reached the receiver.
      expect(tooBig).toMatch(/\r\n\r\n<html>/i);
    });
  }

  it("nginx: heartbeats keep idle streams open past proxy_read_timeout", async () => {
    const proxy = proxies["nginx-idle"]!;
    const sessions = await Promise.all(
      ["grpc", "connect_http1", "websocket", "sse"].map((name) =>
        open(proxy, "rp-idle", name, name.replace("_", "-")),
      ),
    );
    // Longer than nginx's read timeout (3 s) without a message.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const body = Buffer.from("after an idle stretch");
    const sent = await send(proxy, "hook-idle", fromSender, body);
    expect(sent.status).toBe(200);
    for (const session of sessions) {
      expect(await receiveAcking(session, sent.json["message_id"]!, body)).toBe(SENDER);
    }
  });
});
