/** Conformance: fetch, waiting, abort, leases, release, load balancing, ordering. */
import { describe, expect, it } from "vitest";
import { type ConformanceContext, fetchRequest, idsOf, publishMany } from "./buffer-context.js";
import { expectRedelivery, publishIds } from "./buffer-steps.js";

/** Registers the fetch and lease cases. */
export function fetchCases(ctx: ConformanceContext): void {
  describe("fetch", () => {
    it("returns at most max messages, the oldest first", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const ids = await publishIds(buffer, channel, 5);
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { max: 2 })))).toEqual(ids.slice(0, 2));
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { max: 10 })))).toEqual(ids.slice(2));
    });

    it("returns nothing at once when empty and waitMs is 0", async () => {
      const channel = await ctx.channel();
      const started = performance.now();
      expect(await ctx.buffer().fetch(fetchRequest(channel))).toEqual([]);
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it("waits about waitMs for a first message, then returns nothing", async () => {
      const channel = await ctx.channel();
      const started = performance.now();
      expect(await ctx.buffer().fetch(fetchRequest(channel, { waitMs: 300 }))).toEqual([]);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3_000);
    });

    it("wakes a waiting fetch as soon as a message is published", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const started = performance.now();
      const waiting = buffer.fetch(fetchRequest(channel, { waitMs: 10_000 }));
      // A round trip through the backend, so the fetch is waiting before the publish.
      await buffer.stats(channel.name);
      const [message] = await publishMany(buffer, channel, 1);
      const deliveries = await waiting;
      expect(idsOf(deliveries)).toEqual([message!.messageId]);
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it.runIf(ctx.features.waitsWithoutDeadline)(
      "waits without a deadline (waitMs Infinity) until a publish, or until aborted",
      async () => {
        const buffer = ctx.buffer();
        const channel = await ctx.channel();
        const waiting = buffer.fetch(fetchRequest(channel, { waitMs: Number.POSITIVE_INFINITY }));
        await buffer.stats(channel.name);
        const [message] = await publishMany(buffer, channel, 1);
        expect(idsOf(await waiting)).toEqual([message!.messageId]);

        const controller = new AbortController();
        const aborted = buffer.fetch(
          fetchRequest(channel, {
            consumerId: "c2",
            waitMs: Number.POSITIVE_INFINITY,
            signal: controller.signal,
          }),
        );
        await buffer.stats(channel.name);
        controller.abort();
        expect(await aborted).toEqual([]);
      },
    );

    it("ends a waiting fetch when its signal aborts, leasing nothing", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const controller = new AbortController();
      const started = performance.now();
      const waiting = buffer.fetch(
        fetchRequest(channel, { waitMs: 10_000, signal: controller.signal }),
      );
      await buffer.stats(channel.name);
      controller.abort();
      expect(await waiting).toEqual([]);
      expect(performance.now() - started).toBeLessThan(5_000);

      const [message] = await publishMany(buffer, channel, 1);
      const deliveries = await buffer.fetch(fetchRequest(channel, { consumerId: "c2" }));
      expect(idsOf(deliveries)).toEqual([message!.messageId]);
      expect(deliveries[0]!.message.deliveryAttempt).toBe(1);
    });
  });

  describe("leases", () => {
    it("redelivers an unacked message after the lease expires, to another consumer", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ ackTimeoutSeconds: 0.5 });
      const [message] = await publishMany(buffer, channel, 1);
      const first = await buffer.fetch(fetchRequest(channel, { consumerId: "a" }));
      const leasedAt = performance.now();
      expect(first[0]!.message.deliveryAttempt).toBe(1);
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b" }))).toEqual([]);

      const second = await expectRedelivery(
        buffer,
        fetchRequest(channel, { consumerId: "b", waitMs: 5_000 }),
        message!.messageId,
        leasedAt,
        { minMs: 350, maxMs: 4_000 },
      );
      expect(second[0]!.message.deliveryAttempt).toBe(2);
    });

    it("makes released leases available to another consumer at once", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const messages = await publishMany(buffer, channel, 2);
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "a" }))).toHaveLength(2);
      await buffer.release(channel.name, "default", "someone-else");
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b" }))).toEqual([]);

      await buffer.release(channel.name, "default", "a");
      const started = performance.now();
      const again = await buffer.fetch(fetchRequest(channel, { consumerId: "b" }));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(idsOf(again)).toEqual(messages.map((message) => message.messageId));
      expect(again.map((delivery) => delivery.message.deliveryAttempt)).toEqual([2, 2]);
    });

    it("load-balances one group's messages across its consumers", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const ids = await publishIds(buffer, channel, 4);
      const a = idsOf(await buffer.fetch(fetchRequest(channel, { consumerId: "a", max: 2 })));
      const b = idsOf(await buffer.fetch(fetchRequest(channel, { consumerId: "b", max: 10 })));
      expect(a).toEqual(ids.slice(0, 2));
      expect(b).toEqual(ids.slice(2));
    });
  });

  describe("ordered channel", () => {
    it("keeps one message in flight per group", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ ordered: true });
      const ids = await publishIds(buffer, channel, 3);
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { consumerId: "a" })))).toEqual([
        ids[0],
      ]);
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b" }))).toEqual([]);
      expect(await buffer.ack(channel.name, "default", ids[0]!)).toBe("acked");
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { consumerId: "b" })))).toEqual([
        ids[1],
      ]);
    });

    it("wakes a waiting fetch when the message in flight is acked", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ ordered: true });
      const ids = await publishIds(buffer, channel, 2);
      await buffer.fetch(fetchRequest(channel, { consumerId: "a" }));
      const started = performance.now();
      const waiting = buffer.fetch(fetchRequest(channel, { consumerId: "b", waitMs: 10_000 }));
      await buffer.stats(channel.name);
      await buffer.ack(channel.name, "default", ids[0]!);
      expect(idsOf(await waiting)).toEqual([ids[1]]);
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it("holds later messages back while the head waits for its retry", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ ordered: true });
      const ids = await publishIds(buffer, channel, 2);
      await buffer.fetch(fetchRequest(channel));
      expect(
        await buffer.nack(channel.name, "default", ids[0]!, { retry: true, reason: "503" }),
      ).toBe("requeued");
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b" }))).toEqual([]);
      const retried = await buffer.fetch(fetchRequest(channel, { consumerId: "b", waitMs: 5_000 }));
      expect(idsOf(retried)).toEqual([ids[0]]);
      expect(retried[0]!.message.deliveryAttempt).toBe(2);
    });
  });
}
