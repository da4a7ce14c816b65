import { describe, expect, it } from "vitest";
import {
  type BackoffPolicy,
  backoffDelayMs,
  nominalDelayMs,
} from "../../../connector/delivery/backoff-policy.js";

const policy: BackoffPolicy = { initialMs: 1_000, multiplier: 2, maxMs: 10_000 };

describe("backoff policy", () => {
  it("grows the nominal delay by the multiplier up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((retry) => nominalDelayMs(policy, retry))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000,
    ]);
  });

  it("is the nominal delay with random() = 0.5", () => {
    const middle = { ...policy, random: () => 0.5 };
    expect([1, 2, 3].map((retry) => backoffDelayMs(middle, retry))).toEqual([1_000, 2_000, 4_000]);
  });

  it("reaches both ends of the ±20 % spread with an injected random", () => {
    expect(backoffDelayMs({ ...policy, random: () => 0 }, 2)).toBe(1_600);
    expect(backoffDelayMs({ ...policy, random: () => 0.999_999 }, 2)).toBe(2_400);
  });

  it("keeps Math.random's delays within the spread and never above the cap", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const retry = 1 + (i % 6);
      const nominal = nominalDelayMs(policy, retry);
      const delay = backoffDelayMs(policy, retry);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(nominal * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.min(policy.maxMs, Math.ceil(nominal * 1.2)));
      if (retry === 1) seen.add(delay);
    }
    // Jitter, not a constant: 167 draws from [800, 1200] are not all equal.
    expect(seen.size).toBeGreaterThan(1);
  });

  it("spreads delays at the cap downwards, so a fleet at the cap is not in lockstep", () => {
    expect(backoffDelayMs({ ...policy, random: () => 0 }, 10)).toBe(8_000);
    expect(backoffDelayMs({ ...policy, random: () => 0.999_999 }, 10)).toBe(10_000);
  });

  it("takes its spread from `jitter`", () => {
    expect(backoffDelayMs({ ...policy, jitter: 0, random: () => 0 }, 1)).toBe(1_000);
    expect(backoffDelayMs({ ...policy, jitter: 1, random: () => 0 }, 1)).toBe(0);
  });

  it("stays zero for a zero initial delay however many retries", () => {
    expect(backoffDelayMs({ ...policy, initialMs: 0, random: () => 0.5 }, 5_000)).toBe(0);
  });
});
