/**
 * TTL expiry: messages past their `expiresAt` are dropped from every group,
 * never delivered, and counted once each in the channel's `expired` counter.
 */
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";

/** Drops the expired messages of `channel`; returns how many. Runs in a transaction. */
export function sweepExpired(ctx: BufferContext, scope: BatchScope, channel: string): number {
  const { store } = ctx;
  const now = store.now();
  if (!ctx.due.expiry.isDue(channel, now)) return 0;
  const any = store
    .stmt("SELECT 1 FROM messages WHERE channel = ? AND expires_at <= ? LIMIT 1")
    .get(channel, now);
  if (any === undefined) {
    learnExpiry(ctx, channel);
    return 0;
  }
  store
    .stmt(
      `DELETE FROM deliveries WHERE channel = ? AND seq IN
         (SELECT seq FROM messages WHERE channel = ? AND expires_at <= ?)`,
    )
    .run(channel, channel, now);
  const { changes } = store
    .stmt("DELETE FROM messages WHERE channel = ? AND expires_at <= ?")
    .run(channel, now);
  store.stmt("UPDATE channels SET expired = expired + ? WHERE name = ?").run(changes, channel);
  learnExpiry(ctx, channel);
  scope.invalidate(channel);
  // An expired head of an ordered channel no longer blocks the next message.
  scope.touch(channel);
  return changes;
}

function learnExpiry(ctx: BufferContext, channel: string): void {
  const row = ctx.store
    .stmt("SELECT MIN(expires_at) AS at FROM messages WHERE channel = ?")
    .get(channel) as { at: number | null };
  ctx.due.expiry.learn(channel, row.at);
}
