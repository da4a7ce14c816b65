/**
 * Leasing: hands out ready deliveries of a group in sequence order and
 * computes when the next one becomes ready, so a waiting fetch sleeps on a
 * timer instead of polling.
 */
import type { Delivery, FetchRequest } from "../buffer.js";
import type { BatchScope } from "./batch.js";
import type { BufferContext } from "./channels.js";
import { decodeMessage } from "./codec.js";
import { sweepExpired } from "./expiry.js";
import { type DeliveryRow, deadLetter, returnExpiredLeases } from "./settle.js";

/** What one leasing pass found. */
export interface LeaseResult {
  /** The leased messages, possibly none. */
  readonly deliveries: Delivery[];
  /** When something in the group may become ready (ms since epoch), if anything is pending. */
  readonly nextReadyAt: number | undefined;
}

interface CandidateRow extends DeliveryRow {
  readonly consumer: string | null;
  readonly available_at: number;
}

function candidates(
  ctx: BufferContext,
  request: FetchRequest,
  ordered: boolean,
  now: number,
): CandidateRow[] {
  if (ordered) {
    // Only the head may go out, and only when it is neither leased nor waiting for a retry.
    const head = ctx.store
      .stmt(
        `SELECT grp, seq, attempt, first_failed_at, consumer, available_at FROM deliveries
         WHERE channel = ? AND grp = ? ORDER BY seq LIMIT 1`,
      )
      .get(request.channel, request.group) as CandidateRow | undefined;
    return head !== undefined && head.consumer === null && head.available_at <= now ? [head] : [];
  }
  // The partial index holds only unleased deliveries; without INDEXED BY the
  // planner walks the primary key and steps over every leased one first.
  return ctx.store
    .stmt(
      `SELECT grp, seq, attempt, first_failed_at, consumer, available_at FROM deliveries
       INDEXED BY deliveries_ready
       WHERE channel = ? AND grp = ? AND consumer IS NULL AND available_at <= ?
       ORDER BY seq LIMIT ?`,
    )
    .all(request.channel, request.group, now, Math.max(1, request.max)) as CandidateRow[];
}

function nextReadyAt(
  ctx: BufferContext,
  request: FetchRequest,
  ordered: boolean,
): number | undefined {
  // Ordered: only the head matters. Otherwise: the earliest retry or lease end.
  const sql = ordered
    ? `SELECT CASE WHEN consumer IS NULL THEN available_at ELSE lease_expires_at END AS at
       FROM deliveries WHERE channel = ? AND grp = ? ORDER BY seq LIMIT 1`
    : `SELECT MIN(CASE WHEN consumer IS NULL THEN available_at ELSE lease_expires_at END) AS at
       FROM deliveries WHERE channel = ? AND grp = ?`;
  const row = ctx.store.stmt(sql).get(request.channel, request.group) as
    | { at: number | null }
    | undefined;
  return row?.at ?? undefined;
}

/** Leases up to `request.max` ready messages of the group. Runs in a transaction. */
export function leaseMessages(
  ctx: BufferContext,
  scope: BatchScope,
  request: FetchRequest,
): LeaseResult {
  const { store } = ctx;
  const { settings } = ctx.channels.require(request.channel);
  sweepExpired(ctx, scope, request.channel);
  returnExpiredLeases(ctx, scope, request.channel);
  const now = store.now();
  const leaseExpiresAt = now + Math.round(settings.ackTimeoutSeconds * 1000);
  const deliveries: Delivery[] = [];
  // Loops only when a candidate had to be dead-lettered (max attempts lowered since).
  for (let pass = 0; pass < 100 && deliveries.length === 0; pass++) {
    const rows = candidates(ctx, request, settings.ordered, now);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.attempt >= settings.maxDeliveryAttempts) {
        deadLetter(ctx, scope, request.channel, row, "maximum delivery attempts reached");
        continue;
      }
      store
        .stmt(
          `UPDATE deliveries SET consumer = ?, lease_expires_at = ?, attempt = attempt + 1
           WHERE channel = ? AND grp = ? AND seq = ?`,
        )
        .run(request.consumerId, leaseExpiresAt, request.channel, request.group, row.seq);
      ctx.due.lease.lower(request.channel, leaseExpiresAt);
      const stored = store
        .stmt("SELECT data FROM messages WHERE channel = ? AND seq = ?")
        .get(request.channel, row.seq) as { data: Uint8Array };
      deliveries.push({
        message: decodeMessage(stored.data, row.seq, row.attempt + 1),
        group: request.group,
        leaseExpiresAt,
      });
    }
  }
  return {
    deliveries,
    nextReadyAt: deliveries.length > 0 ? undefined : nextReadyAt(ctx, request, settings.ordered),
  };
}
