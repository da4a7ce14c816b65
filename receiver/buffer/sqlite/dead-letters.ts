/**
 * The dead-letter queue: listing, replay into a group with the attempt
 * count reset, and purge. A replay appends the message to the log again,
 * for its group only, with a fresh TTL; the dead letters it replays are
 * deleted in the same round.
 */
import type { DeadLetter, DeadLetterFilter } from "../buffer.js";
import { appendBytes } from "./appends.js";
import { decodeMessage, withExpiry } from "./codec.js";
import type { LogChannel } from "./log-channel.js";
import type { LogContext } from "./log-context.js";
import type { DeadLetterQuery, DeadLetterRow } from "./storage-protocol.js";

function queryOf(filter: DeadLetterFilter | undefined): DeadLetterQuery {
  return {
    ids: filter?.messageIds === undefined ? null : [...filter.messageIds],
    group: filter?.group ?? null,
    from: filter?.from ?? null,
    to: filter?.to ?? null,
  };
}

/** Dead letters of a channel, oldest first. */
export async function listDeadLetters(
  ctx: LogContext,
  channel: LogChannel,
  options: { limit: number; offset: number; filter?: DeadLetterFilter },
): Promise<DeadLetter[]> {
  const rows = await ctx.storage.read<DeadLetterRow[]>({
    op: "deadLetters",
    channel: channel.settings.name,
    filter: queryOf(options.filter),
    limit: options.limit,
    offset: options.offset,
  });
  return rows.map((row) => ({
    message: decodeMessage(row.data, row.seq, row.attempts),
    group: row.grp,
    reason: row.reason,
    attempts: row.attempts,
    firstFailedAt: row.first_failed_at,
    deadLetteredAt: row.dead_lettered_at,
  }));
}

/** Deletes matching dead letters; returns how many. */
export async function purgeDeadLetters(
  ctx: LogContext,
  channel: LogChannel,
  filter: DeadLetterFilter,
): Promise<number> {
  const removed = await ctx.storage.write({
    op: "purgeDeadLetters",
    channel: channel.settings.name,
    filter: queryOf(filter),
  });
  channel.deadLetterCount -= removed;
  return removed;
}

const replaying = new WeakMap<LogChannel, Promise<unknown>>();

/**
 * Puts matching dead letters back for their group (or `targetGroup`, which
 * must exist) as new messages with the attempt count reset. Replays of one
 * channel run one at a time, so a dead letter is never replayed twice.
 */
export function replayDeadLetters(
  ctx: LogContext,
  channel: LogChannel,
  filter: DeadLetterFilter,
  targetGroup: string | undefined,
): Promise<number> {
  const before = replaying.get(channel) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => replay(ctx, channel, filter, targetGroup));
  replaying.set(channel, run);
  return run;
}

async function replay(
  ctx: LogContext,
  channel: LogChannel,
  filter: DeadLetterFilter,
  targetGroup: string | undefined,
): Promise<number> {
  const rows = await ctx.storage.read<DeadLetterRow[]>({
    op: "deadLetters",
    channel: channel.settings.name,
    filter: queryOf(filter),
    limit: Number.MAX_SAFE_INTEGER,
    offset: 0,
  });
  const ordered = [...rows].sort((a, b) => a.seq - b.seq || a.id - b.id);
  const appended: Promise<void>[] = [];
  const ids: number[] = [];
  const now = ctx.now();
  const expiresAt = now + Math.round(channel.settings.ttlSeconds * 1000);
  for (const row of ordered) {
    const group = targetGroup ?? row.grp;
    if (!channel.groups.has(group)) continue;
    const bytes = withExpiry(row.data, expiresAt);
    appended.push(appendBytes(ctx, channel, row.message_id, expiresAt, bytes, group).done());
    ids.push(row.id);
  }
  if (ids.length === 0) return 0;
  // Same round as the appends: the dead letters go exactly when their copies are stored.
  const [, deleted] = await Promise.all([
    Promise.all(appended),
    ctx.storage.write({ op: "deleteDeadLetters", ids, withAppends: true }),
  ]);
  channel.deadLetterCount -= deleted;
  return ids.length;
}
