/**
 * Turning deliveries into leases and settling them. Attempts are counted
 * as the deliveries made before this copy was published (`wc-attempts`,
 * set when a retry or give-back republishes it) plus the failed deliveries
 * the broker counted for this copy (`x-delivery-count`), plus one.
 *
 * - ack: acks the delivery.
 * - nack with retry: publishes a copy (confirmed) to the group's retry
 *   queue for the backoff delay, then acks the delivery; the broker moves
 *   the copy back into the group queue when its TTL runs out. On an
 *   ordered channel the delivery instead stays unacked here until the
 *   delay passed, so nothing behind it moves.
 * - dead-letter (nack without retry, attempts used up, or the last lease
 *   ran out): publishes it (confirmed) to the dead-letter queue with the
 *   reason, then acks the delivery.
 * - lease expiry and release: `basic.nack` with requeue, which the broker
 *   counts as a failed delivery (ordered channels keep it here instead).
 */
import { withDeliveryFields } from "../../codec/delivery-fields.js";
import type { Delivery, NackOptions, SettleOutcome } from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import {
  brokerRedeliveries,
  deadLetterHeaders,
  decodeStored,
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

/**
 * Leases a delivery to `consumerId`, or settles it here when it must not
 * reach a connector (expired, or its last allowed lease already ran out
 * in a process that is gone). `attempt` overrides the counted attempt.
 */
export async function leaseDelivery(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  got: Got,
  consumerId: string,
  attempt?: number,
): Promise<Delivery | undefined> {
  const settings = state.settings;
  const stored = readStored(got.message);
  const messageId = messageIdOf(got.message);
  const redeliveries = brokerRedeliveries(got.message);
  const thisAttempt = attempt ?? stored.priorAttempts + redeliveries + 1;
  const now = ctx.now();
  group.retrying.delete(messageId);
  if (stored.expiresAt > 0 && stored.expiresAt <= now) {
    group.reader.ack(got);
    state.meta.count("expired");
    addBacklog(state, group.name, -1);
    return undefined;
  }
  if (thisAttempt > settings.maxDeliveryAttempts) {
    const attempts = thisAttempt - 1;
    await deadLetter(ctx, state, group, got, stored, {
      attempts,
      reason: `not acknowledged within ${settings.ackTimeoutSeconds} s on delivery attempt ${attempts} of ${settings.maxDeliveryAttempts}`,
      firstFailedAt: ctx.leases.noteFailure(settings.name, group.name, messageId, now),
    });
    return undefined;
  }
  if (stored.priorAttempts === 0 && redeliveries === 0 && stored.sequence > group.takenSequence) {
    group.takenSequence = stored.sequence;
  }
  const ackTimeoutMs = Math.round(settings.ackTimeoutSeconds * 1000);
  const lease: Lease = {
    channel: settings.name,
    group: group.name,
    messageId,
    consumerId,
    got,
    reader: group.reader,
    attempt: thisAttempt,
    sequence: stored.sequence,
    receivedAt: stored.receivedAt,
    leaseExpiresAt: now + ackTimeoutMs,
    timer: undefined,
  };
  lease.timer = setTimeout(() => {
    expireLease(ctx, state, group, lease).catch((error: unknown) =>
      ctx.emit({ type: "backgroundError", task: "lease expiry", error }),
    );
  }, ackTimeoutMs);
  lease.timer.unref();
  ctx.leases.add(lease);
  const encoded = withDeliveryFields(got.message.content, Number(stored.sequence), thisAttempt);
  let decoded: ReturnType<typeof decodeStored> | undefined;
  return {
    messageId,
    deliveryAttempt: thisAttempt,
    get message() {
      decoded ??= decodeStored(encoded);
      return decoded;
    },
    encoded,
    group: group.name,
    leaseExpiresAt: lease.leaseExpiresAt,
  };
}

async function expireLease(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  lease: Lease,
): Promise<void> {
  if (ctx.leases.get(lease.channel, lease.group, lease.messageId) !== lease) return;
  ctx.leases.take(lease.channel, lease.group, lease.messageId);
  const settings = state.settings;
  const now = ctx.now();
  const firstFailedAt = ctx.leases.noteFailure(lease.channel, lease.group, lease.messageId, now);
  if (lease.attempt >= settings.maxDeliveryAttempts) {
    await deadLetter(ctx, state, group, lease.got, readStored(lease.got.message), {
      attempts: lease.attempt,
      reason: `not acknowledged within ${settings.ackTimeoutSeconds} s on delivery attempt ${lease.attempt} of ${settings.maxDeliveryAttempts}`,
      firstFailedAt,
    });
    return;
  }
  returnLease(ctx, state, group, lease, now);
}

/** Gives a lease back for redelivery (ordered: kept here until `notBefore`) or at once. */
function returnLease(
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
  const publisher = await ctx.conn.publisher();
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
    const publisher = await ctx.conn.publisher();
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
    const publisher = await ctx.conn.publisher();
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
