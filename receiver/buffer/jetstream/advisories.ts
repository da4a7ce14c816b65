/**
 * Backstop for dead letters: when a consumer gives up on a message
 * (`max_deliver` reached without fetch.ts having dead-lettered it, e.g.
 * because the dead-letter write failed), JetStream publishes a
 * max-deliveries advisory. One replica (queue group) files the dead letter
 * from the stored message and then acks the given-up delivery, so interest
 * retention can drop the message — nats-server 2.9 otherwise keeps it until
 * another group's ack or the stream's max age.
 *
 * Advisories are core NATS messages: one raised while no replica is
 * connected is not seen; the message then leaves with the stream's max age.
 */
import type { Subscription } from "@nats-io/transport-node";
import { apiRequest, ERR_NO_MESSAGE, errCodeOf, subscribeJson } from "./api.js";
import { decodeMessage } from "./codec.js";
import type { JetStreamContext } from "./context.js";
import { writeDeadLetter } from "./dead-letters.js";
import { channelStream, groupOfConsumer, maxDeliveriesAdvisorySubject } from "./names.js";

/** Queue group sharing the advisories between replicas. */
export const ADVISORY_QUEUE = "wc-dead-letters";

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

interface RawMessage {
  message: { seq: number; data?: string };
}

/** Files the dead letter of one advisory. */
export async function handleMaxDeliveries(
  ctx: JetStreamContext,
  channel: string,
  advisory: MaxDeliveriesAdvisory,
): Promise<void> {
  const group = groupOfConsumer(advisory.consumer);
  if (group === undefined || advisory.stream !== channelStream(channel)) return;
  let raw: RawMessage;
  try {
    raw = await apiRequest<RawMessage>(
      ctx.nc,
      `$JS.API.STREAM.MSG.GET.${advisory.stream}`,
      { seq: advisory.stream_seq },
      ctx.requestTimeoutMs,
    );
  } catch (error) {
    if (errCodeOf(error) === ERR_NO_MESSAGE) return;
    throw error;
  }
  const message = decodeMessage(globalThis.Buffer.from(raw.message.data ?? "", "base64"));
  message.sequence = BigInt(advisory.stream_seq);
  message.deliveryAttempt = advisory.deliveries;
  const now = ctx.now();
  await writeDeadLetter(ctx, {
    channel,
    group,
    message,
    reason: `not acknowledged after ${advisory.deliveries} delivery attempts`,
    attempts: advisory.deliveries,
    firstFailedAt: now,
    streamSeq: advisory.stream_seq,
  });
  ctx.leases.forget(channel, group, message.messageId);
  // Acking the given-up delivery lets interest retention drop the message.
  await ctx.nc.request(
    `$JS.ACK.${advisory.stream}.${advisory.consumer}.${advisory.deliveries}.${advisory.stream_seq}.0.0.0`,
    "+ACK",
    { timeout: ctx.requestTimeoutMs },
  );
}

/** Subscribes to the channel's max-deliveries advisories. */
export function watchMaxDeliveries(ctx: JetStreamContext, channel: string): Subscription {
  return subscribeJson<MaxDeliveriesAdvisory>(
    ctx.nc,
    maxDeliveriesAdvisorySubject(channel),
    (advisory) => {
      handleMaxDeliveries(ctx, channel, advisory).catch((error: unknown) =>
        ctx.emit({ type: "backgroundError", task: "max-deliveries advisory", error }),
      );
    },
    ADVISORY_QUEUE,
  );
}
