import { describe, expect, it } from "vitest";
import { type BackoffOptions, createBackoff } from "../../../connector/runner/backoff.js";

/** A backoff with the jitter pinned at its middle (random 0.5), so every delay is the nominal one. */
function nominalBackoff(options: Omit<BackoffOptions, "random">) {
  return createBackoff({ ...options, random: () => 0.5 });
}

describe("createBackoff", () => {
  it("grows by the multiplier up to the maximum", () => {
    const backoff = nominalBackoff({ initialMs: 1_000, maxMs: 5_000, multiplier: 2 });
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it("spreads delays by the jitter, never above the maximum", () => {
    const low = createBackoff({ initialMs: 1_000, maxMs: 60_000, multiplier: 2, random: () => 0 });
    const high = createBackoff({
      initialMs: 1_000,
      maxMs: 1_000,
      multiplier: 2,
      random: () => 0.999,
    });
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1_000);
  });

  it("starts over after reset", () => {
    const backoff = nominalBackoff({ initialMs: 100, maxMs: 10_000, multiplier: 3 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it("gives the longest delay for fatal errors", () => {
    const backoff = nominalBackoff({ initialMs: 100, maxMs: 60_000, multiplier: 2 });
    expect(backoff.longest()).toBe(60_000);
  });

  it("keeps Math.random's reconnect delays within ±20 % and under the maximum", () => {
    const backoff = createBackoff({ initialMs: 1_000, maxMs: 3_000, multiplier: 2 });
    const delays = [1, 2, 3, 4].map(() => backoff.next());
    expect(delays[0]).toBeGreaterThanOrEqual(800);
    expect(delays[0]).toBeLessThanOrEqual(1_200);
    expect(delays[1]).toBeGreaterThanOrEqual(1_600);
    expect(delays[1]).toBeLessThanOrEqual(2_400);
    for (const capped of delays.slice(2)) {
      expect(capped).toBeGreaterThanOrEqual(2_400);
      expect(capped).toBeLessThanOrEqual(3_000);
    }
  });
});
