/** Conformance: ack, nack with retry and backoff, dead-lettering. */
import { describe, expect, it } from "vitest";
import type {
  Buffer,
  ChannelSettings,
  NackOptions,
  SettleOutcome,
} from "../../receiver/buffer/buffer.js";
import { type ConformanceContext, fetchRequest, publishMany } from "./buffer-context.js";
import { expectRedelivery } from "./buffer-steps.js";

/** A fresh channel with one message published and leased to `c1`: where most settle cases start. */
async function leasedMessage(
  ctx: ConformanceContext,
  overrides?: Partial<Omit<ChannelSettings, "name">>,
) {
  const buffer = ctx.buffer();
  const channel = await ctx.channel(overrides);
  const [message] = await publishMany(buffer, channel, 1);
  await buffer.fetch(fetchRequest(channel));
  return { buffer, channel, message: message! };
}

/** Nacks `messageId` in the default group, expects `outcome`, and that nothing is to be fetched at once. */
async function expectNackedOut(
  buffer: Buffer,
  channel: ChannelSettings,
  messageId: string,
  options: NackOptions,
  outcome: SettleOutcome,
): Promise<void> {
  expect(await buffer.nack(channel.name, "default", messageId, options)).toBe(outcome);
  expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
}

/** Registers the ack and nack cases. */
export function settleCases(ctx: ConformanceContext): void {
  describe("ack", () => {
    it("removes the message for good and counts it as delivered", async () => {
      const { buffer, channel, message } = await leasedMessage(ctx);
      expect(await buffer.ack(channel.name, "default", message.messageId)).toBe("acked");
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      expect(await buffer.ack(channel.name, "default", message.messageId)).toBe("not_found");
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
      const { buffer, channel, message } = await leasedMessage(ctx);
      const nackedAt = performance.now();
      await expectNackedOut(
        buffer,
        channel,
        message.messageId,
        { retry: true, reason: "target answered 503" },
        "requeued",
      );
      const stats = await buffer.stats(channel.name);
      expect(stats.groups).toEqual([
        { group: "default", pending: 1, inFlight: 0, oldestUnackedAgeMs: expect.any(Number) },
      ]);

      const again = await expectRedelivery(
        buffer,
        fetchRequest(channel, { waitMs: 5_000 }),
        message.messageId,
        nackedAt,
        { minMs: 900, maxMs: 4_000 },
      );
      expect(again[0]!.message.deliveryAttempt).toBe(2);
    });

    it("honours a longer delay asked for by the connector", async () => {
      const { buffer, channel, message } = await leasedMessage(ctx);
      const nackedAt = performance.now();
      await buffer.nack(channel.name, "default", message.messageId, {
        retry: true,
        reason: "429 Retry-After: 2",
        requestedDelayMs: 2_000,
      });
      await expectRedelivery(
        buffer,
        fetchRequest(channel, { waitMs: 6_000 }),
        message.messageId,
        nackedAt,
        { minMs: 1_900, maxMs: 5_000 },
      );
    });

    it("dead-letters at once with the reason when retry is false", async () => {
      const { buffer, channel, message } = await leasedMessage(ctx);
      await expectNackedOut(
        buffer,
        channel,
        message.messageId,
        { retry: false, reason: "target answered 410 Gone" },
        "dead_lettered",
      );
      const [letter, ...rest] = await buffer.listDeadLetters(channel.name, {
        limit: 10,
        offset: 0,
      });
      expect(rest).toEqual([]);
      expect(letter).toMatchObject({ group: "default", attempts: 1 });
      expect(letter!.reason).toContain("target answered 410 Gone");
      expect(letter!.message.messageId).toBe(message.messageId);
      expect(Array.from(letter!.message.body)).toEqual(Array.from(message.body));
      expect(letter!.deadLetteredAt).toBeGreaterThanOrEqual(letter!.firstFailedAt);
      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({ queued: 0, deadLettered: 1, deadLetterQueued: 1 });
    });

    it("dead-letters when maxDeliveryAttempts is reached", async () => {
      const { buffer, channel, message } = await leasedMessage(ctx, { maxDeliveryAttempts: 2 });
      const id = message.messageId;
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
