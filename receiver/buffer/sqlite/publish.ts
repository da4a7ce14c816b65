/**
 * The publish operation of a group commit: deduplicates by message id,
 * checks the queue limit inside the transaction (so it is exact under
 * concurrency), assigns the sequence and creates one delivery per group.
 */
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { QueueFullError } from "../../errors.js";
import type { PublishResult } from "../buffer.js";
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";
import { encodeMessage, expiryOf } from "./codec.js";
import { sweepExpired } from "./expiry.js";

/** Stores one message. Runs in a transaction; throws QueueFullError when the channel is full. */
export function publishMessage(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  message: WebhookMessage,
): PublishResult {
  const { store } = ctx;
  const record = ctx.channels.require(channel);
  const existing = store
    .stmt("SELECT seq FROM messages WHERE channel = ? AND message_id = ?")
    .get(channel, message.messageId) as { seq: number } | undefined;
  if (existing !== undefined) return { sequence: BigInt(existing.seq), duplicate: true };

  const queued = scope.queuedCount(channel, () => {
    sweepExpired(ctx, scope, channel);
    const row = store.stmt("SELECT queued AS n FROM channels WHERE name = ?").get(channel) as {
      n: number;
    };
    return row.n;
  });
  const limit = record.settings.maxQueueSize;
  if (queued >= limit) throw new QueueFullError(channel, limit);

  const now = store.now();
  const expiresAt = expiryOf(message, now, record.settings.ttlSeconds);
  const { seq } = store
    .stmt("UPDATE channels SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq AS seq")
    .get(channel) as { seq: number };
  store
    .stmt(
      "INSERT INTO messages (channel, seq, message_id, expires_at, data) VALUES (?, ?, ?, ?, ?)",
    )
    .run(channel, seq, message.messageId, expiresAt, encodeMessage(message, expiresAt));
  ctx.due.expiry.lower(channel, expiresAt);
  const insertDelivery = store.stmt(
    "INSERT INTO deliveries (channel, grp, seq, attempt, available_at) VALUES (?, ?, ?, 0, 0)",
  );
  for (const group of record.groups) insertDelivery.run(channel, group, seq);
  scope.addQueued(channel);
  scope.touch(channel);
  return { sequence: BigInt(seq), duplicate: false };
}
