/**
 * Appending messages: each publish gets the channel's next sequence at
 * once and waits for its round, which packs every queued message of a
 * channel into one transferable buffer for the storage worker. The round
 * also carries the state that changed since the last one: dirty groups,
 * counters and retention (bounded deletes of the log below the lowest
 * floor).
 */
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import type { EncodedMessage, PublishResult } from "../buffer.js";
import { encodeMessage, expiryOf } from "./codec.js";
import { AppendEntry, type LogChannel } from "./log-channel.js";
import type { LogContext } from "./log-context.js";
import { type RoundContribution, unavailable } from "./storage.js";
import type { AppendBatch, RoundResult, StorageFailure, WriteOp } from "./storage-protocol.js";

/** Most log rows one round deletes. */
export const RETAIN_CHUNK = 5_000;
/** How often retention is looked at while it keeps up. */
const RETAIN_INTERVAL_MS = 200;

/** Answers a publish of an id already in the duplicate window. */
export function duplicateOf(known: AppendEntry | number): Promise<PublishResult> | PublishResult {
  if (typeof known === "number") return { sequence: BigInt(known), duplicate: true };
  return known.done().then(() => ({ sequence: BigInt(known.seq), duplicate: true }));
}

/**
 * Queues `message` for the next round; resolves once it is committed.
 * Refused at once when the disk guard says so (the bytes it lets through
 * are counted as unwritten until their round reports them).
 */
export function appendMessage(
  ctx: LogContext,
  channel: LogChannel,
  message: WebhookMessage | EncodedMessage,
): Promise<PublishResult> {
  const now = ctx.now();
  let expiresAt: number;
  let bytes: Uint8Array;
  if ("bytes" in message) {
    expiresAt = message.expiresAtMs;
    bytes = message.bytes;
  } else {
    expiresAt = expiryOf(message, now, channel.settings.ttlSeconds);
    bytes = encodeMessage(message, expiresAt);
  }
  const refused = ctx.guard.check(now, bytes.byteLength);
  if (refused !== undefined) return Promise.reject(refused);
  const entry = appendBytes(ctx, channel, message.messageId, expiresAt, bytes, null);
  channel.remember(message.messageId, entry, now);
  return entry.result();
}

/** Queues stored bytes (a new message, or a replayed one for `target` only). */
export function appendBytes(
  ctx: LogContext,
  channel: LogChannel,
  messageId: string,
  expiresAt: number,
  bytes: Uint8Array,
  target: string | null,
): AppendEntry {
  const entry = new AppendEntry(channel.nextSeq++, messageId, expiresAt, target, bytes);
  channel.queue.push(entry);
  channel.pendingCount++;
  if (expiresAt < channel.expiryBound) channel.expiryBound = expiresAt;
  ctx.storage.appended();
  return entry;
}

function pack(channel: LogChannel, entries: readonly AppendEntry[]): AppendBatch {
  let total = 0;
  for (const entry of entries) total += entry.bytes.byteLength;
  const data = new Uint8Array(new ArrayBuffer(total));
  const ends = new Uint32Array(entries.length);
  const expiresAt = new Float64Array(entries.length);
  let targets: (string | null)[] | null = null;
  let offset = 0;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    data.set(entry.bytes, offset);
    offset += entry.bytes.byteLength;
    ends[index] = offset;
    expiresAt[index] = entry.expiresAt;
    if (entry.target !== null) {
      targets ??= entries.map(() => null);
      targets[index] = entry.target;
    }
  }
  return {
    channelId: channel.id,
    firstSeq: entries[0]!.seq,
    expiresAt,
    targets,
    ends,
    data: data.buffer,
  };
}

function commitAll(ctx: LogContext, channel: LogChannel, entries: readonly AppendEntry[]): void {
  for (const entry of entries) {
    entry.committed = true;
    channel.committed = entry.seq;
    channel.queued++;
    channel.pendingCount--;
    if (entry.target !== null) channel.targets.set(entry.seq, entry.target);
    channel.cacheMessage(entry.seq, {
      messageId: entry.messageId,
      expiresAt: entry.expiresAt,
      bytes: entry.bytes,
    });
    entry.settle(undefined);
  }
  ctx.notifier.notify(channel.settings.name);
}

