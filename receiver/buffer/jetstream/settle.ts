/**
 * Settling leases: ack, nack (delayed `-NAK` for a retry; dead letter then
 * `+TERM` otherwise) and release (`-NAK` without delay). Every request to
 * the ack subject waits for the server's confirmation, so "acked" means
 * JetStream applied it.
 *
 * Acks for a lease held by another receiver replica (SPEC §7: ack anywhere)
 * go over core NATS: every replica subscribes to `wcsettle.<channel>`; the
 * one holding the lease applies the settlement and answers, the others stay
 * silent. No answer within `settleTimeoutMs` means nobody holds it:
 * `not_found` (already settled, or its holder is gone and JetStream will
 * redeliver it when the lease runs out).
 */
import type { Subscription } from "@nats-io/transport-node";
import { WebhookConnectError } from "../../errors.js";
import type { NackOptions, SettleOutcome } from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import { subscribeJson, unavailable } from "./api.js";
import { type JetStreamContext, requireChannel } from "./context.js";
import { writeDeadLetter } from "./dead-letters.js";
import type { Lease } from "./leases.js";
import { settleSubject } from "./names.js";

/** A settlement relayed to the replica holding the lease. */
export type SettleRequest =
  | { readonly op: "ack"; readonly group: string; readonly messageId: string }
  | {
      readonly op: "nack";
      readonly group: string;
      readonly messageId: string;
      readonly options: NackOptions;
    };

async function tellServer(ctx: JetStreamContext, lease: Lease, payload: string): Promise<void> {
  try {
    await ctx.nc.request(lease.ackSubject, payload, { timeout: ctx.requestTimeoutMs });
  } catch (error) {
    throw unavailable("settling a delivery", error);
  }
}

/** Acks a lease this replica holds. */
export async function ackLease(ctx: JetStreamContext, lease: Lease): Promise<SettleOutcome> {
  await tellServer(ctx, lease, "+ACK");
  ctx.leases.settle(lease, ctx.now());
  ctx.counters.add(lease.channel, { delivered: 1 });
  return "acked";
}

/**
 * Dead-letters a delivery: the dead letter is stored first, then the
 * delivery is terminated, so a failure in between leaves the message leased
 * (and redelivered later), never lost.
 */
export async function deadLetterLease(
  ctx: JetStreamContext,
  lease: Lease,
  reason: string,
): Promise<SettleOutcome> {
  const now = ctx.now();
  const firstFailedAt = ctx.leases.noteFailure(lease, now);
  await writeDeadLetter(ctx, {
    channel: lease.channel,
    group: lease.group,
    message: lease.message,
    reason,
    attempts: lease.attempt,
    firstFailedAt,
    streamSeq: lease.streamSeq,
  });
  await tellServer(ctx, lease, "+TERM");
  ctx.leases.settle(lease, now);
  return "dead_lettered";
}

/** Nacks a lease this replica holds. */
export async function nackLease(
  ctx: JetStreamContext,
  lease: Lease,
  options: NackOptions,
): Promise<SettleOutcome> {
  const settings = requireChannel(ctx, lease.channel);
  if (!options.retry) return deadLetterLease(ctx, lease, options.reason);
  if (lease.attempt >= settings.maxDeliveryAttempts) {
    return deadLetterLease(
      ctx,
      lease,
      `${options.reason} (gave up after ${lease.attempt} delivery attempts)`,
    );
  }
  const now = ctx.now();
  ctx.leases.noteFailure(lease, now);
  const delayMs = nackDelayMs(lease.attempt, options.requestedDelayMs);
  await tellServer(ctx, lease, `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`);
  ctx.leases.markWaiting(lease, now + delayMs);
  return "requeued";
}

/** Returns every lease of a consumer to its group at once (`-NAK` without delay). */
export async function releaseLeases(
  ctx: JetStreamContext,
  channel: string,
  group: string,
  consumerId: string,
): Promise<void> {
  const leases = ctx.leases.ofConsumer(channel, group, consumerId);
  await Promise.all(
    leases.map(async (lease) => {
      await tellServer(ctx, lease, "-NAK");
      ctx.leases.markWaiting(lease, ctx.now());
    }),
  );
}

/** Applies a settlement to a lease this replica holds. */
export function applySettle(
  ctx: JetStreamContext,
  lease: Lease,
  request: SettleRequest,
): Promise<SettleOutcome> {
  return request.op === "ack" ? ackLease(ctx, lease) : nackLease(ctx, lease, request.options);
}

/** Answers settlements for leases this replica holds, on the channel's settle subject. */
export function serveSettlements(ctx: JetStreamContext, channel: string): Subscription {
  return subscribeJson<SettleRequest>(ctx.nc, settleSubject(channel), (request, msg) => {
    const lease = ctx.leases.get(channel, request.group, request.messageId);
    if (lease === undefined) return;
    applySettle(ctx, lease, request).then(
      (outcome) => msg.respond(JSON.stringify({ outcome })),
      (error: unknown) =>
        msg.respond(
          JSON.stringify({ error: error instanceof Error ? error.message : String(error) }),
        ),
    );
  });
}

/** Asks the other replicas to settle a lease; `not_found` when none holds it. */
export async function settleRemotely(
  ctx: JetStreamContext,
  channel: string,
  request: SettleRequest,
  timeoutMs: number,
): Promise<SettleOutcome> {
  ctx.conn.assertConnected();
  let answer: { outcome?: SettleOutcome; error?: string };
  try {
    const reply = await ctx.nc.request(settleSubject(channel), JSON.stringify(request), {
      timeout: timeoutMs,
    });
    answer = reply.json();
  } catch (error) {
    if (error instanceof WebhookConnectError) throw error;
    // Timeout or no responders: no replica holds the lease.
    if (ctx.conn.connected()) return "not_found";
    throw unavailable("relaying a settlement", error);
  }
  if (answer.error !== undefined || answer.outcome === undefined) {
    throw unavailable("settling on the replica holding the lease", answer.error);
  }
  return answer.outcome;
}
