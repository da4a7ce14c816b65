import { describe, expect, it } from "vitest";
import { CompletionRecord } from "../../../../connector/modules/chain/completion-record.js";

describe("CompletionRecord", () => {
  it("remembers a pair until the TTL passes", () => {
    let now = 1_000;
    const record = new CompletionRecord({ ttlMs: 100, now: () => now });
    record.add("m1", "item0");
    expect(record.has("m1", "item0")).toBe(true);
    expect(record.has("m1", "item1")).toBe(false);
    expect(record.has("m2", "item0")).toBe(false);
    now += 99;
    expect(record.has("m1", "item0")).toBe(true);
    now += 1;
    expect(record.has("m1", "item0")).toBe(false);
  });

  it("keeps at most maxEntries pairs, dropping the oldest", () => {
    const record = new CompletionRecord({ maxEntries: 3 });
    for (const id of ["a", "b", "c", "d"]) record.add(id, "x");
    expect(record.size).toBe(3);
    expect(record.has("a", "x")).toBe(false);
    expect(record.has("d", "x")).toBe(true);
  });

  it("drops expired pairs when new ones are added", () => {
    let now = 0;
    const record = new CompletionRecord({ ttlMs: 10, now: () => now });
    record.add("old", "x");
    now = 50;
    record.add("new", "x");
    expect(record.size).toBe(1);
  });
});
