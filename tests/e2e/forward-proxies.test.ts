/**
 * Connectors behind corporate forward proxies (squid, tinyproxy), each
 * started on 127.0.0.1: every transport reaches a TLS receiver through a
 * CONNECT tunnel, with and without Basic authentication, and delivers
 * byte-exact; NO_PROXY bypasses; `--proxy` beats HTTPS_PROXY; a wrong
 * password, a refused port and an unreachable proxy are one line naming
 * the proxy; the credentials never reach the log.
 */
import { randomBytes } from "node:crypto";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProxyUrl } from "../../connector/transport/proxy.js";
import { createTransportForProtocol } from "../../connector/transport/select.js";
import { loadTlsOptions } from "../../connector/transport/tls.js";
import { makeSelfSignedCert } from "../helpers/certs.js";
import { freePort, type RunningProcess, runCli, tempDir, writeJson } from "../helpers/processes.js";
import {
  type ProxyServer,
  proxyProgramAvailable,
  startSquid,
  startTinyproxy,
} from "../helpers/proxy-servers.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { startTarget, type Target } from "../helpers/target.js";
import { e2eBackends, headerOf, Relay } from "./harness.js";
import { adminJson, openSession, postBlob, receiveAcking } from "./proxied-relay.js";

const available = proxyProgramAvailable("squid") && proxyProgramAvailable("tinyproxy");
const protocols = ["grpc", "connect", "websocket", "sse", "long_poll"] as const;
const credentials = { user: "alice", password: "s3cret-Proxy-pw" };

