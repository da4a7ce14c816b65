import { describe, expect, it } from "vitest";
import { parseBufferUrl } from "../../../receiver/buffer/index.js";
import { parseRedisBufferUrl } from "../../../receiver/buffer/redis/index.js";
import { ConfigError } from "../../../receiver/config/index.js";

describe("buffer URLs", () => {
  it("reads a sqlite path with and without disk limits", () => {
    expect(parseBufferUrl("sqlite:./data/buffer.db", "--buffer")).toEqual({
      kind: "sqlite",
      path: "./data/buffer.db",
    });
    expect(
      parseBufferUrl(
        "sqlite:/var/lib/wc/b.db?max_buffer_bytes=2GiB&min_free_bytes=128MB",
        "--buffer",
      ),
    ).toEqual({
      kind: "sqlite",
      path: "/var/lib/wc/b.db",
      maxBufferBytes: 2 * 1024 ** 3,
      minFreeBytes: 128_000_000,
    });
    expect(parseBufferUrl("sqlite:b.db?min_free_bytes=1048576", "x")).toMatchObject({
      minFreeBytes: 1_048_576,
    });
  });

  it("reads where the storage engine runs", () => {
    expect(parseBufferUrl("sqlite:b.db?thread=worker", "--buffer")).toEqual({
      kind: "sqlite",
      path: "b.db",
      thread: "worker",
    });
    expect(parseBufferUrl("sqlite:b.db?thread=main", "--buffer")).toMatchObject({ thread: "main" });
    expect(() => parseBufferUrl("sqlite:b.db?thread=both", "--buffer")).toThrow(
      /--buffer.*thread.*expected main or worker, got 'both'/,
    );
  });

  it("names the option and the source of a bad size or an unknown option", () => {
    expect(() => parseBufferUrl("sqlite:b.db?max_buffer_bytes=lots", "--buffer")).toThrow(
      ConfigError,
    );
    expect(() => parseBufferUrl("sqlite:b.db?max_buffer_bytes=lots", "--buffer")).toThrow(
      /--buffer.*max_buffer_bytes.*byte size/,
    );
    expect(() => parseBufferUrl("sqlite:b.db?cache=1", "WEBHOOK_CONNECT_BUFFER_URL")).toThrow(
      /WEBHOOK_CONNECT_BUFFER_URL.*cache.*unknown sqlite: URL option/,
    );
  });
});

describe("redis buffer URLs", () => {
  it("takes the buffer's options out of the URL and leaves the rest to the client", () => {
    expect(parseBufferUrl("rediss://u:p@cache:6380/2", "--buffer")).toEqual({
      kind: "redis",
      url: "rediss://u:p@cache:6380/2",
    });
    expect(
      parseRedisBufferUrl(
        "redis://cache:6379/1?wait_replicas=2&wait_aof=1&wait_timeout_ms=250&family=6",
        "--buffer",
      ),
    ).toEqual({
      url: "redis://cache:6379/1?family=6",
      waitReplicas: 2,
      waitAof: true,
      waitTimeoutMs: 250,
      cluster: false,
    });
    expect(parseRedisBufferUrl("redis://node-1:7000?cluster=1", "x")).toEqual({
      url: "redis://node-1:7000",
      waitReplicas: 0,
      waitAof: false,
      waitTimeoutMs: 1_000,
      cluster: true,
    });
  });

  it("names the option and the source of a bad value or an unknown option", () => {
    const bad = (url: string) => () => parseRedisBufferUrl(url, "WEBHOOK_CONNECT_BUFFER_URL");
    expect(bad("redis://h:6379?wait_replicas=-1")).toThrow(
      /WEBHOOK_CONNECT_BUFFER_URL.*wait_replicas.*whole number/,
    );
    expect(bad("redis://h:6379?wait_aof=yes")).toThrow(/wait_aof.*0 or 1/);
    expect(bad("redis://h:6379?wait_timeout_ms=0")).toThrow(/wait_timeout_ms.*at least 1/);
    expect(bad("redis://h:6379?family=5")).toThrow(/family.*4 or 6/);
    expect(bad("redis://h:6379?db=3")).toThrow(/db.*unknown redis:\/\/ URL option/);
    expect(bad("redis://h:6379/x")).toThrow(/database .* is a number, got 'x'/);
    expect(bad("redis://h:6379/1?cluster=1")).toThrow(/only database 0/);
    expect(bad("redis://h:6379?cluster=1&wait_replicas=1")).toThrow(/not available with cluster=1/);
    expect(bad("redis://h:6379?cluster=1")).not.toThrow();
  });
});
