/** Conformance: ack, nack with retry and backoff, dead-lettering. */
import { describe, expect, it } from "vitest";
import { type ConformanceContext, fetchRequest, idsOf, publishMany } from "./buffer-context.js";

/** Registers the ack and nack cases. */
export function settleCases(ctx: ConformanceContext): void {
  describe("ack", () => {
    it("removes the message for good and counts it as delivered", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.fetch(fetchRequest(channel));
      expect(await buffer.ack(channel.name, "default", message!.messageId)).toBe("acked");
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      expect(await buffer.ack(channel.name, "default", message!.messageId)).toBe("not_found");
      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({ queued: 0, inFlight: 0, delivered: 1 });
    });

    it("answers not_found for an ack or nack of an unknown message", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      expect(await buffer.ack(channel.name, "default", "no-such-message")).toBe("not_found");
      expect(
        await buffer.nack(channel.name, "default", "no-such-message", { retry: true, reason: "x" }),
      ).toBe("not_found");
      expect((await buffer.stats(channel.name)).delivered).toBe(0);
    });
  });

  describe("nack", () => {
    it("redelivers after about 1 s with deliveryAttempt 2 when retry is true", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.fetch(fetchRequest(channel));
      const nackedAt = performance.now();
      expect(
        await buffer.nack(channel.name, "default", message!.messageId, {
          retry: true,
          reason: "target answered 503",
        }),
      ).toBe("requeued");
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      const stats = await buffer.stats(channel.name);
      expect(stats.groups).toEqual([
        { group: "default", pending: 1, inFlight: 0, oldestUnackedAgeMs: expect.any(Number) },
      ]);

      const again = await buffer.fetch(fetchRequest(channel, { waitMs: 5_000 }));
      const elapsed = performance.now() - nackedAt;
      expect(idsOf(again)).toEqual([message!.messageId]);
      expect(again[0]!.message.deliveryAttempt).toBe(2);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(4_000);
    });

    it("honours a longer delay asked for by the connector", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.fetch(fetchRequest(channel));
      const nackedAt = performance.now();
      await buffer.nack(channel.name, "default", message!.messageId, {
        retry: true,
        reason: "429 Retry-After: 2",
        requestedDelayMs: 2_000,
      });
      const again = await buffer.fetch(fetchRequest(channel, { waitMs: 6_000 }));
      const elapsed = performance.now() - nackedAt;
      expect(idsOf(again)).toEqual([message!.messageId]);
      expect(elapsed).toBeGreaterThanOrEqual(1_900);
      expect(elapsed).toBeLessThan(5_000);
    });

    it("dead-letters at once with the reason when retry is false", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.fetch(fetchRequest(channel));
      expect(
        await buffer.nack(channel.name, "default", message!.messageId, {
          retry: false,
          reason: "target answered 410 Gone",
        }),
      ).toBe("dead_lettered");
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      const [letter, ...rest] = await buffer.listDeadLetters(channel.name, {
        limit: 10,
        offset: 0,
      });
      expect(rest).toEqual([]);
      expect(letter).toMatchObject({ group: "default", attempts: 1 });
      expect(letter!.reason).toContain("target answered 410 Gone");
      expect(letter!.message.messageId).toBe(message!.messageId);
      expect(Array.from(letter!.message.body)).toEqual(Array.from(message!.body));
      expect(letter!.deadLetteredAt).toBeGreaterThanOrEqual(letter!.firstFailedAt);
      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({ queued: 0, deadLettered: 1, deadLetterQueued: 1 });
    });

    it("dead-letters when maxDeliveryAttempts is reached", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ maxDeliveryAttempts: 2 });
      const [message] = await publishMany(buffer, channel, 1);
      const id = message!.messageId;
      await buffer.fetch(fetchRequest(channel));
      expect(await buffer.nack(channel.name, "default", id, { retry: true, reason: "500" })).toBe(
        "requeued",
      );
      const second = await buffer.fetch(fetchRequest(channel, { waitMs: 5_000 }));
      expect(second[0]!.message.deliveryAttempt).toBe(2);
      expect(await buffer.nack(channel.name, "default", id, { retry: true, reason: "500" })).toBe(
        "dead_lettered",
      );
      const letters = await buffer.listDeadLetters(channel.name, { limit: 10, offset: 0 });
      expect(letters.map((letter) => [letter.message.messageId, letter.attempts])).toEqual([
        [id, 2],
      ]);
      expect(letters[0]!.reason).toContain("500");
    });

    it("dead-letters a message whose lease expires on the last allowed attempt", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ maxDeliveryAttempts: 1, ackTimeoutSeconds: 0.5 });
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.fetch(fetchRequest(channel, { consumerId: "a" }));
      expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b", waitMs: 1_200 }))).toEqual(
        [],
      );
      const letters = await buffer.listDeadLetters(channel.name, { limit: 10, offset: 0 });
      expect(letters.map((letter) => [letter.message.messageId, letter.attempts])).toEqual([
        [message!.messageId, 1],
      ]);
      expect(letters[0]!.reason).not.toBe("");
      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({ queued: 0, inFlight: 0, deadLettered: 1 });
    });
  });
}
