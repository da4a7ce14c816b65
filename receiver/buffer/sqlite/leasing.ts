/**
 * Leasing: picks what a group may have now (in memory), leases it, and
 * returns it once the group's new state is committed, with the stored
 * bytes (from the cache, or read back from the log in the same round).
 */
import { withDeliveryFields } from "../../../wire/index.js";
import type { Delivery, FetchRequest } from "../buffer.js";
import { LazyDelivery } from "../lazy-delivery.js";
import type { ConsumerGroup, Outstanding } from "./consumer-group.js";
import type { LogChannel } from "./log-channel.js";
import {
  deadLetter,
  expireMessage,
  finishEntry,
  type LogContext,
  returnExpiredLeases,
  skipsFor,
} from "./log-context.js";
import type { MessageRows } from "./storage-protocol.js";

/** Picks up to `max`, dead-lettering those that reached the attempt limit. */
function pickLeasable(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
  max: number,
): Outstanding[] {
  const { settings } = channel;
  const picked: Outstanding[] = [];
  // Loops only when candidates had to be dead-lettered (attempt limit lowered since).
  for (let pass = 0; pass < 100 && picked.length === 0; pass++) {
    const candidates = group.pick(ctx.now(), {
      max,
      committed: channel.committed,
      ordered: settings.ordered,
      skips: skipsFor(channel, group),
    });
    if (candidates.length === 0) break;
    for (const entry of candidates) {
      if (entry.attempt >= settings.maxDeliveryAttempts) {
        deadLetter(ctx, channel, group, entry, "maximum delivery attempts reached");
      } else {
        picked.push(entry);
      }
    }
  }
  return picked;
}

/**
 * Leases up to `request.max` messages of the group. Resolves with the
 * deliveries, or undefined when nothing could be picked (the caller then
 * waits); an empty list means what was picked turned out to be expired or
 * gone, and the caller may try again at once.
 */
export async function leaseBatch(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
  request: FetchRequest,
): Promise<Delivery[] | undefined> {
  returnExpiredLeases(ctx, channel, group);
  const picked = pickLeasable(ctx, channel, group, Math.max(1, request.max));
  if (picked.length === 0) {
    // Dead letters filed while picking still have to reach the disk.
    if (group.dirty) await ctx.storage.barrier();
    return undefined;
  }
  const leaseExpiresAt = ctx.now() + Math.round(channel.settings.ackTimeoutSeconds * 1000);
  const attemptsBefore = picked.map((entry) => entry.attempt);
  for (const entry of picked) group.lease(entry, request.consumerId, leaseExpiresAt);
  const unread = picked.filter((entry) => !channel.cache.has(entry.seq)).map((entry) => entry.seq);
  let rows: MessageRows | undefined;
  try {
    const [, read] = await Promise.all([
      ctx.storage.barrier(),
      unread.length === 0
        ? undefined
        : ctx.storage.read<MessageRows>({ op: "messages", channelId: channel.id, seqs: unread }),
    ]);
    rows = read;
  } catch (error) {
    picked.forEach((entry, index) => {
      if (entry.consumer === request.consumerId) group.unpick(entry, attemptsBefore[index]!);
    });
    ctx.notifier.notify(channel.settings.name);
    throw error;
  }
  return deliveriesOf(ctx, channel, group, picked, rows, request.consumerId, leaseExpiresAt);
}

function deliveriesOf(
  ctx: LogContext,
  channel: LogChannel,
  group: ConsumerGroup,
  picked: readonly Outstanding[],
  rows: MessageRows | undefined,
  consumerId: string,
  leaseExpiresAt: number,
): Delivery[] {
  const read = new Map<number, number>();
  if (rows !== undefined) {
    for (let index = 0; index < rows.seqs.length; index++) read.set(rows.seqs[index]!, index);
  }
  const data = rows === undefined ? undefined : new Uint8Array(rows.data);
  const now = ctx.now();
  const deliveries: Delivery[] = [];
  for (const entry of picked) {
    // Settled, expired or released while its state was being written.
    if (group.outstanding.get(entry.seq) !== entry || entry.consumer !== consumerId) continue;
    let messageId: string;
    let expiresAt: number;
    let bytes: Uint8Array;
    const cached = channel.cache.get(entry.seq);
    const index = read.get(entry.seq);
    if (cached !== undefined) {
      ({ messageId, expiresAt, bytes } = cached);
    } else if (index !== undefined && rows !== undefined && data !== undefined) {
      messageId = rows.messageIds[index]!;
      expiresAt = rows.expiresAt[index]!;
      bytes = data.subarray(index === 0 ? 0 : rows.ends[index - 1]!, rows.ends[index]!);
    } else {
      // Not in the log: a sequence a failed round gave up.
      finishEntry(channel, group, entry);
      continue;
    }
    if (expiresAt <= now) {
      expireMessage(channel, entry.seq);
      continue;
    }
    group.identify(entry, messageId);
    deliveries.push(
      new LazyDelivery(
        messageId,
        entry.attempt,
        withDeliveryFields(bytes, entry.seq, entry.attempt),
        group.name,
        leaseExpiresAt,
      ),
    );
  }
  return deliveries;
}
