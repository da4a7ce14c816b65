/** Conformance: publish, sequences, limits, idempotency, channels and state. */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WebhookMessageSchema } from "../../gen/webhookconnect/v1/message_pb.js";
import { QueueFullError, UnknownChannelError } from "../../receiver/errors.js";
import {
  BINARY_BODY,
  type ConformanceContext,
  fetchRequest,
  fullMessage,
  idsOf,
  publishMany,
  testMessage,
} from "./buffer-context.js";

/** Registers the publish cases. */
export function publishCases(ctx: ConformanceContext): void {
  describe("publish", () => {
    it("round-trips every message field and the body bytes exactly", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const original = fullMessage(channel);
      const before = Date.now();
      const result = await buffer.publish(channel.name, original);
      const deliveries = await buffer.fetch(fetchRequest(channel));
      const after = Date.now();

      expect(result.duplicate).toBe(false);
      expect(deliveries).toHaveLength(1);
      const delivered = deliveries[0]!;
      expect(delivered.message).toEqual(
        create(WebhookMessageSchema, {
          ...original,
          sequence: result.sequence,
          deliveryAttempt: 1,
        }),
      );
      expect(Array.from(delivered.message.body)).toEqual(Array.from(BINARY_BODY));
      expect(delivered.group).toBe("default");
      expect(delivered.leaseExpiresAt).toBeGreaterThanOrEqual(before + 30_000 - 1_000);
      expect(delivered.leaseExpiresAt).toBeLessThanOrEqual(after + 30_000 + 1_000);
    });

    it("assigns increasing sequences in ingest order and delivers in that order", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const sequences: bigint[] = [];
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const message = testMessage(channel);
        sequences.push((await buffer.publish(channel.name, message)).sequence);
        ids.push(message.messageId);
      }
      for (let index = 1; index < sequences.length; index++) {
        expect(sequences[index]!).toBeGreaterThan(sequences[index - 1]!);
      }
      const deliveries = await buffer.fetch(fetchRequest(channel));
      expect(idsOf(deliveries)).toEqual(ids);
      expect(deliveries.map((delivery) => delivery.message.sequence)).toEqual(sequences);
    });

    it("stores 2,000 concurrent publishes, each with a distinct sequence", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const messages = Array.from({ length: 2_000 }, () => testMessage(channel));
      const results = await Promise.all(
        messages.map((message) => buffer.publish(channel.name, message)),
      );
      expect(new Set(results.map((result) => result.sequence)).size).toBe(2_000);
      expect(results.every((result) => !result.duplicate)).toBe(true);
      expect((await buffer.stats(channel.name)).queued).toBe(2_000);

      const bySequence = new Map(results.map((result, i) => [result.sequence, messages[i]!]));
      const seen: bigint[] = [];
      for (;;) {
        const batch = await buffer.fetch(fetchRequest(channel, { max: 500 }));
        if (batch.length === 0) break;
        for (const delivery of batch) {
          expect(bySequence.get(delivery.message.sequence)?.messageId).toBe(
            delivery.message.messageId,
          );
          seen.push(delivery.message.sequence);
        }
      }
      expect(seen).toHaveLength(2_000);
      expect([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(seen);
    });

    it("treats a re-publish of the same message id as a duplicate stored once", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const message = testMessage(channel);
      const first = await buffer.publish(channel.name, message);
      const second = await buffer.publish(channel.name, message);
      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ sequence: first.sequence, duplicate: true });
      expect((await buffer.stats(channel.name)).queued).toBe(1);
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([message.messageId]);
    });

    it("stores concurrent publishes of one message id once", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const message = testMessage(channel);
      const results = await Promise.all([
        buffer.publish(channel.name, message),
        buffer.publish(channel.name, message),
      ]);
      expect(results.filter((result) => result.duplicate)).toHaveLength(1);
      expect(results[0]!.sequence).toBe(results[1]!.sequence);
      expect((await buffer.stats(channel.name)).queued).toBe(1);
    });

    it("rejects with QueueFullError at maxQueueSize and stores nothing", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ maxQueueSize: 3 });
      const stored = await publishMany(buffer, channel, 3);
      const rejected = testMessage(channel);
      await expect(buffer.publish(channel.name, rejected)).rejects.toBeInstanceOf(QueueFullError);
      expect((await buffer.stats(channel.name)).queued).toBe(3);
      const deliveries = await buffer.fetch(fetchRequest(channel));
      expect(idsOf(deliveries)).toEqual(stored.map((message) => message.messageId));

      expect(await buffer.ack(channel.name, "default", stored[0]!.messageId)).toBe("acked");
      await expect(buffer.publish(channel.name, rejected)).resolves.toMatchObject({
        duplicate: false,
      });
      expect((await buffer.stats(channel.name)).queued).toBe(3);
    });

    it("applies maxQueueSize exactly to concurrent publishes", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ maxQueueSize: 3 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () => buffer.publish(channel.name, testMessage(channel))),
      );
      const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(fulfilled).toHaveLength(3);
      expect(rejected).toHaveLength(2);
      for (const outcome of rejected) expect(outcome.reason).toBeInstanceOf(QueueFullError);
      expect((await buffer.stats(channel.name)).queued).toBe(3);
    });

    it("rejects an unknown channel with UnknownChannelError", async () => {
      const buffer = ctx.buffer();
      const known = await ctx.channel();
      const unknown = { ...known, name: `${known.name}-missing` };
      await expect(buffer.publish(unknown.name, testMessage(unknown))).rejects.toBeInstanceOf(
        UnknownChannelError,
      );
      await expect(buffer.fetch(fetchRequest(unknown))).rejects.toBeInstanceOf(UnknownChannelError);
      await expect(buffer.ensureGroup(unknown.name, "g")).rejects.toBeInstanceOf(
        UnknownChannelError,
      );
    });

    it("accepts ensureChannel again and applies the new settings, keeping messages", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ maxQueueSize: 1 });
      const [kept] = await publishMany(buffer, channel, 1);
      await expect(buffer.publish(channel.name, testMessage(channel))).rejects.toBeInstanceOf(
        QueueFullError,
      );
      await buffer.ensureChannel({ ...channel, maxQueueSize: 2 });
      await buffer.ensureChannel({ ...channel, maxQueueSize: 2 });
      const added = testMessage(channel);
      await buffer.publish(channel.name, added);
      const deliveries = await buffer.fetch(fetchRequest(channel));
      expect(idsOf(deliveries)).toEqual([kept!.messageId, added.messageId]);
    });
  });

  describe("state and health", () => {
    it("round-trips state values and overwrites them", async () => {
      const buffer = ctx.buffer();
      const key = ctx.stateKey();
      expect(await buffer.getState(key)).toBeUndefined();
      await buffer.setState(key, 'token-1\n{"grace":30} ✓');
      expect(await buffer.getState(key)).toBe('token-1\n{"grace":30} ✓');
      await buffer.setState(key, "token-2");
      expect(await buffer.getState(key)).toBe("token-2");
    });

    it("answers ping", async () => {
      await expect(ctx.buffer().ping()).resolves.toBeUndefined();
    });
  });
}
