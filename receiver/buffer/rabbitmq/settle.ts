import type { NackOptions, SettleOutcome } from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import {
  brokerRedeliveries,
  deadLetterHeaders,
  messageIdOf,
  readStored,
  type StoredHeaders,
  storedHeaders,
} from "./codec.js";
import {
  addBacklog,
  type ChannelState,
  type GroupState,
  notifyChanged,
  type RabbitMqContext,
} from "./context.js";
import type { Got } from "./group-reader.js";
import type { Lease } from "./leases.js";
import { deadLetterQueue, groupQueue, retryQueue } from "./names.js";
import { publishConfirmed } from "./publish.js";
import { ensureRetryQueue, retryDelayFor } from "./topology.js";

/** Gives a lease back for redelivery (ordered: kept here until `notBefore`) or at once. */
export function returnLease(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  lease: Lease,
  notBefore: number,
): void {
  if (state.settings.ordered) {
    if (lease.reader.isCurrent(lease.got.generation)) {
      group.held = {
        message: lease.got.message,
        readerGeneration: lease.got.generation,
        consumer: lease.got.consumer,
        attempts: lease.attempt,
        notBefore,
      };
    }
  } else if (ctx.queueType === "classic") {
    // A classic queue keeps no delivery count: republish with the attempts made.
    republish(ctx, state, group, lease.got, lease.attempt).catch((error: unknown) =>
      ctx.emit({ type: "backgroundError", task: "returning a lease", error }),
    );
  } else {
    lease.reader.requeue(lease.got);
  }
  notifyChanged(group);
}

/** Moves a delivery to the dead-letter queue (confirmed), then acks it. */
export async function deadLetter(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  got: Got,
  stored: StoredHeaders,
  details: { attempts: number; reason: string; firstFailedAt: number },
): Promise<void> {
  const channel = state.settings.name;
  const messageId = messageIdOf(got.message);
  const publisher = await ctx.pub.publisher();
  await publishConfirmed(
    publisher,
    "",
    deadLetterQueue(channel),
    got.message.content,
    {
      messageId,
      headers: deadLetterHeaders(stored, {
        group: group.name,
        reason: details.reason,
        attempts: details.attempts,
        firstFailedAt: details.firstFailedAt,
        deadLetteredAt: ctx.now(),
      }),
    },
    ctx.publishTimeoutMs,
  );
  group.reader.ack(got);
  state.meta.count("deadLettered");
  addBacklog(state, group.name, -1);
  ctx.leases.forgetFailures(channel, group.name, messageId);
  notifyChanged(group);
}

/** Acks a leased message. */
export function ackLease(state: ChannelState, group: GroupState, lease: Lease): SettleOutcome {
  if (!lease.reader.ack(lease.got)) return "not_found";
  state.meta.count("delivered");
  addBacklog(state, group.name, -1);
  notifyChanged(group);
  return "acked";
}

/** Nacks a leased message (already taken from the registry). */
export async function nackLease(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  lease: Lease,
  options: NackOptions,
): Promise<SettleOutcome> {
  const settings = state.settings;
  if (!lease.reader.isCurrent(lease.got.generation)) return "not_found";
  const now = ctx.now();
  const firstFailedAt = ctx.leases.noteFailure(lease.channel, lease.group, lease.messageId, now);
  const stored = readStored(lease.got.message);
  try {
    if (!options.retry || lease.attempt >= settings.maxDeliveryAttempts) {
      await deadLetter(ctx, state, group, lease.got, stored, {
        attempts: lease.attempt,
        reason: options.reason,
        firstFailedAt,
      });
      return "dead_lettered";
    }
    const delayMs = nackDelayMs(lease.attempt, options.requestedDelayMs ?? 0);
    if (settings.ordered) {
      returnLease(ctx, state, group, lease, now + delayMs);
      return "requeued";
    }
    const bucket = retryDelayFor(delayMs);
    if (!group.retryDelays.has(bucket)) {
      await ensureRetryQueue(ctx.conn.model(), lease.channel, group.name, bucket, ctx.queueType);
      await state.meta.addRetryDelay(group.name, bucket);
      group.retryDelays.add(bucket);
    }
    const publisher = await ctx.pub.publisher();
    await publishConfirmed(
      publisher,
      "",
      retryQueue(lease.channel, group.name, bucket),
      lease.got.message.content,
      {
        messageId: lease.messageId,
        headers: storedHeaders({ ...stored, priorAttempts: lease.attempt }),
      },
      ctx.publishTimeoutMs,
    );
    lease.reader.ack(lease.got);
    group.retrying.set(lease.messageId, stored.receivedAt);
    notifyChanged(group);
    return "requeued";
  } catch (error) {
    // Not moved: the broker redelivers it (a failed delivery either way).
    lease.reader.requeue(lease.got);
    throw error;
  }
}

/** Returns the leases of a consumer that went away (the attempt stays counted). */
export function releaseLeases(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  consumerId: string,
): void {
  for (const lease of ctx.leases.of(
    state.settings.name,
    group.name,
    (l) => l.consumerId === consumerId,
  )) {
    ctx.leases.take(lease.channel, lease.group, lease.messageId);
    ctx.leases.noteFailure(lease.channel, lease.group, lease.messageId, ctx.now());
    returnLease(ctx, state, group, lease, ctx.now());
  }
}

/**
 * Publishes a delivery again at the end of its group queue with `attempts`
 * deliveries counted (confirmed), then acks it; requeues it if that fails.
 */
async function republish(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  got: Got,
  attempts: number,
): Promise<void> {
  try {
    const publisher = await ctx.pub.publisher();
    await publishConfirmed(
      publisher,
      "",
      groupQueue(state.settings.name, group.name),
      got.message.content,
      {
        messageId: messageIdOf(got.message),
        headers: storedHeaders({ ...readStored(got.message), priorAttempts: attempts }),
      },
      ctx.publishTimeoutMs,
    );
    group.reader.ack(got);
  } catch {
    group.reader.requeue(got);
  }
}

/**
 * Puts deliveries nobody leased back into the group queue without
 * counting a failed delivery: republished with their attempts so far.
 */
export async function giveBack(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  deliveries: readonly Got[],
): Promise<void> {
  await Promise.all(
    deliveries.map((got) =>
      republish(
        ctx,
        state,
        group,
        got,
        readStored(got.message).priorAttempts + brokerRedeliveries(got.message),
      ),
    ),
  );
}
