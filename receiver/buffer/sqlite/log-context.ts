/**
 * What the embedded buffer's operations share (the storage worker, the
 * channels, wake-ups, the clock) and the state transitions more than one
 * of them makes: a message done for a group, dead-lettered, expired, or a
 * lease returned.
 */
import { UnknownChannelError } from "../../errors.js";
import type { ConsumerGroup, Outstanding } from "./consumer-group.js";
import type { LogChannel } from "./log-channel.js";
import type { DiskGuard } from "./maintenance.js";
import type { Notifier } from "./notifier.js";
import type { Storage } from "./storage.js";

/** The embedded buffer's shared state. */
export interface LogContext {
  readonly storage: Storage;
  readonly channels: Map<string, LogChannel>;
  readonly notifier: Notifier;
  /** Clock in ms since epoch. */
  readonly now: () => number;
  /** Refuses new messages before the disk is full; told what each round wrote. */
  readonly guard: DiskGuard;
}

/** The channel, or UnknownChannelError. */
export function channelOf(ctx: LogContext, name: string): LogChannel {
  const channel = ctx.channels.get(name);
  if (channel === undefined) throw new UnknownChannelError(name);
  return channel;
}

/** A predicate telling `group` which fresh sequences to skip. */
export function skipsFor(channel: LogChannel, group: ConsumerGroup): (seq: number) => boolean {
  return (seq) => channel.skips(seq, group.name);
}

/** `entry` is done for `group`; the message leaves the queue when every group is done. */
export function finishEntry(channel: LogChannel, group: ConsumerGroup, entry: Outstanding): void {
  group.finish(entry);
  if (!channel.undoneByAny(entry.seq)) channel.queued--;
}

/** Moves one group's message to the dead-letter queue with `reason`. */
export function deadLetter(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
  entry: Outstanding,
  reason: string,
): void {
  const now = ctx.now();
  // The copy of the stored message is made in the same round as the group's
  // new state, before any retention of that round could delete the message.
  ctx.storage
    .write({
      op: "deadLetter",
      channelId: channel.id,
      channel: channel.settings.name,
      group: group.name,
      seq: entry.seq,
      reason,
      attempts: Math.max(1, entry.attempt),
      firstFailedAt: entry.firstFailedAt === 0 ? now : entry.firstFailedAt,
      deadLetteredAt: now,
    })
    // A failed write fails the whole round; callers learn it from their barrier.
    .catch(() => undefined);
  finishEntry(channel, group, entry);
  channel.deadLettered++;
  channel.deadLetterCount++;
  channel.countersDirty = true;
  ctx.notifier.notify(channel.settings.name);
}

/**
 * Ends a lease without an ack (it ran out, or its connection went away):
 * the message is available again at once, or dead-lettered when that was
 * the last allowed attempt.
 */
export function returnLease(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
  entry: Outstanding,
  why: string,
): void {
  const max = channel.settings.maxDeliveryAttempts;
  if (entry.attempt >= max) {
    deadLetter(ctx, channel, group, entry, `${why} on delivery attempt ${entry.attempt} of ${max}`);
    return;
  }
  const now = ctx.now();
  group.requeue(entry, now, now);
  ctx.notifier.notify(channel.settings.name);
}

/** Returns every lease of `group` that ran out by now. */
export function returnExpiredLeases(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
): void {
  for (const entry of group.expiredLeases(ctx.now())) {
    returnLease(ctx, channel, group, entry, "not acknowledged in time");
  }
}

/**
 * A message found past its TTL while leasing: dropped for every group,
 * never delivered, counted once.
 */
export function expireMessage(channel: LogChannel, seq: number): void {
  if (channel.undoneByAny(seq)) {
    channel.queued--;
    channel.expired++;
    channel.countersDirty = true;
  }
  for (const group of channel.groups.values()) {
    const entry = group.outstanding.get(seq);
    if (entry !== undefined) group.finish(entry);
  }
  // Groups whose cursor is still below it must skip it.
  if (seq > channel.minCursor()) channel.gone.add(seq);
}

/**
 * Every message from `after + 1` through `through` expired (the log is in
 * ingest order, so expiry takes a prefix): each group moves past them, and
 * those some group had not finished are counted.
 */
export function expireThrough(channel: LogChannel, after: number, through: number): void {
  for (let seq = after + 1; seq <= through; seq++) {
    if (channel.undoneByAny(seq)) {
      channel.queued--;
      channel.expired++;
    }
  }
  for (const group of channel.groups.values()) group.finishThrough(through);
  channel.countersDirty = true;
  channel.pruneSkips();
  // A whole range was freed: delete it with the next round.
  channel.nextRetainAt = 0;
}
