import amqp from "amqplib";
import { afterEach, describe, expect, it } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer, uniqueName } from "../helpers.js";
import { hookEntry, outcomeOfOneDelivery } from "./one-hook.js";

const available = await serviceAvailable("rabbitmq");
const connections = {
  mq: { type: "rabbitmq", host: "127.0.0.1", port: 5672, user: "guest", pass: "guest" },
};

describe.skipIf(!available)("rabbitmq module against the real server", () => {
  const built: TestDeliverer[] = [];
  const queues: string[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    const ch = await conn.createChannel();
    for (const q of queues.splice(0)) await ch.deleteQueue(q);
    await conn.close();
  });

  it("publishes the body persistently with message_id, content type and headers", async () => {
    const queue = uniqueName("wc_q");
    queues.push(queue);
    const b = await deliverFrom(
      { hook: { module: "rabbitmq", connection: "mq", "module-config": { queue_name: queue } } },
      connections,
    );
    built.push(b);
    const message = jsonMessage({ order: 7 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });

    const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    try {
      const ch = await conn.createChannel();
      const got = await ch.get(queue, { noAck: true });
      expect(got).not.toBe(false);
      if (got === false) return;
      expect(got.content).toEqual(Buffer.from(message.body));
      expect(got.properties.messageId).toBe(message.messageId);
      expect(got.properties.contentType).toBe("application/json");
      expect(got.properties.deliveryMode).toBe(2);
      expect(got.properties.headers).toMatchObject({
        "X-Signature": "sha256=abc",
        "X-Trace": "one, two",
        "X-Webhook-Id": "hook",
        "X-Webhook-Message-Id": message.messageId,
      });
      const queueInfo = await ch.checkQueue(queue);
      expect(queueInfo.messageCount).toBe(0);
    } finally {
      await conn.close();
    }
  });

  it("entries on one connection share it and each reach their own queue", async () => {
    const [q1, q2] = [uniqueName("wc_q1"), uniqueName("wc_q2")];
    queues.push(q1, q2);
    const b = await deliverFrom(
      {
        a: { module: "rabbitmq", connection: "mq", "module-config": { queue_name: q1 } },
        b: { module: "rabbitmq", connection: "mq", "module-config": { queue_name: q2 } },
      },
      connections,
    );
    built.push(b);
    await b.deliverer.deliver(jsonMessage({}, { webhookId: "a" }), never);
    await b.deliverer.deliver(jsonMessage({}, { webhookId: "b" }), never);
    const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    try {
      const ch = await conn.createChannel();
      expect((await ch.checkQueue(q1)).messageCount).toBe(1);
      expect((await ch.checkQueue(q2)).messageCount).toBe(1);
    } finally {
      await conn.close();
    }
  });

  it("an unreachable broker gives a retry outcome", async () => {
    const outcome = await outcomeOfOneDelivery(
      hookEntry("rabbitmq", "mq", { queue_name: "never" }),
      { mq: { type: "rabbitmq", host: "127.0.0.1", port: 1 } },
    );
    expect(outcome.kind).toBe("retry");
  });

  it("rejects reserved queue names at start-up", async () => {
    const error = await deliverFrom(
      { hook: { module: "rabbitmq", connection: "mq", "module-config": { queue_name: "amq.x" } } },
      connections,
    ).catch((e: unknown) => e as Error);
    expect(String(error)).toContain("hook.module-config.queue_name");
  });
});
