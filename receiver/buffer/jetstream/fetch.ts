/**
 * Leasing messages: pulls from the group's durable consumer and turns each
 * JetStream delivery into a Delivery. First a pull takes whatever is ready
 * (up to `max`); when nothing was, a pull for one message waits up to the
 * rest of `waitMs`, and once it arrives another pull adds whatever else is
 * ready — so a long-poll returns as soon as the first message exists.
 * "Ready" pulls are `no_wait` on unlimited consumers; ordered consumers
 * (one message in flight, batch 1) use a READY_PULL_MS expiry instead
 * (see pull.ts).
 *
 * Deliveries that must not reach a connector are settled here instead:
 * a replay meant for another group is acked; a message past its expiry is
 * dropped and counted; a delivery beyond `maxDeliveryAttempts` (the lease of
 * the last allowed attempt ran out; the consumer allows one extra delivery
 * for exactly this) is dead-lettered and terminated.
 */
import type { Msg } from "@nats-io/transport-node";
import { withDeliveryFields } from "../../../wire/index.js";
import type { Delivery, FetchRequest } from "../buffer.js";
import { unavailable } from "./api.js";
import { decodeMessage, expiresAtMs, TARGET_GROUP_HEADER } from "./codec.js";
import { type JetStreamContext, requireChannel } from "./context.js";
import { dropExpired } from "./expiry.js";
import { channelStream, consumerName } from "./names.js";
import { parseAckSubject, pull } from "./pull.js";
import { deadLetterLease } from "./settle.js";

/** How long a pull for "whatever is ready now" stays open on the server. */
export const READY_PULL_MS = 25;

async function settleQuietly(ctx: JetStreamContext, msg: Msg, payload: string): Promise<void> {
  if (msg.reply === undefined) return;
  await ctx.nc.request(msg.reply, payload, { timeout: ctx.requestTimeoutMs });
}

async function toDelivery(
  ctx: JetStreamContext,
  request: FetchRequest,
  msg: Msg,
): Promise<Delivery | undefined> {
  const settings = requireChannel(ctx, request.channel);
  const ackSubject = msg.reply ?? "";
  const { deliveryCount, streamSeq } = parseAckSubject(ackSubject);
  const target = msg.headers?.get(TARGET_GROUP_HEADER);
  if (target !== undefined && target !== "" && decodeURIComponent(target) !== request.group) {
    await settleQuietly(ctx, msg, "+ACK");
    return undefined;
  }
  let message: ReturnType<typeof decodeMessage>;
  try {
    message = decodeMessage(msg.data);
  } catch {
    ctx.emit({ type: "undecodable", channel: request.channel, streamSeq });
    await settleQuietly(ctx, msg, "+TERM");
    return undefined;
  }
  const now = ctx.now();
  const expiry = expiresAtMs(message);
  if (expiry !== undefined && expiry <= now) {
    await dropExpired(ctx, request.channel, streamSeq);
    await settleQuietly(ctx, msg, "+TERM");
    ctx.leases.forget(request.channel, request.group, message.messageId);
    return undefined;
  }
  message.sequence = BigInt(streamSeq);
  message.deliveryAttempt = deliveryCount;
  const leaseExpiresAt = now + Math.round(settings.ackTimeoutSeconds * 1000);
  const lease = ctx.leases.add(
    {
      channel: request.channel,
      group: request.group,
      messageId: message.messageId,
      consumerId: request.consumerId,
      ackSubject,
      streamSeq,
      attempt: Math.min(deliveryCount, settings.maxDeliveryAttempts),
      message,
      leaseExpiresAt,
    },
    now,
  );
  if (deliveryCount > settings.maxDeliveryAttempts) {
    try {
      await deadLetterLease(
        ctx,
        lease,
        `not acknowledged within ${settings.ackTimeoutSeconds} s on delivery attempt ${settings.maxDeliveryAttempts} of ${settings.maxDeliveryAttempts}`,
      );
    } catch {
      // Left unacked: JetStream stops redelivering it and raises the
      // max-deliveries advisory, which files the dead letter instead.
      ctx.leases.forget(request.channel, request.group, message.messageId);
    }
    return undefined;
  }
  return {
    messageId: message.messageId,
    deliveryAttempt: message.deliveryAttempt,
    message,
    // The stored payload goes to the wire as it is.
    encoded: withDeliveryFields(msg.data, streamSeq, deliveryCount),
    group: request.group,
    leaseExpiresAt,
  };
}

/** Leases up to `request.max` messages (see the module comment). */
export async function fetchDeliveries(
  ctx: JetStreamContext,
  request: FetchRequest,
): Promise<Delivery[]> {
  const settings = requireChannel(ctx, request.channel);
  const stream = channelStream(request.channel);
  const consumer = consumerName(request.group);
  // An ordered channel has one message in flight; nats-server 2.9 misbehaves
  // when a pull batch exceeds the consumer's ack-pending room.
  const max = settings.ordered ? 1 : Math.max(1, Math.floor(request.max));
  const deadline = performance.now() + Math.max(0, request.waitMs);
  const deliveries: Delivery[] = [];

  const take = async (batch: number, expiresMs: number, ready: boolean): Promise<void> => {
    let received: Msg[];
    try {
      received = await pull(ctx.conn, {
        stream,
        consumer,
        batch,
        expiresMs,
        noWait: ready && !settings.ordered,
        signal: request.signal,
      });
    } catch (error) {
      throw unavailable("fetching messages", error);
    }
    for (const msg of received) {
      const delivery = await toDelivery(ctx, request, msg).catch((error: unknown) => {
        throw unavailable("leasing a message", error);
      });
      if (delivery !== undefined) deliveries.push(delivery);
    }
  };

  await take(max, READY_PULL_MS, true);
  while (deliveries.length === 0 && request.signal?.aborted !== true) {
    const remaining = deadline - performance.now();
    if (remaining <= READY_PULL_MS) break;
    await take(1, remaining, false);
    if (deliveries.length > 0 && max > 1) await take(max - 1, READY_PULL_MS, true);
  }
  return deliveries;
}
