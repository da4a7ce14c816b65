/**
 * Credential guessing is throttled (issue #14 §4): per client first, per
 * scope (webhook, channel, admin API) with a higher threshold, 429 with
 * `Retry-After` on ingest, every stream transport and the admin API; the
 * failures are reported aggregated and counted in /metrics; counters are
 * shared through Redis. A legitimate sender from another address is never
 * locked out.
 */
import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RelayService } from "../../../gen/webhookconnect/v1/relay_pb.js";
import type { AuthThrottleEvent } from "../../../receiver/auth/index.js";
import { type ReceiverFixture, relayed, startReceiverFixture } from "./receiver-fixture.js";

const ADMIN = "throttle-admin-token";
const LIMITS = { clientFailures: 5, scopeFailures: 12, reportIntervalMs: 100 };
const REDIS_URL = "redis://127.0.0.1:6379";

const fixtures: ReceiverFixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.close();
});

async function start(options: { redis?: boolean } = {}) {
  const events: AuthThrottleEvent[] = [];
  const waiters = new Set<() => void>();
  /** Resolves once `predicate` holds for the events so far (checked on each new event). */
  const until = (predicate: (seen: readonly AuthThrottleEvent[]) => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!predicate(events)) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  const fixture = await startReceiverFixture(
    {
      hook: relayed("ch", { authorization: "Bearer right-secret" }),
      digest: relayed("ch", {
        digest_auth: { username: "u", password: "p", realm: "r" },
      }),
    },
    {
      adminToken: ADMIN,
      trustedProxies: ["127.0.0.1"],
      authThrottle: LIMITS,
      onAuthThrottleEvent: (event) => {
        events.push(event);
        for (const waiter of [...waiters]) waiter();
      },
      ...(options.redis === true ? { redisUrl: REDIS_URL } : {}),
    },
  );
  fixtures.push(fixture);
  return { fixture, url: fixture.url, events, until };
}

/** A client address no other test (or earlier run, for Redis) uses. */
function freshClient(): string {
  return `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}::1`;
}

async function ingest(url: string, client: string, secret: string) {
  const res = await request(`${url}/webhook/hook`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${secret}`,
      "x-forwarded-for": client,
    },
    body: "{}",
  });
  const text = await res.body.text();
  return { status: res.statusCode, retryAfter: res.headers["retry-after"], text };
}

async function poll(url: string, client: string, token: string) {
  const res = await request(`${url}/connect/stream/ch/poll?timeout=0`, {
    headers: { authorization: `Bearer ${token}`, "x-forwarded-for": client },
  });
  await res.body.dump();
  return { status: res.statusCode, retryAfter: res.headers["retry-after"] };
}

async function admin(url: string, client: string, token: string) {
  const res = await request(`${url}/admin/webhook-connect/overview`, {
    headers: { authorization: `Bearer ${token}`, "x-forwarded-for": client },
  });
  await res.body.dump();
  return { status: res.statusCode, retryAfter: res.headers["retry-after"] };
}

async function statuses(count: number, send: () => Promise<{ status: number }>) {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send()).status);
  return out;
}

/**
 * Five wrong guesses from one fresh client, each a 401, then its try with
 * the `right` secret, which must be a 429: resolves with that answer.
 */
async function refusedAfterGuesses<T extends { status: number }>(
  send: (client: string, secret: string) => Promise<T>,
  right: string,
): Promise<T> {
  const attacker = freshClient();
  expect(await statuses(5, () => send(attacker, "guess"))).toEqual([401, 401, 401, 401, 401]);
  const refused = await send(attacker, right);
  expect(refused.status).toBe(429);
  return refused;
}

describe("ingest", () => {
  it("refuses a client after repeated failures, even with the right secret", async () => {
    const { url } = await start();
    const refused = await refusedAfterGuesses(
      (client, secret) => ingest(url, client, secret),
      "right-secret",
    );
    expect(JSON.parse(refused.text)).toMatchObject({ error: "too_many_auth_failures" });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  });

  it("never refuses a legitimate sender from another address", async () => {
    const { url } = await start();
    const attacker = freshClient();
    await statuses(8, () => ingest(url, attacker, "guess"));
    expect((await ingest(url, freshClient(), "right-secret")).status).toBe(200);
  });

  it("under a guess spread over many addresses, refuses each failing client after one failure", async () => {
    const { url } = await start();
    const spread = Array.from({ length: LIMITS.scopeFailures }, freshClient);
    for (const client of spread) expect((await ingest(url, client, "guess")).status).toBe(401);
    // The webhook is under attack now: a client that failed here is refused after its next failure.
    expect((await ingest(url, spread[0]!, "guess")).status).toBe(401);
    expect((await ingest(url, spread[0]!, "right-secret")).status).toBe(429);
    const newcomer = freshClient();
    expect((await ingest(url, newcomer, "guess")).status).toBe(401);
    expect((await ingest(url, newcomer, "guess")).status).toBe(429);
    // A sender that never failed is not affected.
    expect((await ingest(url, freshClient(), "right-secret")).status).toBe(200);
  });

  it("does not count Digest challenges (a request without credentials) as failures", async () => {
    const { url } = await start();
    const client = freshClient();
    const answers = await statuses(LIMITS.clientFailures + 3, async () => {
      const res = await request(`${url}/webhook/digest`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": client },
        body: "{}",
      });
      await res.body.dump();
      return { status: res.statusCode };
    });
    expect(answers.every((status) => status === 401)).toBe(true);
  });
});

describe("stream transports", () => {
  it("long-poll, SSE and ack count wrong channel tokens together and refuse with 429", async () => {
    const { url } = await start();
    const client = freshClient();
    expect(await statuses(3, () => poll(url, client, "wrong"))).toEqual([401, 401, 401]);
    const sse = await request(`${url}/connect/stream/ch/sse`, {
      headers: { authorization: "Bearer wrong", "x-forwarded-for": client },
    });
    await sse.body.dump();
    expect(sse.statusCode).toBe(401);
    const ack = await request(`${url}/connect/ack`, {
      method: "POST",
      headers: {
        authorization: "Bearer wrong",
        "x-forwarded-for": client,
        "content-type": "application/json",
      },
      body: JSON.stringify({ channel: "ch", acks: ["x"] }),
    });
    await ack.body.dump();
    expect(ack.statusCode).toBe(401);
    const refused = await poll(url, client, "tok-ch");
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await poll(url, freshClient(), "tok-ch")).status).toBe(204);
  });

  it("refuses the WebSocket upgrade of a refused client with 429", async () => {
    const { url } = await start();
    const client = freshClient();
    await statuses(LIMITS.clientFailures, () => poll(url, client, "wrong"));
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, "ws")}/connect/stream/ch`, {
        headers: { authorization: "Bearer tok-ch", "x-forwarded-for": client },
      });
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once("open", () => reject(new Error("upgraded")));
      ws.once("error", () => undefined);
    });
    expect(status).toBe(429);
  });

  it("refuses RPCs of a refused client with RESOURCE_EXHAUSTED before reading them", async () => {
    const { url } = await start();
    const client = freshClient();
    const rpc = createClient(RelayService, createGrpcTransport({ baseUrl: url }));
    const pull = (token: string) =>
      rpc
        .pull(
          { hello: { channel: "ch" }, maxMessages: 1, timeout: { seconds: 0n } },
          { headers: { authorization: `Bearer ${token}`, "x-forwarded-for": client } },
        )
        .then(
          () => 0,
          (error: unknown) => ConnectError.from(error).code,
        );
    const codes: number[] = [];
    for (let i = 0; i < LIMITS.clientFailures; i++) codes.push(await pull("wrong"));
    expect(codes.every((code) => code === Code.Unauthenticated)).toBe(true);
    expect(await pull("tok-ch")).toBe(Code.ResourceExhausted);
  });
});

