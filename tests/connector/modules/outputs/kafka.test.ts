/**
 * Config validation, the record mapping and the failure path against a
 * closed port. Producing over the wire is covered against a protocol-level
 * broker stand-in in kafka-broker.test.ts (see docs/modules/README.md).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  classifyKafkaError,
  kafkaOptionsSchema,
  kafkaRecordFor,
} from "../../../../connector/modules/outputs/kafka.js";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

describe("kafka module: config, mapping, closed port", () => {
  const built: TestDeliverer[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
  });

  async function build(
    moduleConfig: Record<string, unknown>,
    connection: Record<string, unknown> = {},
  ) {
    const b = await deliverFrom(
      { hook: { module: "kafka", connection: "k", "module-config": moduleConfig } },
      {
        k: {
          type: "kafka",
          brokers: ["127.0.0.1:1"],
          retries: 0,
          connect_timeout: 1,
          ...connection,
        },
      },
    );
    built.push(b);
    return b;
  }

  it("maps a message to a record: key = message_id, body bytes, headers, timestamp", () => {
    const message = jsonMessage({ id: "evt_1" });
    const record = kafkaRecordFor(message, kafkaOptionsSchema.parse({ topic: "hooks" }), "json");
    expect(record.key).toBe(message.messageId);
    expect(Buffer.from(record.value as Buffer).equals(Buffer.from(message.body))).toBe(true);
    expect(record.timestamp).toBe(String(Date.parse("2025-03-04T05:06:07.089Z")));
    expect(record.headers).toEqual({
      "content-type": "application/json",
      "x-signature": "sha256=abc",
      "x-trace": ["one", "two"],
      "x-webhook-message-id": message.messageId,
      "x-webhook-id": "hook",
      "x-webhook-received-at": "2025-03-04T05:06:07.089Z",
      "x-webhook-attempt": "1",
    });
  });

  it("json format sends the envelope; include_headers false keeps only relay headers", () => {
    const message = blobMessage(new Uint8Array([0, 255]));
    const options = kafkaOptionsSchema.parse({
      topic: "hooks",
      format: "json",
      include_headers: false,
    });
    const record = kafkaRecordFor(message, options, "blob");
    expect(JSON.parse((record.value as Buffer).toString())).toMatchObject({
      message_id: message.messageId,
      payload_base64: "AP8=",
    });
    expect(Object.keys(record.headers ?? {}).sort()).toEqual([
      "content-type",
      "x-webhook-attempt",
      "x-webhook-id",
      "x-webhook-message-id",
      "x-webhook-received-at",
    ]);
  });

  it("a closed broker port is a retry and reports a connection error", async () => {
    const b = await build({ topic: "hooks" });
    const outcome = await b.deliverer.deliver(jsonMessage({}), never);
    expect(outcome.kind).toBe("retry");
    expect(outcome.kind === "retry" && outcome.reason).toMatch(/ECONNREFUSED|Connection error/);
  });

  it("record-level protocol errors are permanent, others retryable", () => {
    const tooLarge = Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE" });
    const wrapped = Object.assign(new Error("retries exceeded"), { cause: tooLarge });
    expect(classifyKafkaError(wrapped).retryable).toBe(false);
    const leader = Object.assign(new Error("no leader"), { type: "LEADER_NOT_AVAILABLE" });
    expect(classifyKafkaError(leader).retryable).toBe(true);
  });

  it("validates module-config and connection keys", async () => {
    await expect(build({ topic: "bad topic" })).rejects.toThrow(/hook\.module-config\.topic/);
    await expect(build({ topic: "t", acks: 2 })).rejects.toThrow(/module-config\.acks/);
    await expect(build({ topic: "t", partitioner: "x" })).rejects.toThrow(/unknown key/);
    await expect(build({ topic: "t" }, { sasl_mechanism: "gssapi" })).rejects.toThrow(
      /k\.sasl_mechanism/,
    );
  });
});
