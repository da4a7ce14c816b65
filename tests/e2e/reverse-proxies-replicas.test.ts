/**
 * The shipped nginx and HAProxy configs in front of two receivers sharing
 * a NATS JetStream buffer: the stream and the webhooks involve both
 * replicas, a connector streaming through the proxy gets every webhook
 * whichever replica stored it, and its acks (balanced like any request)
 * settle them all.
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelaySession } from "../../connector/transport/index.js";
import { freePort, type RunningProcess, tempDir, writeJson } from "../helpers/processes.js";
import { type ProxyServer, proxyProgramAvailable } from "../helpers/proxy-servers.js";
import { runReceiver } from "../helpers/receiver-process.js";
import { serviceAvailable } from "../helpers/services.js";
import { adminJson, openSession } from "./proxied-relay.js";
import {
  channelStatsUrl,
  connectorTransports,
  httpsUrl,
  localhostTls,
  startShippedProxies,
} from "./reverse-proxy-fixture.js";

const available =
  proxyProgramAvailable("nginx") &&
  proxyProgramAvailable("haproxy") &&
  (await serviceAvailable("nats"));
const token = "replicas-channel-token";
const adminToken = "replicas-admin-token";

describe.skipIf(!available)("two receivers on JetStream behind nginx and HAProxy", () => {
  const { cert, tls } = localhostTls();
  const dir = tempDir("wc-replicas-");
  const sender = new Agent({ connect: { ca: cert.cert } });
  const channel = `replicas-${randomUUID().slice(0, 8)}`;
  const receivers: RunningProcess[] = [];
  const ports: number[] = [];
  const proxies: Record<string, ProxyServer> = {};

  beforeAll(async () => {
    const config = writeJson(dir, "webhooks.json", {
      hook: {
        data_type: "blob",
        module: "webhook_connect",
        "module-config": { channel, channel_token: token },
      },
    });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      const receiver = runReceiver(
        {
          config,
          port,
          buffer: "nats://127.0.0.1:4222",
          heartbeat: 1,
          args: ["--log-level", "info"],
        },
        { WEBHOOK_CONNECT_ADMIN_TOKEN: adminToken, WEBHOOK_CONNECT_TRUSTED_PROXIES: "127.0.0.1" },
      );
      receivers.push(receiver);
      // One after the other: the first creates the channel's stream.
      await receiver.waitForOutput(/receiver listening/);
    }
    const upstream = ports.map((p) => `127.0.0.1:${p}`);
    [proxies["nginx"], proxies["haproxy"]] = await startShippedProxies(upstream, cert);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop("SIGKILL")));
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    await sender.close();
  });

  interface Stats {
    readonly connected_clients: number;
    readonly groups: readonly { group: string; pending: number; in_flight: number }[];
  }

  function stats(replica: number): Promise<Stats> {
    return adminJson<Stats>(
      channelStatsUrl(`http://127.0.0.1:${ports[replica]}`, channel),
      adminToken,
    );
  }

  /** Messages of `group` not yet acked, as the shared buffer counts them. */
  async function unacked(group: string): Promise<number> {
    const entry = (await stats(0)).groups.find((g) => g.group === group);
    return entry === undefined ? -1 : entry.in_flight + entry.pending;
  }

  const factories = {
    sse: connectorTransports["sse"]!,
    connect_http1: connectorTransports["connect_http1"]!,
  };

  for (const kind of ["nginx", "haproxy"]) {
    for (const [name, factory] of Object.entries(factories)) {
      it(`${kind}: ${name} receives every webhook whichever replica stored it, and its acks through the proxy settle them`, async () => {
        const proxy = proxies[kind]!;
        const url = httpsUrl(proxy);
        const transport = factory({ cloudUrl: url, token, tls });
        const group = `${kind}-${name.replace("_", "-")}`;
        let session: RelaySession | undefined;
        try {
          session = await openSession(transport, {
            channel,
            group,
            maxInFlight: 16,
            timeoutMs: 15_000,
            clientVersion: "t",
          });
          const before = receivers.map((r) => r.output().split('"webhook accepted"').length);
          const ids = new Set<string>();
          for (let i = 0; i < 6; i++) {
            const response = await request(`${url}/webhook/hook`, {
              method: "POST",
              dispatcher: sender,
              headers: { "content-type": "text/plain" },
              body: `${group} ${i}`,
            });
            expect(response.statusCode).toBe(200);
            ids.add(((await response.body.json()) as { message_id: string }).message_id);
          }
          // Both replicas are involved: the stream on one, webhooks stored by the
          // other (HAProxy's leastconn) or by both (nginx's round robin). Access
          // lines are written up to 50 ms after the answer, so they are polled.
          const involved = async () => {
            const found = new Set<number>();
            for (const [i, r] of receivers.entries()) {
              if (r.output().split('"webhook accepted"').length > before[i]!) found.add(i);
              if ((await stats(i)).connected_clients > 0) found.add(i);
            }
            return [...found].sort();
          };
          await expect.poll(involved, { timeout: 5_000 }).toEqual([0, 1]);
          const seen = new Set<string>();
          for await (const message of session.messages) {
            if (ids.has(message.messageId)) seen.add(message.messageId);
            expect(session.ack(message.messageId)).toBe(true);
            if (seen.size === ids.size) break;
          }
          expect(seen.size).toBe(ids.size);
          await expect.poll(() => unacked(group), { timeout: 10_000 }).toBe(0);
        } finally {
          await session?.close();
          await transport.close();
        }
      });
    }
  }
});
