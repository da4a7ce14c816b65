/** The benchmark command line: defaults and the choices added for wrk and both drain backends. */
import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "../../bench/lib/options.js";

describe("parseBenchOptions", () => {
  it("drains on every backend and picks the load generator automatically by default", () => {
    const options = parseBenchOptions([]);
    expect(options.drainBackends).toEqual(["sqlite", "nats", "redis"]);
    expect(options.loadgen).toBe("auto");
  });

  it("drains on the backends asked for", () => {
    expect(parseBenchOptions(["--drain-backend", "nats"]).drainBackends).toEqual(["nats"]);
    expect(parseBenchOptions(["--drain-backend", "both"]).drainBackends).toEqual([
      "sqlite",
      "nats",
    ]);
    expect(parseBenchOptions(["--drain-backend", "redis,sqlite"]).drainBackends).toEqual([
      "redis",
      "sqlite",
    ]);
  });

  it("rejects an unknown drain backend", () => {
    expect(() => parseBenchOptions(["--drain-backend", "kafka"])).toThrow(/--drain-backend/);
  });

  it("keeps the undici load generator when asked", () => {
    expect(parseBenchOptions(["--loadgen", "undici"]).loadgen).toBe("undici");
  });

  it("rejects an unknown load generator", () => {
    expect(() => parseBenchOptions(["--loadgen", "ab"])).toThrow(/--loadgen/);
  });
});