describe.skipIf(!available)("connector through forward proxies to a TLS receiver", () => {
  const cert = makeSelfSignedCert("localhost");
  const dir = tempDir("wc-fwd-proxy-");
  const token = "fwd-proxy-channel-token";
  const adminToken = "fwd-proxy-admin-token";
  const sender = new Agent({ connect: { ca: cert.cert } });
  const processes: RunningProcess[] = [];
  let port = 0;
  let cloudUrl = "";
  let squid: ProxyServer;
  let tinyproxy: ProxyServer;
  let target: Target;

  beforeAll(async () => {
    port = await freePort();
    cloudUrl = `https://127.0.0.1:${port}`;
    const config = writeJson(dir, "webhooks.json", {
      hook: {
        data_type: "blob",
        module: "webhook_connect",
        "module-config": { channel: "fwd", channel_token: token, max_connections: 50 },
      },
    });
    const receiver = runReceiver(
      { config, port, buffer: `sqlite:${dir}/buffer.db`, heartbeat: 1, tls: cert },
      { WEBHOOK_CONNECT_ADMIN_TOKEN: adminToken },
    );
    processes.push(receiver);
    [squid, tinyproxy, target] = await Promise.all([
      startSquid({ credentials }),
      startTinyproxy(),
      startTarget(),
      receiver.waitForOutput(/receiver listening/),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await Promise.all([squid?.close(), tinyproxy?.close(), target?.close(), sender.close()]);
  });

  function connector(
    name: string,
    options: { protocol?: string; group?: string; args?: string[]; env?: Record<string, string> },
  ): RunningProcess {
    const config = writeJson(dir, `connector-${name}.json`, {
      cloud_url: cloudUrl,
      channel: "fwd",
      token,
      protocol: options.protocol ?? "auto",
      connector_id: name,
      ca_cert_path: cert.certPath,
      reconnect_delay: 0.2,
      max_reconnect_delay: 1,
      ...(options.group === undefined ? {} : { group: options.group }),
      default_target: { url: `${target.url}/${name}`, timeout_seconds: 5 },
    });
    const child = runCli(["connector", "--config", config, ...(options.args ?? [])], {
      HTTPS_PROXY: "",
      https_proxy: "",
      NO_PROXY: "",
      no_proxy: "",
      ...options.env,
    });
    processes.push(child);
    return child;
  }

  /** Posts a webhook to the TLS receiver directly; returns its message id. */
  const send = (body: Buffer) => postBlob(cloudUrl, sender, body);

  it("receives byte-exact and acks over every transport through squid (Basic auth) and tinyproxy", async () => {
    const squidProxy = parseProxyUrl(
      `http://${credentials.user}:${credentials.password}@127.0.0.1:${squid.port}`,
    );
    const tinyProxy = parseProxyUrl(tinyproxy.url);
    if ("problem" in squidProxy || "problem" in tinyProxy) throw new Error("bad proxy URL");
    const tls = loadTlsOptions({ caCertPath: cert.certPath });
    const paths = protocols.flatMap((protocol) => [
      { group: `squid-${protocol.replace("_", "-")}`, protocol, proxy: squidProxy },
      { group: `tiny-${protocol.replace("_", "-")}`, protocol, proxy: tinyProxy },
    ]);
    const opened = await Promise.all(
      paths.map(async (path) => {
        const transport = createTransportForProtocol(path.protocol, {
          cloudUrl,
          token,
          tls,
          proxy: path.proxy,
        });
        const session = await openSession(transport, {
          channel: "fwd",
          group: path.group,
          maxInFlight: 16,
          timeoutMs: 20_000,
        });
        return { ...path, transport, session };
      }),
    );
    try {
      const bodies = Array.from({ length: 4 }, (_, i) =>
        Buffer.concat([Buffer.from([0, 255, 13, 10, i]), randomBytes(64)]),
      );
      const ids: string[] = [];
      for (const body of bodies) ids.push(await send(body));
      for (const { session, protocol, group } of opened) {
        // `connect` stays on HTTP/2 through the tunnel (no HTTP/1.1 fallback).
        expect(session.transport, group).toBe(protocol);
        const received = new Map<string, Buffer>();
        for await (const message of session.messages) {
          received.set(message.messageId, Buffer.from(message.body));
          expect(session.ack(message.messageId)).toBe(true);
          if (received.size === bodies.length) break;
        }
        for (const [i, id] of ids.entries()) {
          expect(received.get(id)?.equals(bodies[i]!), `${group} ${id}`).toBe(true);
        }
      }
    } finally {
      await Promise.all(opened.map(({ session }) => session.close()));
      await Promise.all(opened.map(({ transport }) => transport.close()));
    }
    // Acks went through too: nothing is left in flight or queued for any group.
    const overview = () =>
      adminJson<{ messages_in_flight: number }>(
        `${cloudUrl}/admin/webhook-connect/overview`,
        adminToken,
        sender,
      );
    await expect.poll(async () => (await overview()).messages_in_flight).toBe(0);
    // The tunnels really went through the proxies, as the authenticated user on squid.
    expect(tinyproxy.log()).toContain(`CONNECT 127.0.0.1:${port}`);
    await expect
      .poll(
        () =>
          squid.log().match(new RegExp(`CONNECT 127\\.0\\.0\\.1:${port} alice`, "g"))?.length ?? 0,
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(protocols.length);
  });

  it("goes direct when NO_PROXY matches the receiver by CIDR, --proxy beats HTTPS_PROXY, and targets are never proxied", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    // A proxy for the local http:// target too: deliveries must ignore it.
    const bypass = connector("no-proxy", {
      protocol: "grpc",
      group: "no-proxy",
      env: { HTTPS_PROXY: dead, HTTP_PROXY: dead, NO_PROXY: "example.com, 127.0.0.0/8" },
    });
    const explicit = connector("explicit", {
      protocol: "sse",
      group: "explicit",
      env: { HTTPS_PROXY: dead, HTTP_PROXY: dead },
      args: ["--proxy", tinyproxy.url],
    });
    await bypass.waitForOutput(/"msg":"connected"/);
    expect(bypass.output()).toContain('"proxy":"none"');
    await explicit.waitForOutput(/"msg":"connected"/);
    expect(explicit.output()).toContain(`"proxy":"${tinyproxy.url}"`);
    const body = Buffer.from("delivered without a proxy");
    const id = await send(body);
    const delivered = (name: string) =>
      target.requests.find(
        (r) => r.url === `/${name}` && headerOf(r.rawHeaders, "x-webhook-message-id") === id,
      );
    await expect
      .poll(() => delivered("no-proxy")?.body.equals(body), { timeout: 10_000 })
      .toBe(true);
    await expect
      .poll(() => delivered("explicit")?.body.equals(body), { timeout: 10_000 })
      .toBe(true);
    await Promise.all([bypass.stop("SIGKILL"), explicit.stop("SIGKILL")]);
  });

  it("names the proxy in one line when it refuses the password (407)", async () => {
    const child = connector("wrong-password", {
      args: ["--proxy", `http://alice:not-the-password@127.0.0.1:${squid.port}`],
    });
    const line = await child.waitForOutput(/^.*WC_ERR_CONNECTOR_PROXY.*$/m);
    expect(line).toContain(`proxy http://127.0.0.1:${squid.port} refused the credentials (407`);
    expect(line).toContain("the forward proxy refused this connector");
    expect(line).not.toContain(`127.0.0.1:${port}`);
    expect(child.output()).not.toContain("not-the-password");
    await child.stop("SIGKILL");
  });

  it("names the proxy when it refuses CONNECT to the receiver's port", async () => {
    const strict = await startSquid({ connectOnly443: true });
    try {
      const child = connector("refused-port", {
        protocol: "websocket",
        args: ["--proxy", strict.url],
      });
      const line = await child.waitForOutput(/^.*"msg":"connect failed".*$/m);
      expect(line).toContain(`proxy ${strict.url} refused CONNECT to 127.0.0.1:${port} (403`);
      await child.stop("SIGKILL");
    } finally {
      await strict.close();
    }
  });

  it("names the proxy when it is unreachable", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const child = connector("unreachable", { env: { HTTPS_PROXY: dead } });
    const line = await child.waitForOutput(/^.*"msg":"connect failed".*$/m);
    expect(line).toContain(`"reason":"proxy ${dead} unreachable (ECONNREFUSED)"`);
    await child.stop("SIGKILL");
  });
});

describe.skipIf(!available)("connector through a forward proxy to a cleartext receiver", () => {
  let relay: Relay;
  let strict: ProxyServer;
  let open: ProxyServer;
  let target: Target;

  beforeAll(async () => {
    relay = new Relay(e2eBackends.find((b) => b.name === "sqlite")!);
    [strict, open, target] = await Promise.all([
      // CONNECT only to 443: the receiver's port is reachable by absolute-form requests alone.
      startSquid({ credentials, connectOnly443: true }),
      startTinyproxy(),
      startTarget(),
      relay.startReceiver(),
    ]);
  });

  afterAll(async () => {
    await relay?.close();
    await Promise.all([strict?.close(), open?.close(), target?.close()]);
  });

  it("sends SSE, long-poll and Connect over HTTP/1.1 as absolute-form requests, and auto says why it fell back", async () => {
    const proxyUrl = `http://${credentials.user}:${credentials.password}@127.0.0.1:${strict.port}`;
    const cases = [
      { protocol: "sse", transport: "sse" },
      { protocol: "long_poll", transport: "long_poll" },
      { protocol: "auto", transport: "connect_http1" },
    ];
    const running = cases.map(({ protocol, transport }) => ({
      transport,
      child: relay.startConnector(`${target.url}/${protocol}`, {
        protocol,
        id: protocol,
        args: ["--proxy", proxyUrl, "--group", protocol.replace("_", "-")],
      }),
    }));
    for (const { child, transport } of running) {
      const line = await child.waitForOutput(/^.*"msg":"connected".*$/m);
      expect(line).toContain(`"transport":"${transport}"`);
      if (transport === "connect_http1") {
        expect(line).toContain(
          `proxy http://127.0.0.1:${strict.port} refused CONNECT to 127.0.0.1:${relay.port} (403`,
        );
      }
    }
    const body = Buffer.from('{"through":"absolute-form","n":1}');
    const sent = await relay.send("json_hook", body);
    expect(sent.status).toBe(200);
    await target.waitForRequests(cases.length);
    for (const { protocol } of cases) {
      // The harness sends to /webhook/json_hook?source=e2e; the query is forwarded.
      const got = target.requests.find((r) => r.url === `/${protocol}?source=e2e`);
      expect(got?.body.equals(body)).toBe(true);
    }
    for (const { child } of running) {
      expect(child.output()).not.toContain(credentials.password);
      await child.stop("SIGKILL");
    }
    await expect
      .poll(() => strict.log(), { timeout: 10_000 })
      .toMatch(
        new RegExp(`GET http://127\\.0\\.0\\.1:${relay.port}/connect/stream/\\S+/sse\\S* alice`),
      );
    await expect
      .poll(() => strict.log(), { timeout: 10_000 })
      .toMatch(
        new RegExp(
          `POST http://127\\.0\\.0\\.1:${relay.port}/webhookconnect\\.v1\\.RelayService/Subscribe alice`,
        ),
      );
  });

  it("carries gRPC (h2c) and WebSocket (ws://) through CONNECT to a cleartext receiver", async () => {
    const proxy = parseProxyUrl(open.url);
    if ("problem" in proxy) throw new Error(proxy.problem);
    const sessions = await Promise.all(
      ["grpc", "websocket"].map((protocol) =>
        createTransportForProtocol(protocol as "grpc" | "websocket", {
          cloudUrl: relay.url,
          token: relay.token,
          proxy,
        }).open({
          hello: {
            channel: relay.channel,
            connectorId: protocol,
            group: `clear-${protocol}`,
            maxInFlight: 8,
            clientVersion: "test",
          },
          signal: AbortSignal.timeout(15_000),
        }),
      ),
    );
    try {
      const body = Buffer.from('{"through":"a cleartext tunnel"}');
      const sent = await relay.send("json_hook", body);
      expect(sent.status).toBe(200);
      for (const session of sessions) await receiveAcking(session, sent.json!["message_id"]!, body);
      expect(open.log()).toContain(`CONNECT 127.0.0.1:${relay.port}`);
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });
});
