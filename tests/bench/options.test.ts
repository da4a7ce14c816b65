/** The benchmark command line: defaults and the choices added for wrk and both drain backends. */
import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "../../bench/lib/options.js";

describe("parseBenchOptions", () => {
  it("drains on both backends and picks the load generator automatically by default", () => {
    const options = parseBenchOptions([]);
    expect(options.drainBackends).toEqual(["sqlite", "nats"]);
    expect(options.loadgen).toBe("auto");
  });

  it("drains on one backend when asked", () => {
    expect(parseBenchOptions(["--drain-backend", "nats"]).drainBackends).toEqual(["nats"]);
  });

  it("rejects an unknown drain backend", () => {
    expect(() => parseBenchOptions(["--drain-backend", "redis"])).toThrow(/--drain-backend/);
  });

  it("keeps the undici load generator when asked", () => {
    expect(parseBenchOptions(["--loadgen", "undici"]).loadgen).toBe("undici");
  });

  it("rejects an unknown load generator", () => {
    expect(() => parseBenchOptions(["--loadgen", "ab"])).toThrow(/--loadgen/);
  });
});