function failAll(channel: LogChannel, entries: readonly AppendEntry[], error: unknown): void {
  const first = entries[0]!.seq;
  const last = entries[entries.length - 1]!.seq;
  if (channel.nextSeq === last + 1 && channel.committed === first - 1) {
    // Nothing was numbered after them: their sequences are free again.
    channel.nextSeq = first;
  } else {
    // Later messages already have sequences: these stay gaps every group skips.
    for (const entry of entries) channel.gone.add(entry.seq);
    channel.committed = Math.max(channel.committed, last);
  }
  for (const entry of entries) {
    channel.pendingCount--;
    if (channel.recent.get(entry.messageId) === entry) channel.recent.delete(entry.messageId);
    entry.settle(error);
  }
}

/** Everything a round takes from the buffer's channels as it is sent. */
export function contribute(ctx: LogContext): RoundContribution {
  const appends: AppendBatch[] = [];
  const sent: Array<{ channel: LogChannel; entries: AppendEntry[] }> = [];
  const writes: WriteOp[] = [];
  const stateOf: Array<() => void> = [];
  // Retention's pace is real time, whatever clock the messages use.
  const now = performance.now();
  for (const channel of ctx.channels.values()) {
    if (channel.queue.length > 0) {
      const entries = channel.queue;
      channel.queue = [];
      appends.push(pack(channel, entries));
      sent.push({ channel, entries });
    }
    for (const group of channel.groups.values()) {
      if (!group.dirty) continue;
      group.dirty = false;
      stateOf.push(() => {
        group.dirty = true;
      });
      writes.push({
        op: "groupState",
        channelId: channel.id,
        name: group.name,
        state: group.serialize(),
      });
    }
    if (channel.countersDirty) {
      channel.countersDirty = false;
      stateOf.push(() => {
        channel.countersDirty = true;
      });
      writes.push({
        op: "counters",
        channelId: channel.id,
        delivered: channel.delivered,
        expired: channel.expired,
        deadLettered: channel.deadLettered,
      });
    }
    const retain = retention(channel, now);
    if (retain !== undefined) {
      writes.push(retain.op);
      stateOf.push(retain.undo);
    }
  }
  return {
    appends,
    writes,
    onResult(result: RoundResult | StorageFailure) {
      const failedRound = "message" in result ? result : result.writeError;
      const appendFailure =
        "message" in result ? result : (result.writeError ?? result.appendError);
      for (const { channel, entries } of sent) {
        let bytes = 0;
        for (const entry of entries) bytes += entry.bytes.byteLength;
        ctx.guard.written(bytes);
        if (appendFailure === null) {
          commitAll(ctx, channel, entries);
        } else {
          const error = unavailable("write", appendFailure);
          ctx.guard.appendFailed(ctx.now(), error);
          failAll(channel, entries, error);
        }
      }
      // State not written goes with the next round.
      if (failedRound !== null) for (const undo of stateOf) undo();
    },
  };
}

/**
 * The next bounded delete of messages every group is done with, when one
 * is due; undone (to be retried) when its round fails.
 */
function retention(
  channel: LogChannel,
  now: number,
): { op: WriteOp; undo: () => void } | undefined {
  if (now < channel.nextRetainAt) return undefined;
  const floor = channel.minFloor();
  channel.uncacheThrough(floor);
  channel.pruneSkips();
  if (floor <= channel.retainedThrough) {
    channel.nextRetainAt = now + RETAIN_INTERVAL_MS;
    return undefined;
  }
  const before = channel.retainedThrough;
  const upTo = Math.min(floor, before + RETAIN_CHUNK);
  channel.retainedThrough = upTo;
  // While behind, retention goes with every round.
  channel.nextRetainAt = upTo < floor ? now : now + RETAIN_INTERVAL_MS;
  return {
    op: { op: "retain", channelId: channel.id, upTo, limit: RETAIN_CHUNK },
    undo: () => {
      channel.retainedThrough = Math.min(channel.retainedThrough, before);
    },
  };
}
