/**
 * The `kafka` module producing through kafkajs to a protocol-level broker
 * stand-in (tests/connector/modules/kafka-fake.ts): what arrives on the
 * wire — topic, key = message_id, value bytes, headers, acks — and how a
 * broker error maps to the outcome.
 */
import { afterEach, describe, expect, it } from "vitest";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";
import { type FakeKafka, startFakeKafka } from "../kafka-fake.js";

describe("kafka module against a protocol-level broker", () => {
  let broker: FakeKafka | undefined;
  const built: TestDeliverer[] = [];

  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    await broker?.close();
    broker = undefined;
  });

  async function build(moduleConfig: Record<string, unknown>, dataType = "json") {
    broker = await startFakeKafka(["hooks"]);
    const b = await deliverFrom(
      {
        hook: {
          data_type: dataType,
          module: "kafka",
          connection: "k",
          "module-config": moduleConfig,
        },
      },
      {
        k: {
          type: "kafka",
          brokers: [`127.0.0.1:${broker.port}`],
          retries: 0,
          connect_timeout: 2,
        },
      },
    );
    built.push(b);
    return b;
  }

  it("produces the body bytes keyed by message_id with the relay headers, acks=all", async () => {
    const b = await build({ topic: "hooks" });
    const message = jsonMessage({ id: "evt_1", amount: 100 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(broker!.records).toHaveLength(1);
    const [record] = broker!.records;
    expect(record!.topic).toBe("hooks");
    expect(record!.acks).toBe(-1);
    expect(record!.key?.toString()).toBe(message.messageId);
    expect(record!.value?.equals(Buffer.from(message.body))).toBe(true);
    const headers = new Map(record!.headers.map((h) => [h.key, h.value?.toString()]));
    expect(headers.get("x-webhook-message-id")).toBe(message.messageId);
    expect(headers.get("x-webhook-id")).toBe("hook");
    expect(headers.get("content-type")).toBe("application/json");
    expect(record!.timestamp).toBe(BigInt(Date.parse("2025-03-04T05:06:07.089Z")));
  });

  it("keeps binary bodies byte-exact and a redelivery reuses the same key", async () => {
    const b = await build({ topic: "hooks" }, "blob");
    const message = blobMessage(new Uint8Array([0, 255, 1, 254]));
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(broker!.records.map((r) => r.key?.toString())).toEqual([
      message.messageId,
      message.messageId,
    ]);
    expect([...broker!.records[0]!.value!]).toEqual([0, 255, 1, 254]);
  });

  it("a broker that refuses the record is a retry (retriable error) and stores nothing", async () => {
    const b = await build({ topic: "hooks" });
    // 6 = NOT_LEADER_FOR_PARTITION, retriable in Kafka's protocol.
    broker!.failTopic("hooks", 6);
    const outcome = await b.deliverer.deliver(jsonMessage({ n: 1 }), never);
    expect(outcome.kind).toBe("retry");
    expect(broker!.records).toHaveLength(0);
    broker!.failTopic("hooks", 0);
    expect(await b.deliverer.deliver(jsonMessage({ n: 2 }), never)).toEqual({ kind: "ack" });
    expect(broker!.records).toHaveLength(1);
  });

  it("a record the broker rejects as too large is a permanent failure", async () => {
    const b = await build({ topic: "hooks" });
    // 10 = MESSAGE_TOO_LARGE: retrying cannot help.
    broker!.failTopic("hooks", 10);
    const outcome = await b.deliverer.deliver(jsonMessage({ big: true }), never);
    expect(outcome.kind).toBe("reject");
  });
});