describe("admin API", () => {
  it("refuses a client after repeated wrong admin tokens; others keep access", async () => {
    const { url } = await start();
    const refused = await refusedAfterGuesses((client, token) => admin(url, client, token), ADMIN);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await admin(url, freshClient(), ADMIN)).status).toBe(200);
  });
});

describe("reports and metrics", () => {
  it("reports failures aggregated per scope, not one event per failure", async () => {
    const { url, events, until } = await start();
    const clients = [freshClient(), freshClient()];
    for (const client of clients) await statuses(4, () => ingest(url, client, "guess"));
    const reported = (seen: readonly AuthThrottleEvent[]) =>
      seen.reduce((sum, e) => sum + (e.type === "failures" ? e.failures : 0), 0);
    await until((seen) => reported(seen) >= 8);
    const reports = events.filter((e) => e.type === "failures");
    expect(reports.length).toBeLessThan(8);
    expect(reports[0]).toMatchObject({ type: "failures", scope: "webhook:hook" });
  });

  it("counts failures and refusals in /metrics", async () => {
    const { url } = await start();
    const client = freshClient();
    await statuses(LIMITS.clientFailures + 2, () => ingest(url, client, "guess"));
    const streamer = freshClient();
    await statuses(LIMITS.clientFailures, () => poll(url, streamer, "wrong"));
    const text = await (await request(`${url}/metrics`)).body.text();
    expect(text).toMatch(/webhook_connect_auth_refused_total\{scope="webhook:hook"\} 2\b/);
    expect(text).toMatch(/webhook_connect_auth_blocks_total\{reason="client"\} 2\b/);
    expect(text).toMatch(/webhook_connect_auth_failures_total\{method="channel_token"\} 5\b/);
  });
});

describe("shared through Redis", () => {
  it("counts failures on two replicas together", async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true });
    const client = freshClient();
    expect(await statuses(3, () => ingest(a.url, client, "guess"))).toEqual([401, 401, 401]);
    expect(await statuses(2, () => ingest(b.url, client, "guess"))).toEqual([401, 401]);
    // The fifth failure, on B, crossed the client threshold counted across both.
    expect((await ingest(b.url, client, "right-secret")).status).toBe(429);
  });
});
