import { describe, expect, it } from "vitest";
import { parseBufferUrl } from "../../../receiver/buffer/index.js";
import { ConfigError } from "../../../receiver/config/index.js";

describe("nats:// buffer URLs", () => {
  it("reads one server with one replica by default", () => {
    expect(parseBufferUrl("nats://127.0.0.1:4222", "--buffer")).toEqual({
      kind: "nats",
      servers: ["nats://127.0.0.1:4222"],
      replicas: 1,
    });
  });

  it("reads several servers of a cluster and the replicas after the last one", () => {
    expect(parseBufferUrl("nats://h1:4222, nats://h2:4222,h3:4222?replicas=3", "--buffer")).toEqual(
      {
        kind: "nats",
        servers: ["nats://h1:4222", "nats://h2:4222", "h3:4222"],
        replicas: 3,
      },
    );
    expect(parseBufferUrl("tls://u:p@h1:4222,tls://h2:4222?replicas=5", "x")).toMatchObject({
      servers: ["tls://u:p@h1:4222", "tls://h2:4222"],
      replicas: 5,
    });
  });

  it("names the source and the option of a bad replica count", () => {
    for (const bad of ["0", "6", "2.5", "three", ""]) {
      const url = `nats://h1:4222?replicas=${bad}`;
      expect(() => parseBufferUrl(url, "WEBHOOK_CONNECT_BUFFER_URL"), bad).toThrow(ConfigError);
      expect(() => parseBufferUrl(url, "WEBHOOK_CONNECT_BUFFER_URL"), bad).toThrow(
        /^WEBHOOK_CONNECT_BUFFER_URL: replicas: expected a whole number of stream copies from 1 to 5, got/,
      );
    }
  });

  it("refuses an unknown option and a server that is not one", () => {
    expect(() => parseBufferUrl("nats://h1:4222?replica=3", "--buffer")).toThrow(
      /--buffer: replica: unknown nats:\/\/ URL option \(expected replicas\)/,
    );
    expect(() => parseBufferUrl("nats://h1:4222,,h3:4222", "--buffer")).toThrow(
      /'' in 'nats:\/\/h1:4222,,h3:4222' is not a NATS server/,
    );
  });
});
