import { describe, expect, it } from "vitest";
import { newMessageId } from "../../../receiver/ingest/message-id.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("message ids", () => {
  it("are UUIDv7 strings carrying the time in their first 48 bits", () => {
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 123);
    const id = newMessageId(at);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });

  it("increase in string order, also many within one millisecond", () => {
    const at = Date.UTC(2030, 0, 1);
    const ids = Array.from({ length: 10_000 }, () => newMessageId(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it("stay increasing when the clock goes back", () => {
    const first = newMessageId(Date.UTC(2031, 0, 1));
    const second = newMessageId(Date.UTC(2031, 0, 1) - 5_000);
    expect(second > first).toBe(true);
  });
});
