/**
 * The dead-letter stream of a channel (`WCDL_<ch>`): writing a dead letter
 * (de-duplicated per group and stream sequence, so the nack path and the
 * max-deliveries advisory can never file one message twice), listing,
 * replaying into the channel stream for one group, and purging.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../../gen/webhookconnect/v1/message_pb.js";
import type { DeadLetter, DeadLetterFilter } from "../buffer.js";
import { admitsGroupAndTime, admitsMessageId, collectPage } from "../dead-letter-query.js";
import { deleteMessage, getNextMessage } from "./api.js";
import {
  deadLetterHeaders,
  deadLetterMessageId,
  decodeDeadLetter,
  encodeMessage,
  TARGET_GROUP_HEADER,
} from "./codec.js";
import { type JetStreamContext, requireChannel } from "./context.js";
import {
  deadLetterStream,
  deadLetterSubject,
  deadLetterSubjects,
  encodeToken,
  messageSubject,
} from "./names.js";

/** A dead letter to file. */
export interface DeadLetterRecord {
  /** Channel. */
  readonly channel: string;
  /** Group whose delivery failed. */
  readonly group: string;
  /** The message as last delivered. */
  readonly message: WebhookMessage;
  /** Why. */
  readonly reason: string;
  /** Deliveries made. */
  readonly attempts: number;
  /** First failure (ms since epoch). */
  readonly firstFailedAt: number;
  /** Stream sequence in the channel stream (for de-duplication). */
  readonly streamSeq: number;
}

/**
 * Stores a dead letter durably and counts it; resolves false when this
 * (group, stream sequence) was already dead-lettered.
 */
export async function writeDeadLetter(
  ctx: JetStreamContext,
  record: DeadLetterRecord,
): Promise<boolean> {
  const deadLetteredAt = ctx.now();
  const ack = await ctx.publisher.publish({
    subject: deadLetterSubject(record.channel, record.group),
    data: encodeMessage(record.message),
    msgId: `${encodeToken(record.group)}.${record.streamSeq}`,
    headers: deadLetterHeaders(
      {
        group: record.group,
        reason: record.reason,
        attempts: record.attempts,
        firstFailedAt: Math.min(record.firstFailedAt, deadLetteredAt),
        deadLetteredAt,
      },
      record.message.messageId,
    ),
    channel: record.channel,
    limit: Number.POSITIVE_INFINITY,
  });
  if (ack.duplicate) return false;
  ctx.counters.add(record.channel, { deadLettered: 1 });
  return true;
}

/** Walks the dead letters matching `filter`, oldest first, until `visit` returns false. */
async function walk(
  ctx: JetStreamContext,
  channel: string,
  filter: DeadLetterFilter,
  visit: (letter: DeadLetter, seq: number) => Promise<boolean> | boolean,
): Promise<void> {
  requireChannel(ctx, channel);
  const stream = deadLetterStream(channel);
  const subject =
    filter.group === undefined
      ? deadLetterSubjects(channel)
      : deadLetterSubject(channel, filter.group);
  let seq = 1;
  for (;;) {
    const stored = await getNextMessage(ctx.nc, stream, seq, subject, ctx.requestTimeoutMs);
    if (stored === undefined) return;
    seq = stored.seq + 1;
    // The id is in the headers: letters of other ids are not decoded.
    if (!admitsMessageId(filter, deadLetterMessageId(stored.headers))) continue;
    const letter = decodeDeadLetter(stored.data, stored.headers);
    if (!admitsGroupAndTime(filter, letter.group, letter.deadLetteredAt)) continue;
    if (!(await visit(letter, stored.seq))) return;
  }
}

/** Lists dead letters, oldest first. */
export async function listDeadLetters(
  ctx: JetStreamContext,
  channel: string,
  options: { limit: number; offset: number; filter?: DeadLetterFilter },
): Promise<DeadLetter[]> {
  return collectPage(
    options,
    (visit) => walk(ctx, channel, options.filter ?? {}, visit),
    (letter: DeadLetter) => letter,
  );
}

/**
 * Publishes matching dead letters into the channel again for their group (or
 * `targetGroup`), as new messages whose attempt count starts at 1 and whose
 * TTL starts now, then removes them from the dead-letter stream.
 */
export async function replayDeadLetters(
  ctx: JetStreamContext,
  channel: string,
  filter: DeadLetterFilter,
  targetGroup?: string,
): Promise<number> {
  const settings = requireChannel(ctx, channel);
  const matched: { letter: DeadLetter; seq: number }[] = [];
  await walk(ctx, channel, filter, (letter, seq) => {
    matched.push({ letter, seq });
    return true;
  });
  let replayed = 0;
  for (const { letter, seq } of matched) {
    const now = ctx.now();
    const message = create(WebhookMessageSchema, {
      ...letter.message,
      sequence: 0n,
      deliveryAttempt: 0,
      expiresAt: timestampFromMs(Math.round(now + settings.ttlSeconds * 1000)),
    });
    await ctx.publisher.publish({
      subject: messageSubject(channel, message.webhookId),
      data: encodeMessage(message),
      headers: { [TARGET_GROUP_HEADER]: encodeURIComponent(targetGroup ?? letter.group) },
      channel,
      limit: settings.maxQueueSize,
    });
    await deleteMessage(ctx.nc, deadLetterStream(channel), seq, ctx.requestTimeoutMs);
    replayed++;
  }
  return replayed;
}

/** Deletes matching dead letters; returns how many. */
export async function purgeDeadLetters(
  ctx: JetStreamContext,
  channel: string,
  filter: DeadLetterFilter,
): Promise<number> {
  requireChannel(ctx, channel);
  const stream = deadLetterStream(channel);
  const empty =
    filter.messageIds === undefined &&
    filter.group === undefined &&
    filter.from === undefined &&
    filter.to === undefined;
  if (empty) {
    const answer = await ctx.jsm.streams.purge(stream);
    return answer.purged;
  }
  const seqs: number[] = [];
  await walk(ctx, channel, filter, (_letter, seq) => {
    seqs.push(seq);
    return true;
  });
  let purged = 0;
  for (const seq of seqs) {
    if (await deleteMessage(ctx.nc, stream, seq, ctx.requestTimeoutMs)) purged++;
  }
  return purged;
}
