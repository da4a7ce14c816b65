/**
 * Settling deliveries: ack, nack, release, lease expiry and the move to the
 * dead-letter queue. All functions run inside a batch transaction.
 */

import type { NackOptions, SettleOutcome } from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";

/** The settle-relevant columns of one delivery row. */
export interface DeliveryRow {
  readonly grp: string;
  readonly seq: number;
  readonly attempt: number;
  readonly first_failed_at: number | null;
}

function deliveryOf(
  ctx: BufferContext,
  channel: string,
  group: string,
  messageId: string,
): DeliveryRow | undefined {
  return ctx.store
    .stmt(
      `SELECT d.grp, d.seq, d.attempt, d.first_failed_at FROM messages m
       JOIN deliveries d ON d.channel = m.channel AND d.grp = ? AND d.seq = m.seq
       WHERE m.channel = ? AND m.message_id = ?`,
    )
    .get(group, channel, messageId) as DeliveryRow | undefined;
}

/** Deletes the message once no group has a delivery of it left. */
export function removeIfSettled(ctx: BufferContext, channel: string, seq: number): void {
  ctx.store
    .stmt(
      `DELETE FROM messages WHERE channel = ? AND seq = ?
       AND NOT EXISTS (SELECT 1 FROM deliveries WHERE channel = ? AND seq = ?)`,
    )
    .run(channel, seq, channel, seq);
}

/** Moves one group's delivery to the dead-letter queue with `reason`. */
export function deadLetter(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  row: DeliveryRow,
  reason: string,
): void {
  const now = ctx.store.now();
  ctx.store
    .stmt(
      `INSERT INTO dead_letters
         (channel, grp, message_id, seq, data, reason, attempts, first_failed_at, dead_lettered_at)
       SELECT channel, ?, message_id, seq, data, ?, ?, ?, ? FROM messages
       WHERE channel = ? AND seq = ?`,
    )
    .run(row.grp, reason, row.attempt, row.first_failed_at ?? now, now, channel, row.seq);
  ctx.store
    .stmt("DELETE FROM deliveries WHERE channel = ? AND grp = ? AND seq = ?")
    .run(channel, row.grp, row.seq);
  ctx.store
    .stmt("UPDATE channels SET dead_lettered = dead_lettered + 1 WHERE name = ?")
    .run(channel);
  removeIfSettled(ctx, channel, row.seq);
  scope.invalidate(channel);
  scope.touch(channel);
}

/**
 * Ends a lease without an ack (expired, or its connection went away): the
 * message is available again at once, or dead-lettered when that was the
 * last allowed attempt.
 */
export function returnLease(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  row: DeliveryRow,
  why: string,
): void {
  const { maxDeliveryAttempts } = ctx.channels.require(channel).settings;
  if (row.attempt >= maxDeliveryAttempts) {
    deadLetter(
      ctx,
      scope,
      channel,
      row,
      `${why} on delivery attempt ${row.attempt} of ${maxDeliveryAttempts}`,
    );
    return;
  }
  const now = ctx.store.now();
  ctx.store
    .stmt(
      `UPDATE deliveries SET consumer = NULL, lease_expires_at = NULL, available_at = ?,
         first_failed_at = COALESCE(first_failed_at, ?)
       WHERE channel = ? AND grp = ? AND seq = ?`,
    )
    .run(now, now, channel, row.grp, row.seq);
  scope.touch(channel);
}

/** Returns every lease of `channel` that ran out by now. */
export function returnExpiredLeases(ctx: BufferContext, scope: BatchScope, channel: string): void {
  const now = ctx.store.now();
  if (!ctx.due.lease.isDue(channel, now)) return;
  const rows = ctx.store
    .stmt(
      `SELECT grp, seq, attempt, first_failed_at FROM deliveries
       WHERE channel = ? AND consumer IS NOT NULL AND lease_expires_at <= ?`,
    )
    .all(channel, now) as DeliveryRow[];
  for (const row of rows) returnLease(ctx, scope, channel, row, "not acknowledged in time");
  const next = ctx.store
    .stmt(
      `SELECT MIN(lease_expires_at) AS at FROM deliveries
       WHERE channel = ? AND consumer IS NOT NULL`,
    )
    .get(channel) as { at: number | null };
  ctx.due.lease.learn(channel, next.at);
}

/** Acks a message for a group. */
export function ackDelivery(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  group: string,
  messageId: string,
): SettleOutcome {
  const row = deliveryOf(ctx, channel, group, messageId);
  if (row === undefined) return "not_found";
  ctx.store
    .stmt("DELETE FROM deliveries WHERE channel = ? AND grp = ? AND seq = ?")
    .run(channel, group, row.seq);
  ctx.store.stmt("UPDATE channels SET delivered = delivered + 1 WHERE name = ?").run(channel);
  removeIfSettled(ctx, channel, row.seq);
  scope.invalidate(channel);
  // In an ordered channel the ack unblocks the next message.
  if (ctx.channels.require(channel).settings.ordered) scope.touch(channel);
  return "acked";
}

/** Nacks a message for a group: requeue after the backoff, or dead-letter. */
export function nackDelivery(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  group: string,
  messageId: string,
  options: NackOptions,
): SettleOutcome {
  const found = deliveryOf(ctx, channel, group, messageId);
  if (found === undefined) return "not_found";
  const row = { ...found, attempt: Math.max(1, found.attempt) };
  if (!options.retry) {
    deadLetter(ctx, scope, channel, row, options.reason);
    return "dead_lettered";
  }
  const { maxDeliveryAttempts } = ctx.channels.require(channel).settings;
  if (row.attempt >= maxDeliveryAttempts) {
    const why = `${options.reason} (gave up after ${row.attempt} of ${maxDeliveryAttempts} delivery attempts)`;
    deadLetter(ctx, scope, channel, row, why);
    return "dead_lettered";
  }
  const now = ctx.store.now();
  const availableAt = now + nackDelayMs(row.attempt, options.requestedDelayMs ?? 0);
  ctx.store
    .stmt(
      `UPDATE deliveries SET consumer = NULL, lease_expires_at = NULL, available_at = ?,
         first_failed_at = COALESCE(first_failed_at, ?)
       WHERE channel = ? AND grp = ? AND seq = ?`,
    )
    .run(availableAt, now, channel, group, row.seq);
  // Waiting fetches re-arm their timer to the new retry time.
  scope.touch(channel);
  return "requeued";
}

/** Returns every lease of `consumerId` in a group at once. */
export function releaseConsumer(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  group: string,
  consumerId: string,
): void {
  const rows = ctx.store
    .stmt(
      `SELECT grp, seq, attempt, first_failed_at FROM deliveries
       WHERE channel = ? AND grp = ? AND consumer = ?`,
    )
    .all(channel, group, consumerId) as DeliveryRow[];
  for (const row of rows) returnLease(ctx, scope, channel, row, "connection closed");
}
