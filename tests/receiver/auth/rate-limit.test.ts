import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { createVerifiers } from "../../../receiver/auth/index.js";
import type { Verifier } from "../../../receiver/auth/verifier.js";
import { serviceAvailable } from "../../helpers/services.js";
import { buildVerifier } from "./build.js";
import { ingestRequest, NOW_MS, testOptions } from "./request-fixture.js";

const request = ingestRequest();

/** An in-memory rate_limit verifier with `limits`, on a clock the test moves with `advance`. */
function onTestClock(limits: Record<string, unknown>) {
  let clock = NOW_MS;
  const verifier = buildVerifier("rate_limit", limits, testOptions({ now: () => clock }));
  return {
    verifier,
    advance(ms: number) {
      clock += ms;
    },
  };
}

describe("rate_limit in memory", () => {
  it("allows max_requests per window, then answers 429 with Retry-After", async () => {
    const { verifier, advance } = onTestClock({ max_requests: 3, window_seconds: 60 });
    expect(verifier.afterAuth).toBe(true);
    for (let i = 0; i < 3; i++) expect(await verifier.verify(request)).toEqual({ ok: true });
    advance(20_000);
    expect(await verifier.verify(request)).toMatchObject({
      ok: false,
      status: 429,
      headers: { "Retry-After": "40" },
    });
    await verifier.close?.();
  });

  it("opens a new window once the old one has passed", async () => {
    const { verifier, advance } = onTestClock({ max_requests: 1, window_seconds: 10 });
    expect((await verifier.verify(request)).ok).toBe(true);
    expect((await verifier.verify(request)).ok).toBe(false);
    advance(10_000);
    expect((await verifier.verify(request)).ok).toBe(true);
  });

  it("rejects a zero or non-numeric limit as a config error", () => {
    expect(() => buildVerifier("rate_limit", { max_requests: 0, window_seconds: 1 })).toThrow(
      "relay.rate_limit.max_requests: expected a positive number",
    );
    expect(() => buildVerifier("rate_limit", { max_requests: "many", window_seconds: 1 })).toThrow(
      ConfigError,
    );
  });
});

const redisUp = await serviceAvailable("redis");

describe.skipIf(!redisUp)("rate_limit shared through Redis", () => {
  const redisUrl = "redis://127.0.0.1:6379/0";
  const webhookId = `rl-test-${randomUUID()}`;
  const opened: Verifier[] = [];
  const admin = new Redis(redisUrl);
  afterAll(async () => {
    await Promise.all(opened.map((verifier) => verifier.close?.()));
    const keys = await admin.keys(`webhook-connect:auth:${webhookId}:*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  function receiver(): Verifier {
    const [verifier] = createVerifiers(
      webhookId,
      { rate_limit: { max_requests: 5, window_seconds: 30 } },
      { configPath: "webhooks.json", redisUrl },
    );
    if (verifier === undefined) throw new Error("no verifier");
    opened.push(verifier);
    return verifier;
  }

  it("two receivers with the same Redis share one budget", async () => {
    const first = receiver();
    const second = receiver();
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await (i % 2 === 0 ? first : second).verify(request));
    expect(results.slice(0, 5).every((result) => result.ok)).toBe(true);
    expect(results[5]).toMatchObject({ ok: false, status: 429 });
    const retryAfter = Number(
      results[5] && !results[5].ok ? results[5].headers?.["Retry-After"] : 0,
    );
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await admin.pttl(`webhook-connect:auth:${webhookId}:rate:window`)).toBeGreaterThan(0);
  });

  it("answers 503 (not 200, not 401) when Redis cannot be reached", async () => {
    const [verifier] = createVerifiers(
      `${webhookId}-down`,
      { rate_limit: { max_requests: 5, window_seconds: 30 } },
      { configPath: "webhooks.json", redisUrl: "redis://127.0.0.1:1/0" },
    );
    if (verifier === undefined) throw new Error("no verifier");
    opened.push(verifier);
    expect(await verifier.verify(request)).toMatchObject({ ok: false, status: 503 });
  });
});
