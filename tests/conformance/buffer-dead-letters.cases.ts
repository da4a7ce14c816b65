/** Conformance: listing, replaying and purging dead letters. */

import { describe, expect, it } from "vitest";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Buffer, ChannelSettings, DeadLetter } from "../../receiver/buffer/buffer.js";
import {
  type ConformanceContext,
  fetchRequest,
  idsOf,
  nextMillisecond,
  publishMany,
} from "./buffer-context.js";
import { channelWithGroup } from "./buffer-steps.js";

/**
 * Dead-letters `messages` in `group` one by one (reason `failure <n>`), each
 * on a later millisecond than the one before, so time filters can split them.
 */
async function deadLetterEach(
  buffer: Buffer,
  channel: ChannelSettings,
  messages: readonly WebhookMessage[],
  group = "default",
): Promise<void> {
  await buffer.fetch(fetchRequest(channel, { group, max: messages.length }));
  for (const [index, message] of messages.entries()) {
    await nextMillisecond();
    const outcome = await buffer.nack(channel.name, group, message.messageId, {
      retry: false,
      reason: `failure ${index + 1}`,
    });
    expect(outcome).toBe("dead_lettered");
  }
}

/** Publishes `count` messages and dead-letters each with deadLetterEach; resolves with them and their ids. */
async function publishDeadLettered(buffer: Buffer, channel: ChannelSettings, count: number) {
  const messages = await publishMany(buffer, channel, count);
  await deadLetterEach(buffer, channel, messages);
  return { messages, ids: messages.map((message) => message.messageId) };
}

/** Every dead letter of `channel` (one page that holds them all). */
function all(buffer: Buffer, channel: ChannelSettings): Promise<DeadLetter[]> {
  return buffer.listDeadLetters(channel.name, { limit: 100, offset: 0 });
}

/** The message ids of `letters`, in order. */
function letterIds(letters: readonly DeadLetter[]): string[] {
  return letters.map((letter) => letter.message.messageId);
}

/** Registers the dead-letter cases. */
export function deadLetterCases(ctx: ConformanceContext): void {
  describe("dead letters", () => {
    it("lists oldest first with limit, offset and every filter", async () => {
      const { buffer, channel } = await channelWithGroup(ctx, "ops");
      const {
        messages,
        ids: [m1, m2, m3],
      } = await publishDeadLettered(buffer, channel, 3);
      await deadLetterEach(buffer, channel, messages.slice(0, 1), "ops");

      const letters = await all(buffer, channel);
      expect(letters.map((letter) => [letter.message.messageId, letter.group])).toEqual([
        [m1, "default"],
        [m2, "default"],
        [m3, "default"],
        [m1, "ops"],
      ]);
      expect(letters.map((letter) => letter.reason)).toEqual([
        "failure 1",
        "failure 2",
        "failure 3",
        "failure 1",
      ]);
      const page = await buffer.listDeadLetters(channel.name, { limit: 2, offset: 1 });
      expect(letterIds(page)).toEqual([m2, m3]);
      const ops = await buffer.listDeadLetters(channel.name, {
        limit: 10,
        offset: 0,
        filter: { group: "ops" },
      });
      expect(ops.map((letter) => [letter.message.messageId, letter.group])).toEqual([[m1, "ops"]]);
      const byId = await buffer.listDeadLetters(channel.name, {
        limit: 10,
        offset: 0,
        filter: { messageIds: [m2!] },
      });
      expect(letterIds(byId)).toEqual([m2]);
      const byTime = await buffer.listDeadLetters(channel.name, {
        limit: 10,
        offset: 0,
        filter: { from: letters[1]!.deadLetteredAt, to: letters[2]!.deadLetteredAt },
      });
      expect(letterIds(byTime)).toEqual([m2]);
    });

    it("replays all dead letters as fresh deliveries with attempt 1", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const { messages, ids } = await publishDeadLettered(buffer, channel, 2);
      expect(await buffer.replayDeadLetters(channel.name, {})).toBe(2);
      expect(await all(buffer, channel)).toEqual([]);

      const again = await buffer.fetch(fetchRequest(channel));
      expect(idsOf(again)).toEqual(ids);
      expect(again.map((delivery) => delivery.message.deliveryAttempt)).toEqual([1, 1]);
      expect(Array.from(again[0]!.message.body)).toEqual(Array.from(messages[0]!.body));
      expect(await buffer.stats(channel.name)).toMatchObject({
        queued: 2,
        deadLettered: 2,
        deadLetterQueued: 0,
      });
      expect(await buffer.ack(channel.name, "default", messages[0]!.messageId)).toBe("acked");
    });

    it("replays only the dead letters with the given ids", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [m1, m2] = (await publishDeadLettered(buffer, channel, 2)).ids;
      expect(await buffer.replayDeadLetters(channel.name, { messageIds: [m2!] })).toBe(1);
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([m2]);
      expect(letterIds(await all(buffer, channel))).toEqual([m1]);
    });

    it("replays only the dead letters of a time range", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [m1, m2, m3] = (await publishDeadLettered(buffer, channel, 3)).ids;
      const letters = await all(buffer, channel);
      const replayed = await buffer.replayDeadLetters(channel.name, {
        from: letters[1]!.deadLetteredAt,
        to: letters[2]!.deadLetteredAt,
      });
      expect(replayed).toBe(1);
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([m2]);
      expect(letterIds(await all(buffer, channel))).toEqual([m1, m3]);
    });

    it("replays into another group", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const { ids } = await publishDeadLettered(buffer, channel, 1);
      await buffer.ensureGroup(channel.name, "ops");
      expect(await buffer.replayDeadLetters(channel.name, {}, "ops")).toBe(1);
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      const replayed = await buffer.fetch(fetchRequest(channel, { group: "ops" }));
      expect(idsOf(replayed)).toEqual(ids);
      expect(replayed[0]!.message.deliveryAttempt).toBe(1);
      expect(replayed[0]!.group).toBe("ops");
    });

    it("purges by id, then everything", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [m1, m2, m3] = (await publishDeadLettered(buffer, channel, 3)).ids;
      expect(await buffer.purgeDeadLetters(channel.name, { messageIds: [m1!] })).toBe(1);
      expect(letterIds(await all(buffer, channel))).toEqual([m2, m3]);
      expect(await buffer.purgeDeadLetters(channel.name, {})).toBe(2);
      expect(await all(buffer, channel)).toEqual([]);
      expect(await buffer.stats(channel.name)).toMatchObject({
        deadLettered: 3,
        deadLetterQueued: 0,
      });
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
    });
  });
}
