/** The benchmark command line: defaults and the choice of load generator. */
import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "../../bench/lib/options.js";

describe("parseBenchOptions", () => {
  it("picks the load generator automatically by default", () => {
    expect(parseBenchOptions([]).loadgen).toBe("auto");
  });

  it("keeps the undici load generator when asked", () => {
    expect(parseBenchOptions(["--loadgen", "undici"]).loadgen).toBe("undici");
  });

  it("rejects an unknown load generator", () => {
    expect(() => parseBenchOptions(["--loadgen", "ab"])).toThrow(/--loadgen/);
  });
});
