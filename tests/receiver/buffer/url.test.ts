import { describe, expect, it } from "vitest";
import { parseBufferUrl } from "../../../receiver/buffer/index.js";
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
