import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../connector/delivery/retry-after.js";

const now = Date.parse("2025-06-01T12:00:00Z");

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });

  it("reads an IMF-fixdate", () => {
    expect(parseRetryAfter("Sun, 01 Jun 2025 12:00:30 GMT", now)).toBe(30_000);
  });

  it("reads the obsolete RFC 850 and asctime-like forms with GMT", () => {
    expect(parseRetryAfter("Sunday, 01-Jun-25 12:01:00 GMT", now)).toBe(60_000);
  });

  it("gives 0 for a date in the past", () => {
    expect(parseRetryAfter("Sun, 01 Jun 2025 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores malformed values and absent headers", () => {
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("1.5", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("uses the first of repeated values", () => {
    expect(parseRetryAfter(["2", "9"], now)).toBe(2_000);
  });
});
