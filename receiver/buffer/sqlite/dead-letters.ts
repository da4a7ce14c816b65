/**
 * The dead-letter queue: listing, replay into a group with the attempt
 * count reset, and purge. Filters are bound into one fixed statement so
 * every filter shape shares one prepared statement.
 */
import type { DeadLetter, DeadLetterFilter } from "../buffer.js";
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";
import { decodeMessage, withExpiry } from "./codec.js";

const MATCHES = `channel = @channel
  AND (@ids IS NULL OR message_id IN (SELECT value FROM json_each(@ids)))
  AND (@grp IS NULL OR grp = @grp)
  AND (@from IS NULL OR dead_lettered_at >= @from)
  AND (@to IS NULL OR dead_lettered_at < @to)`;

interface DeadLetterRow {
  readonly id: number;
  readonly grp: string;
  readonly message_id: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly attempts: number;
  readonly first_failed_at: number;
  readonly dead_lettered_at: number;
}

function bind(channel: string, filter: DeadLetterFilter | undefined): Record<string, unknown> {
  return {
    channel,
    ids: filter?.messageIds === undefined ? null : JSON.stringify(filter.messageIds),
    grp: filter?.group ?? null,
    from: filter?.from ?? null,
    to: filter?.to ?? null,
  };
}

/** Dead letters of a channel, oldest first. */
export function listDeadLetters(
  ctx: BufferContext,
  channel: string,
  options: { limit: number; offset: number; filter?: DeadLetterFilter },
): DeadLetter[] {
  ctx.channels.require(channel);
  const rows = ctx.store
    .stmt(
      `SELECT * FROM dead_letters WHERE ${MATCHES}
       ORDER BY dead_lettered_at, id LIMIT @limit OFFSET @offset`,
    )
    .all({
      ...bind(channel, options.filter),
      limit: Math.max(0, options.limit),
      offset: Math.max(0, options.offset),
    }) as DeadLetterRow[];
  return rows.map((row) => ({
    message: decodeMessage(row.data, row.seq, row.attempts),
    group: row.grp,
    reason: row.reason,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at,
    deadLetteredAt: row.dead_lettered_at,
  }));
}

/** Deletes matching dead letters; returns how many. Runs in a transaction. */
export function purgeDeadLetters(
  ctx: BufferContext,
  channel: string,
  filter: DeadLetterFilter,
): number {
  ctx.channels.require(channel);
  return ctx.store.stmt(`DELETE FROM dead_letters WHERE ${MATCHES}`).run(bind(channel, filter))
    .changes;
}

function replayOne(ctx: BufferContext, channel: string, row: DeadLetterRow, group: string): void {
  const { store } = ctx;
  const { settings } = ctx.channels.require(channel);
  const existing = store
    .stmt("SELECT seq FROM messages WHERE channel = ? AND message_id = ?")
    .get(channel, row.message_id) as { seq: number } | undefined;
  let seq: number;
  if (existing === undefined) {
    // The message left the channel; it comes back as a new entry with a fresh TTL.
    const now = store.now();
    const expiresAt = now + Math.round(settings.ttlSeconds * 1000);
    seq = (
      store
        .stmt(
          "UPDATE channels SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq AS seq",
        )
        .get(channel) as { seq: number }
    ).seq;
    store
      .stmt(
        "INSERT INTO messages (channel, seq, message_id, expires_at, data) VALUES (?, ?, ?, ?, ?)",
      )
      .run(channel, seq, row.message_id, expiresAt, withExpiry(row.data, expiresAt));
    ctx.due.expiry.lower(channel, expiresAt);
  } else {
    seq = existing.seq;
  }
  store
    .stmt(
      `INSERT INTO deliveries (channel, grp, seq, attempt, available_at) VALUES (?, ?, ?, 0, 0)
       ON CONFLICT (channel, grp, seq) DO UPDATE SET attempt = 0, available_at = 0,
         consumer = NULL, lease_expires_at = NULL, first_failed_at = NULL`,
    )
    .run(channel, group, seq);
  store.stmt("DELETE FROM dead_letters WHERE id = ?").run(row.id);
}

/**
 * Puts matching dead letters back for their group (or `targetGroup`, which
 * must exist) with the attempt count reset. Runs in a transaction.
 */
export function replayDeadLetters(
  ctx: BufferContext,
  scope: BatchScope,
  channel: string,
  filter: DeadLetterFilter,
  targetGroup: string | undefined,
): number {
  const record = ctx.channels.require(channel);
  const rows = ctx.store
    .stmt(`SELECT * FROM dead_letters WHERE ${MATCHES} ORDER BY seq, id`)
    .all(bind(channel, filter)) as DeadLetterRow[];
  let replayed = 0;
  for (const row of rows) {
    const group = targetGroup ?? row.grp;
    if (!record.groups.has(group)) continue;
    replayOne(ctx, channel, row, group);
    replayed++;
  }
  if (replayed > 0) {
    scope.invalidate(channel);
    scope.touch(channel);
  }
  return replayed;
}
