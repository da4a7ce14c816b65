/**
 * The failed-authentication throttle in memory with a fake clock: windows,
 * client keys (IPv6 by /64, X-Forwarded-For only from trusted proxies) and
 * the reports.
 */
import { describe, expect, it } from "vitest";
import {
  type AuthThrottleEvent,
  createAuthThrottle,
  parseTrustedProxies,
} from "../../../receiver/auth/index.js";

function throttleWith(options: { trusted?: string[] } = {}) {
  let now = 1_000_000;
  const events: AuthThrottleEvent[] = [];
  const trusted = parseTrustedProxies(options.trusted ?? []);
  if ("invalid" in trusted) throw new Error(trusted.invalid);
  const throttle = createAuthThrottle({
    limits: { windowMs: 60_000, clientFailures: 3, scopeFailures: 50, reportIntervalMs: 60_000 },
    trustedProxies: trusted.ranges,
    onEvent: (event) => events.push(event),
    now: () => now,
  });
  return {
    throttle,
    events,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function fail(
  throttle: ReturnType<typeof createAuthThrottle>,
  times: number,
  peer: string,
  forwardedFor?: string,
) {
  for (let i = 0; i < times; i++) await throttle.failed("webhook:a", peer, forwardedFor);
}

describe("auth throttle", () => {
  it("refuses a client from its limit on until its window ends", async () => {
    const { throttle, advance } = throttleWith();
    await fail(throttle, 2, "192.0.2.1");
    expect(throttle.retryAfter("webhook:a", "192.0.2.1", undefined)).toBeUndefined();
    await fail(throttle, 1, "192.0.2.1");
    expect(throttle.retryAfter("webhook:a", "192.0.2.1", undefined)).toBe(60);
    expect(throttle.retryAfter("channel:b", "192.0.2.1", undefined)).toBe(60);
    advance(59_500);
    expect(throttle.retryAfter("webhook:a", "192.0.2.1", undefined)).toBe(1);
    advance(500);
    expect(throttle.retryAfter("webhook:a", "192.0.2.1", undefined)).toBeUndefined();
    await throttle.close();
  });

  it("counts an IPv6 client by its /64 network, and IPv4-mapped addresses as IPv4", async () => {
    const { throttle } = throttleWith();
    await throttle.failed("webhook:a", "2001:db8:1:2::1", undefined);
    await throttle.failed("webhook:a", "2001:db8:1:2:ffff::9", undefined);
    await throttle.failed("webhook:a", "2001:db8:1:2:1:2:3:4", undefined);
    expect(throttle.retryAfter("webhook:a", "2001:db8:1:2::abcd", undefined)).toBe(60);
    expect(throttle.retryAfter("webhook:a", "2001:db8:1:3::1", undefined)).toBeUndefined();
    await fail(throttle, 3, "::ffff:192.0.2.7");
    expect(throttle.retryAfter("webhook:a", "192.0.2.7", undefined)).toBe(60);
    await throttle.close();
  });

  it("believes X-Forwarded-For only from a trusted proxy", async () => {
    const { throttle } = throttleWith({ trusted: ["10.0.0.0/8"] });
    await fail(throttle, 3, "10.1.1.1", "198.51.100.9");
    expect(throttle.retryAfter("webhook:a", "10.1.1.1", "198.51.100.9")).toBe(60);
    expect(throttle.retryAfter("webhook:a", "10.1.1.1", "198.51.100.10")).toBeUndefined();
    // From an untrusted peer the header is ignored: the peer itself is the client.
    await fail(throttle, 3, "192.0.2.50", "198.51.100.11");
    expect(throttle.retryAfter("webhook:a", "192.0.2.50", undefined)).toBe(60);
    expect(throttle.retryAfter("webhook:a", "10.1.1.1", "198.51.100.11")).toBeUndefined();
    await throttle.close();
  });

  it("emits one blocked event per client, not one per refusal", async () => {
    const { throttle, events } = throttleWith();
    await fail(throttle, 3, "192.0.2.1");
    for (let i = 0; i < 5; i++) throttle.retryAfter("webhook:a", "192.0.2.1", undefined);
    expect(events.filter((e) => e.type === "blocked")).toEqual([
      {
        type: "blocked",
        scope: "webhook:a",
        client: "192.0.2.1",
        reason: "client",
        retryAfterSeconds: 60,
      },
    ]);
    expect(events.filter((e) => e.type === "refused")).toHaveLength(5);
    await throttle.close();
  });

  it("refuses invalid trusted proxy entries", () => {
    expect(parseTrustedProxies(["10.0.0.0/8", "nope"])).toEqual({ invalid: "nope" });
  });
});
