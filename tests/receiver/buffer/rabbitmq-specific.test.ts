/**
 * RabbitMQ-specific behaviour on the real broker (127.0.0.1:5672): two
 * receiver processes sharing a channel (ack anywhere, shared stats, state
 * and groups), classic queues as the fallback, and a broker that goes away
 * and comes back.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import {
  createRabbitMqBuffer,
  type RabbitMqBufferOptions,
} from "../../../receiver/buffer/rabbitmq/index.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { fetchRequest, idsOf, publishMany } from "../../conformance/buffer-context.js";
import { deadLetterPairs } from "../../conformance/buffer-steps.js";
import { deleteRabbitMqChannels, RABBITMQ_URL } from "../../helpers/rabbitmq.js";
import { backendFixture, bufferBehindProxy, expectNoServerAnswers } from "./backend-fixture.js";
import { closeRabbitMqAfterRun } from "./rabbitmq-cleanup.js";

const fx = await backendFixture<RabbitMqBufferOptions>("rabbitmq", "rq", (options) =>
  createRabbitMqBuffer({ url: RABBITMQ_URL, ...options }),
);
const { run, settings, created } = fx;

describe.skipIf(!fx.available)("rabbitmq buffer", () => {
  afterEach(async () => {
    await fx.closeAll();
    await deleteRabbitMqChannels(created.splice(0));
  });

  afterAll(() => closeRabbitMqAfterRun(`rq-${run}/`));

  it("lets a second receiver settle leases the first handed out, with shared numbers", async () => {
    const { a, b, channel } = await fx.twoReceivers();
    const [m1, m2, m3] = await publishMany(a, channel, 3);

    const leased = await b.fetch(fetchRequest(channel, { max: 3 }));
    expect(idsOf(leased)).toEqual([m1!.messageId, m2!.messageId, m3!.messageId]);
    // Receiver a sees b's leases as in flight.
    expect(await a.stats(channel.name)).toMatchObject({
      queued: 3,
      inFlight: 3,
      groups: [{ group: "default", pending: 0, inFlight: 3 }],
    });

    expect(await a.ack(channel.name, "default", m1!.messageId)).toBe("acked");
    expect(await a.ack(channel.name, "default", m1!.messageId)).toBe("not_found");
    expect(
      await a.nack(channel.name, "default", m2!.messageId, { retry: false, reason: "410 Gone" }),
    ).toBe("dead_lettered");
    expect(await b.stats(channel.name)).toMatchObject({
      queued: 1,
      inFlight: 1,
      delivered: 1,
      deadLettered: 1,
      deadLetterQueued: 1,
    });
    expect(await deadLetterPairs(a, channel, "reason")).toEqual([[m2!.messageId, "410 Gone"]]);
  });

  it("keeps one message in flight across receivers on an ordered channel", async () => {
    const { a, b, channel } = await fx.twoReceivers({ ordered: true });
    const [m1, m2] = await publishMany(a, channel, 2);
    expect(idsOf(await a.fetch(fetchRequest(channel)))).toEqual([m1!.messageId]);
    // b's consumer stands by while a's is the queue's single active consumer.
    expect(await b.fetch(fetchRequest(channel, { consumerId: "b", waitMs: 300 }))).toEqual([]);
    expect(await b.ack(channel.name, "default", m1!.messageId)).toBe("acked");
    expect(idsOf(await a.fetch(fetchRequest(channel, { waitMs: 5_000 })))).toEqual([m2!.messageId]);
  });

  it("loses no write when receivers update shared state at the same time", async () => {
    const a = await fx.open();
    const b = await fx.open();
    const keys = Array.from({ length: 10 }, (_, i) => `rq-${run}/concurrent-${i}`);
    await Promise.all(keys.map((key, i) => (i % 2 === 0 ? a : b).setState(key, `v${i}`)));
    const values = await Promise.all(keys.map((key) => a.getState(key)));
    expect(values).toEqual(keys.map((_, i) => `v${i}`));
  });

  it("shares state values and groups between receivers", async () => {
    const { a, b, channel } = await fx.twoReceivers();
    const key = `rq-${run}/token`;
    await a.setState(key, "rotated-1");
    expect(await b.getState(key)).toBe("rotated-1");

    await b.ensureGroup(channel.name, "laptop");
    const [message] = await publishMany(a, channel, 1);
    const stats = await a.stats(channel.name);
    expect(stats.groups.map((group) => [group.group, group.pending]).sort()).toEqual([
      ["default", 1],
      ["laptop", 1],
    ]);
    expect(idsOf(await a.fetch(fetchRequest(channel, { group: "laptop" })))).toEqual([
      message!.messageId,
    ]);
  });

  it("works on classic queues: retry, expired leases and dead letters, attempts counted", async () => {
    const buffer = await fx.open({ queueType: "classic" });
    const channel = settings({ maxDeliveryAttempts: 4, ackTimeoutSeconds: 0.5 });
    await buffer.ensureChannel(channel);
    const [message] = await publishMany(buffer, channel, 1);
    const id = message!.messageId;
    const attempts = (deliveries: Awaited<ReturnType<Buffer["fetch"]>>) =>
      deliveries.map((delivery) => [delivery.messageId, delivery.deliveryAttempt]);
    expect(attempts(await buffer.fetch(fetchRequest(channel)))).toEqual([[id, 1]]);
    expect(await buffer.nack(channel.name, "default", id, { retry: true, reason: "503" })).toBe(
      "requeued",
    );
    expect(attempts(await buffer.fetch(fetchRequest(channel, { waitMs: 5_000 })))).toEqual([
      [id, 2],
    ]);
    // Not acked: each lease that runs out counts (a classic queue keeps no delivery count).
    expect(attempts(await buffer.fetch(fetchRequest(channel, { waitMs: 5_000 })))).toEqual([
      [id, 3],
    ]);
    expect(attempts(await buffer.fetch(fetchRequest(channel, { waitMs: 5_000 })))).toEqual([
      [id, 4],
    ]);
    expect(await buffer.nack(channel.name, "default", id, { retry: true, reason: "503" })).toBe(
      "dead_lettered",
    );
    expect(await buffer.stats(channel.name)).toMatchObject({ queued: 0, deadLetterQueued: 1 });
  });

  it("rejects at once while the broker is unreachable and recovers when it is back", async () => {
    const { events, buffer, outage } = await bufferBehindProxy(5672, (port, onEvent) =>
      fx.open({ url: `amqp://guest:guest@127.0.0.1:${port}`, onEvent }),
    );
    const channel = settings();
    await buffer.ensureChannel(channel);
    const [kept] = await publishMany(buffer, channel, 1);

    await outage(channel);
    const [later] = await publishMany(buffer, channel, 1);
    expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([
      kept!.messageId,
      later!.messageId,
    ]);
    expect(events).toEqual(["disconnected", "reconnected"]);
  });

  it("says why the broker refused the connection, without the password", async () => {
    const attempt = (url: string) =>
      createRabbitMqBuffer({ url }).then(
        () => {
          throw new Error(`${url} was accepted`);
        },
        (error: unknown) => error as Error,
      );
    const badLogin = await attempt("amqp://guest:not-the-password@127.0.0.1:5672");
    expect(badLogin).toBeInstanceOf(BufferUnavailableError);
    expect(badLogin.message).toMatch(/ACCESS_REFUSED/);
    expect(badLogin.message).not.toContain("not-the-password");
    const badVhost = await attempt(`amqp://guest:guest@127.0.0.1:5672/no-such-vhost-${run}`);
    expect(badVhost).toBeInstanceOf(BufferUnavailableError);
    expect(badVhost.message).toMatch(/refused the vhost/);
  });

  it("rejects with BufferUnavailableError when no broker answers", async () => {
    await expectNoServerAnswers((port) =>
      createRabbitMqBuffer({
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        connectTimeoutMs: 1_000,
      }),
    );
  });
});
