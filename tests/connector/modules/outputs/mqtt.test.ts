import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer, uniqueName } from "../helpers.js";

const available = await serviceAvailable("mosquitto");

describe.skipIf(!available)("mqtt module against the real broker", () => {
  const built: TestDeliverer[] = [];
  const clients: mqtt.MqttClient[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    for (const c of clients.splice(0)) await c.endAsync();
  });

  async function subscriber(topic: string) {
    const client = await mqtt.connectAsync("mqtt://127.0.0.1:1883", { protocolVersion: 5 });
    clients.push(client);
    await client.subscribeAsync(topic, { qos: 1 });
    const next = new Promise<{ payload: Buffer; packet: mqtt.IPublishPacket }>((resolve) =>
      client.on("message", (_t, payload, packet) => resolve({ payload, packet })),
    );
    return { next };
  }

  it("publishes the envelope with QoS 1 under the topic prefix", async () => {
    const prefix = uniqueName("wc");
    const received = await subscriber(`${prefix}/events`);
    const b = await deliverFrom(
      {
        hook: {
          module: "mqtt",
          connection: "broker",
          "module-config": { topic: "events", topic_prefix: prefix, qos: 1 },
        },
      },
      { broker: { type: "mqtt", host: "127.0.0.1", port: 1883 } },
    );
    built.push(b);
    const message = jsonMessage({ temp: 21.5 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const { payload, packet } = await received.next;
    expect(packet.qos).toBe(1);
    expect(JSON.parse(payload.toString())).toMatchObject({
      message_id: message.messageId,
      payload: { temp: 21.5 },
    });
  });

  it("raw format over MQTT 5 carries the body and metadata user properties", async () => {
    const topic = uniqueName("wc_raw");
    const received = await subscriber(topic);
    const b = await deliverFrom(
      {
        hook: {
          module: "mqtt",
          connection: "broker",
          "module-config": { topic, format: "raw", qos: 2 },
        },
      },
      { broker: { type: "mqtt", host: "127.0.0.1", port: 1883, mqtt_version: "5.0" } },
    );
    built.push(b);
    const message = jsonMessage({ raw: true });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const { payload, packet } = await received.next;
    expect(payload).toEqual(Buffer.from(message.body));
    expect(packet.properties?.userProperties).toMatchObject({
      message_id: message.messageId,
      webhook_id: "hook",
    });
    expect(packet.properties?.contentType).toBe("application/json");
  });

  it("retained messages reach a later subscriber", async () => {
    const topic = uniqueName("wc_ret");
    const b = await deliverFrom(
      {
        hook: { module: "mqtt", connection: "broker", "module-config": { topic, retained: true } },
      },
      { broker: { type: "mqtt", host: "127.0.0.1" } },
    );
    built.push(b);
    await b.deliverer.deliver(jsonMessage({ kept: 1 }), never);
    const { payload, packet } = await (await subscriber(topic)).next;
    expect(packet.retain).toBe(true);
    expect(JSON.parse(payload.toString())).toMatchObject({ payload: { kept: 1 } });
    // Clear the retained message.
    const cleaner = await mqtt.connectAsync("mqtt://127.0.0.1:1883");
    await cleaner.publishAsync(topic, "", { retain: true, qos: 1 });
    await cleaner.endAsync();
  });

  it("an unreachable broker gives a retry outcome", async () => {
    const b = await deliverFrom(
      {
        hook: { module: "mqtt", connection: "broker", "module-config": { topic: "t", timeout: 1 } },
      },
      { broker: { type: "mqtt", host: "127.0.0.1", port: 1, connect_timeout: 1 } },
    );
    built.push(b);
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("rejects wildcard topics at start-up", async () => {
    const error = await deliverFrom(
      { hook: { module: "mqtt", connection: "broker", "module-config": { topic: "a/+/b" } } },
      { broker: { type: "mqtt" } },
    ).catch((e: unknown) => e as Error);
    expect(String(error)).toContain("hook.module-config.topic");
  });
});
