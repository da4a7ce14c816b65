/**
 * Steps and checks that several buffer tests repeat (the conformance cases
 * and the backend-specific tests): publishing for ids, a channel with a
 * second group, dead letters as pairs, and redelivery timing.
 */
import { expect } from "vitest";
import type {
  Buffer,
  ChannelSettings,
  DeadLetter,
  Delivery,
  FetchRequest,
} from "../../receiver/buffer/buffer.js";
import { type ConformanceContext, idsOf, publishMany } from "./buffer-context.js";

/** Publishes `count` messages like publishMany; returns their ids in ingest order. */
export async function publishIds(
  buffer: Buffer,
  channel: ChannelSettings,
  count: number,
): Promise<string[]> {
  return (await publishMany(buffer, channel, count)).map((message) => message.messageId);
}

/**
 * The channel's dead letters (first page of 10) as `[messageId, field]`
 * pairs: which messages were dead-lettered, and why or after how many tries.
 */
export async function deadLetterPairs<Field extends "reason" | "attempts">(
  buffer: Buffer,
  channel: ChannelSettings,
  field: Field,
): Promise<[string, DeadLetter[Field]][]> {
  const letters = await buffer.listDeadLetters(channel.name, { limit: 10, offset: 0 });
  return letters.map((letter) => [letter.message.messageId, letter[field]]);
}

/** The test's buffer and a fresh channel with `group` besides the default one: where fan-out cases start. */
export async function channelWithGroup(
  ctx: ConformanceContext,
  group: string,
): Promise<{ buffer: Buffer; channel: ChannelSettings }> {
  const buffer = ctx.buffer();
  const channel = await ctx.channel();
  await buffer.ensureGroup(channel.name, group);
  return { buffer, channel };
}

/**
 * Fetches with `request` and expects exactly `messageId` back, between
 * `minMs` and `maxMs` after `since` (a performance.now() reading): a
 * redelivery neither early nor late. Resolves with the deliveries.
 */
export async function expectRedelivery(
  buffer: Buffer,
  request: FetchRequest,
  messageId: string,
  since: number,
  { minMs, maxMs }: { minMs: number; maxMs: number },
): Promise<Delivery[]> {
  const again = await buffer.fetch(request);
  const elapsed = performance.now() - since;
  expect(idsOf(again)).toEqual([messageId]);
  expect(elapsed).toBeGreaterThanOrEqual(minMs);
  expect(elapsed).toBeLessThan(maxMs);
  return again;
}
