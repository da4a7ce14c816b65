/**
 * JetStream-specific behaviour on the real server (127.0.0.1:4222): two
 * receiver replicas sharing a channel, settings applied on restart, the
 * stream-level queue limit, name escaping and an unreachable server.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, createInbox, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChannelSettings } from "../../../receiver/buffer/buffer.js";
import {
  channelStream,
  consumerName,
  createJetStreamBuffer,
  type JetStreamBufferOptions,
} from "../../../receiver/buffer/jetstream/index.js";
import { QueueFullError } from "../../../receiver/errors.js";
import { fetchRequest, idsOf, publishMany } from "../../conformance/buffer-context.js";
import { deadLetterPairs } from "../../conformance/buffer-steps.js";
import { deleteJetStreamChannels, NATS_URL } from "../../helpers/jetstream.js";
import { backendFixture, bufferBehindProxy, expectNoServerAnswers } from "./backend-fixture.js";

const fx = await backendFixture<JetStreamBufferOptions>("nats", "js", (options) =>
  createJetStreamBuffer({ servers: NATS_URL, ...options }),
);
const { settings, created } = fx;

describe.skipIf(!fx.available)("jetstream buffer", () => {
  let admin: NatsConnection;

  beforeAll(async () => {
    admin = await connect({ servers: NATS_URL, name: "jetstream-specific-tests" });
  });

  afterEach(fx.closeAll);

  afterAll(async () => {
    await deleteJetStreamChannels(admin, created);
    await admin.close();
  });

  it("lets one replica ingest, another lease and the first ack (SPEC §7)", async () => {
    const { a, b, channel } = await fx.twoReceivers();

    const [first, second] = await publishMany(a, channel, 2);
    const leased = await b.fetch(fetchRequest(channel, { consumerId: "on-b" }));
    expect(idsOf(leased)).toEqual([first!.messageId, second!.messageId]);

    expect(await a.ack(channel.name, "default", first!.messageId)).toBe("acked");
    expect(
      await a.nack(channel.name, "default", second!.messageId, { retry: false, reason: "410" }),
    ).toBe("dead_lettered");
    expect(await a.ack(channel.name, "default", first!.messageId)).toBe("not_found");

    const onA = await a.stats(channel.name);
    const onB = await b.stats(channel.name);
    expect(onA).toMatchObject({ queued: 0, inFlight: 0, delivered: 1, deadLettered: 1 });
    expect(onB).toEqual(onA);
    expect(await deadLetterPairs(b, channel, "reason")).toEqual([[second!.messageId, "410"]]);
  });

  it("applies changed stream and consumer settings when a channel is ensured again", async () => {
    const channel = settings({ maxQueueSize: 5 });
    const before = await fx.open();
    await before.ensureChannel(channel);
    await before.ensureGroup(channel.name, "laptop");
    await before.close();

    const after = await fx.open();
    const changed: ChannelSettings = {
      ...channel,
      maxQueueSize: 7,
      ttlSeconds: 60,
      ackTimeoutSeconds: 0.5,
      maxDeliveryAttempts: 3,
      ordered: true,
    };
    await after.ensureChannel(changed);
    await after.ensureGroup(channel.name, "laptop");

    const jsm = await jetstreamManager(admin);
    const stream = await jsm.streams.info(channelStream(channel.name));
    expect(stream.config.max_msgs).toBe(7);
    expect(stream.config.duplicate_window).toBe(60_000_000_000);
    for (const group of ["default", "laptop"]) {
      const consumer = await jsm.consumers.info(channelStream(channel.name), consumerName(group));
      expect(consumer.config).toMatchObject({
        ack_wait: 500_000_000,
        max_deliver: 4,
        max_ack_pending: 1,
      });
    }
  });

  it("files a dead letter from the max-deliveries advisory and lets the message go", async () => {
    const buffer = await fx.open();
    const channel = settings({ maxDeliveryAttempts: 1, ackTimeoutSeconds: 0.5 });
    await buffer.ensureChannel(channel);
    const [message] = await publishMany(buffer, channel, 1);
    const id = message!.messageId;
    const filed = new Promise<void>((resolve) => {
      const sub = admin.subscribe("wcdl.>", {
        callback: (_error, msg) => {
          if (msg.headers?.get("Wc-Message-Id") === encodeURIComponent(id)) {
            sub.unsubscribe();
            resolve();
          }
        },
      });
    });
    await admin.flush();
    // A consumer outside the buffer takes every delivery and never acks, so
    // JetStream itself gives up and raises the advisory.
    const stream = channelStream(channel.name);
    const durable = consumerName("default");
    // Pulled messages arrive with their own subject, so a request's reply
    // mapping cannot route them: a dedicated inbox subscription does.
    const pullRaw = (): Promise<number> =>
      new Promise((resolve) => {
        const inbox = createInbox();
        admin.subscribe(inbox, {
          max: 1,
          callback: (_error, msg) => resolve(msg.headers?.code ?? 0),
        });
        admin.publish(
          `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
          JSON.stringify({ batch: 1, expires: 3_000_000_000 }),
          { reply: inbox },
        );
      });
    expect(await pullRaw()).toBe(0);
    expect(await pullRaw()).toBe(0);
    const exhausted = pullRaw();
    await filed;
    expect(await exhausted).toBe(408);

    expect(await deadLetterPairs(buffer, channel, "attempts")).toEqual([[id, 2]]);
    expect(await buffer.stats(channel.name)).toMatchObject({ queued: 0, deadLettered: 1 });
  });

  it("rejects a publish to a full channel with QueueFullError and stores nothing", async () => {
    const buffer = await fx.open();
    const channel = settings({ maxQueueSize: 2 });
    await buffer.ensureChannel(channel);
    await publishMany(buffer, channel, 2);
    await expect(publishMany(buffer, channel, 1)).rejects.toBeInstanceOf(QueueFullError);
    const jsm = await jetstreamManager(admin);
    const stream = await jsm.streams.info(channelStream(channel.name));
    expect(stream.state.messages).toBe(2);
  });

  it("reports the body limit the server's max_payload allows, below the payload itself", async () => {
    const buffer = await fx.open();
    const limit = buffer.maxBodyBytes?.();
    const maxPayload = admin.info?.max_payload;
    expect(maxPayload).toBeGreaterThan(0);
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThan(maxPayload!);
  });

  it("keeps channels whose names differ only by dots apart", async () => {
    const buffer = await fx.open();
    const parent = settings();
    const dotted: ChannelSettings = { ...settings(), name: `${parent.name}.sub` };
    created.push(dotted.name);
    await buffer.ensureChannel(parent);
    await buffer.ensureChannel(dotted);
    const [message] = await publishMany(buffer, dotted, 1);
    expect(await buffer.fetch(fetchRequest(parent))).toEqual([]);
    expect(idsOf(await buffer.fetch(fetchRequest(dotted)))).toEqual([message!.messageId]);
  });

  it("rejects at once while NATS is unreachable and recovers when it is back", async () => {
    const { proxy, events, buffer, outage } = await bufferBehindProxy(4222, (port, onEvent) =>
      fx.open({ servers: `nats://127.0.0.1:${port}`, onEvent }),
    );
    const channel = settings();
    await buffer.ensureChannel(channel);

    await outage(channel);
    const [message] = await publishMany(buffer, channel, 1);
    expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([message!.messageId]);
    expect(events).toEqual(["disconnected", "reconnected"]);
    await proxy.stop();
  });

  it("rejects with BufferUnavailableError when no NATS server answers", async () => {
    const took = await expectNoServerAnswers((port) =>
      createJetStreamBuffer({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1_000 }),
    );
    expect(took).toBeLessThan(5_000);
  });
});
