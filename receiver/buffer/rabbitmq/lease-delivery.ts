/**
 * Turning deliveries into leases. Attempts are counted as the deliveries
 * made before this copy was published (`wc-attempts`, set when a retry or
 * give-back republishes it) plus the failed deliveries the broker counted
 * for this copy (`x-delivery-count`), plus one. The receiver enforces the
 * ack timeout: a lease that runs out is returned (settle.ts), or
 * dead-lettered when it was the last allowed attempt.
 */
import { withDeliveryFields } from "../../../wire/index.js";
import type { Delivery } from "../buffer.js";
import { brokerRedeliveries, decodeStored, messageIdOf, readStored } from "./codec.js";
import { addBacklog, type ChannelState, type GroupState, type RabbitMqContext } from "./context.js";
import type { Got } from "./group-reader.js";
import type { Lease } from "./leases.js";
import { deadLetter, returnLease } from "./settle.js";

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
