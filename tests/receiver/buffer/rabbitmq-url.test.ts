import { describe, expect, it } from "vitest";
import { parseBufferUrl } from "../../../receiver/buffer/index.js";
import { ConfigError } from "../../../receiver/config/index.js";

describe("amqp:// buffer URLs", () => {
  it("reads amqp and amqps URLs with quorum queues by default, keeping the client's options", () => {
    expect(parseBufferUrl("amqp://user:pa%40ss@mq.example:5672/prod", "--buffer")).toEqual({
      kind: "rabbitmq",
      url: "amqp://user:pa%40ss@mq.example:5672/prod",
      queueType: "quorum",
    });
    expect(
      parseBufferUrl("amqps://u:p@mq.example/%2F?heartbeat=10&queue_type=classic", "--buffer"),
    ).toEqual({
      kind: "rabbitmq",
      url: "amqps://u:p@mq.example/%2F?heartbeat=10",
      queueType: "classic",
    });
  });

  it("names the source and the option of a bad queue type", () => {
    expect(() => parseBufferUrl("amqp://h/?queue_type=stream", "--buffer")).toThrow(ConfigError);
    expect(() =>
      parseBufferUrl("amqp://h/?queue_type=stream", "WEBHOOK_CONNECT_RABBITMQ_URL"),
    ).toThrow(/WEBHOOK_CONNECT_RABBITMQ_URL.*queue_type.*expected quorum or classic, got 'stream'/);
  });
});
