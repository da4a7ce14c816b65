/**
 * TTL expiry, counted exactly once across replicas. Messages of a channel
 * expire in sequence order (one TTL per channel), so the sweep walks from
 * the stream's first message while messages are past their `expiresAt` and
 * purges everything before the first live one. The purge answer says how
 * many messages it removed — when two replicas sweep at once, the second
 * purge removes (and counts) nothing. A message a fetch meets past its
 * expiry (e.g. out of order after a TTL change) is deleted singly, counted
 * only if the delete removed it.
 */
import { deleteMessage, getNextMessage } from "./api.js";
import { decodeMessage, expiresAtMs } from "./codec.js";
import type { JetStreamContext } from "./context.js";
import { channelStream, channelSubjects } from "./names.js";

/** Most messages one sweep inspects; the next sweep continues. */
const SWEEP_LIMIT = 1_000;

/** Drops the expired head of a channel's stream; returns how many were dropped. */
export async function sweepExpired(ctx: JetStreamContext, channel: string): Promise<number> {
  const stream = channelStream(channel);
  const subjects = channelSubjects(channel);
  const now = ctx.now();
  let seq = 1;
  let boundary: number | undefined;
  for (let inspected = 0; inspected < SWEEP_LIMIT; inspected++) {
    const stored = await getNextMessage(ctx.nc, stream, seq, subjects, ctx.requestTimeoutMs);
    if (stored === undefined) break;
    let expiry: number | undefined;
    try {
      expiry = expiresAtMs(decodeMessage(stored.data));
    } catch {
      expiry = undefined;
    }
    if (expiry === undefined || expiry > now) break;
    seq = stored.seq + 1;
    boundary = seq;
  }
  if (boundary === undefined) return 0;
  const answer = await ctx.jsm.streams.purge(stream, { seq: boundary });
  if (answer.purged > 0) ctx.counters.add(channel, { expired: answer.purged });
  return answer.purged;
}

/** Drops one expired message met by a fetch; counts it if this call removed it. */
export async function dropExpired(
  ctx: JetStreamContext,
  channel: string,
  streamSeq: number,
): Promise<void> {
  if (await deleteMessage(ctx.nc, channelStream(channel), streamSeq, ctx.requestTimeoutMs)) {
    ctx.counters.add(channel, { expired: 1 });
  }
}
