/**
 * `rate_limit` through running receivers (SPEC §3.3): 429 with Retry-After
 * once `max_requests` is spent; failed authentication spends nothing; two
 * receivers sharing Redis (`redisUrl`) share one budget.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/processes.js";
import { serviceAvailable } from "../helpers/services.js";
import {
  type ReceiverFixture,
  relayed,
  send,
  startReceiverFixture,
} from "../receiver/hardening/receiver-fixture.js";

const TOKEN = "rl-token-3f9a";
const BODY = '{"event":"tick"}';
const WINDOW_SECONDS = 120;

/**
 * These tests send more wrong tokens from one client than the
 * failed-authentication throttle allows (it would answer 429 before the
 * rate limit is reached); its thresholds are raised out of the way.
 */
const NO_THROTTLE = { authThrottle: { clientFailures: 1_000, scopeFailures: 10_000 } };

const fixtures: ReceiverFixture[] = [];
const sharedDirs: string[] = [];

afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
  for (const dir of sharedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function documentFor(webhookId: string, maxRequests: number) {
  return {
    [webhookId]: relayed("rl", {
      authorization: `Bearer ${TOKEN}`,
      rate_limit: { max_requests: maxRequests, window_seconds: WINDOW_SECONDS },
    }),
  };
}

function post(fixture: ReceiverFixture, webhookId: string, token = TOKEN) {
  return send(`${fixture.url}/webhook/${webhookId}`, {
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: BODY,
  });
}

async function statuses(fixture: ReceiverFixture, webhookId: string, count: number, token = TOKEN) {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await post(fixture, webhookId, token)).status);
  return result;
}

describe("rate_limit on one receiver", () => {
  it("answers 429 with Retry-After after max_requests and stores nothing more", async () => {
    const fixture = await startReceiverFixture(documentFor("limited", 3));
    fixtures.push(fixture);
    expect(await statuses(fixture, "limited", 3)).toEqual([200, 200, 200]);
    const refused = await post(fixture, "limited");
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(JSON.parse(refused.text)).toMatchObject({ error: "rate_limited" });
    expect(await fixture.stored("rl")).toHaveLength(3);
  });

  it("does not count requests that failed authentication", async () => {
    const fixture = await startReceiverFixture(documentFor("limited", 3), NO_THROTTLE);
    fixtures.push(fixture);
    expect(await statuses(fixture, "limited", 10, "wrong-token")).toEqual(Array(10).fill(401));
    expect(await statuses(fixture, "limited", 4)).toEqual([200, 200, 200, 429]);
  });
});

const redisUp = await serviceAvailable("redis");

describe.skipIf(!redisUp)("rate_limit shared through Redis", () => {
  const REDIS_URL = "redis://127.0.0.1:6379";
  let redis: Redis | undefined;

  afterEach(async () => {
    redis?.disconnect();
    redis = undefined;
  });

  /** Two receivers on one Redis, each with its own buffer; a webhook id unique to this run. */
  async function twoReceivers(maxRequests: number) {
    const webhookId = `rl-${randomUUID().slice(0, 12)}`;
    const shared = { dir: tempDir("wc-rl-") };
    sharedDirs.push(shared.dir);
    const document = documentFor(webhookId, maxRequests);
    const options = { redisUrl: REDIS_URL, ...NO_THROTTLE };
    const first = await startReceiverFixture(document, options, shared);
    fixtures.push(first);
    const second = await startReceiverFixture(document, options, shared);
    fixtures.push(second);
    redis = new Redis(REDIS_URL);
    const prefix = `webhook-connect:auth:${webhookId}:`;
    const cleanup = async () => {
      const keys = await redis!.keys(`${prefix}*`);
      if (keys.length > 0) await redis!.del(...keys);
    };
    return { webhookId, first, second, cleanup, prefix };
  }

  it("shares one budget between two receivers", async () => {
    const { webhookId, first, second, cleanup, prefix } = await twoReceivers(4);
    try {
      const answers: number[] = [];
      for (const fixture of [first, second, first, second]) {
        answers.push((await post(fixture, webhookId)).status);
      }
      expect(answers).toEqual([200, 200, 200, 200]);
      const [onFirst, onSecond] = [await post(first, webhookId), await post(second, webhookId)];
      expect([onFirst.status, onSecond.status]).toEqual([429, 429]);
      expect(Number(onSecond.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect((await first.stored("rl")).length + (await second.stored("rl")).length).toBe(4);
      expect(await redis!.keys(`${prefix}*`)).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });

  it("does not spend the shared budget on failed authentication", async () => {
    const { webhookId, first, second, cleanup } = await twoReceivers(2);
    try {
      expect(await statuses(first, webhookId, 5, "bad")).toEqual(Array(5).fill(401));
      expect(await statuses(second, webhookId, 5, "bad")).toEqual(Array(5).fill(401));
      expect(await statuses(second, webhookId, 1)).toEqual([200]);
      expect(await statuses(first, webhookId, 2)).toEqual([200, 429]);
    } finally {
      await cleanup();
    }
  });
});
