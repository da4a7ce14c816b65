/**
 * The embedded buffer: one SQLite file in WAL mode, owned by a storage
 * worker thread, laid out as a log per channel (see worker/schema.js).
 * Consumer state lives in memory on the main thread and goes to the worker
 * in rounds: everything of one event-loop turn shares one transaction,
 * fsync'd when it holds new messages, and no caller is answered before its
 * round committed. Waiting fetches sleep until something changes in their
 * channel or their next retry or lease deadline, never polling.
 */
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { BufferUnavailableError, QueueFullError } from "../../errors.js";
import type {
  Buffer,
  BufferEvent,
  BufferFeatures,
  BufferOptions,
  ChannelSettings,
  ChannelStats,
  Delivery,
  EncodedMessage,
  FetchRequest,
  GroupStats,
  PublishResult,
  SettleOutcome,
} from "../buffer.js";
import { DEFAULT_GROUP } from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import { appendMessage, contribute, duplicateOf } from "./appends.js";
import { ConsumerGroup } from "./consumer-group.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { oldestUnackedAgeMs } from "./lag.js";
import { leaseBatch } from "./leasing.js";
import { CacheBudget, LogChannel } from "./log-channel.js";
import {
  channelOf,
  deadLetter,
  finishEntry,
  type LogContext,
  returnExpiredLeases,
  returnLease,
} from "./log-context.js";
import { DiskGuard, settleChannel } from "./maintenance.js";
import { createNotifier } from "./notifier.js";
import { type RoundInfo, Storage, type StorageThread } from "./storage.js";

/** Options of createSqliteBuffer. */
export interface SqliteBufferOptions extends BufferOptions {
  /** Database file, or `:memory:`. A missing parent directory is created by the worker. */
  readonly path: string;
  /** How often expired messages and run-out leases are swept without a fetch. @default 1000 */
  readonly sweepIntervalMs?: number;
  /** Bytes of recently appended messages kept in memory for delivery. @default 67108864 */
  readonly cacheBytes?: number;
  /** Most bytes the file and its WAL may take before new messages are refused. @default none */
  readonly maxBufferBytes?: number;
  /** Free disk space kept for leases, acks and dead letters; new messages are refused below it. @default 67108864 */
  readonly minFreeBytes?: number;
  /** Told what every backend reports, and of each group commit (libraries do not log; the owner may). */
  readonly onEvent?: (event: SqliteBufferEvent) => void;
  /**
   * Where the storage engine runs: `worker` (a thread of its own: the event
   * loop never waits for a disk; measured about 20 % more signed ingest) or
   * `main` (the receiver's event loop, which then waits for each commit's
   * fsync; about 10 MB less memory, no second V8 isolate).
   * @default "worker"
   */
  readonly thread?: StorageThread;
}

/** A group commit (round) finished: what it contained. */
export interface SqliteCommitEvent {
  /** Discriminant. */
  readonly type: "commit";
  /** Messages appended. */
  readonly publishes: number;
  /** Other writes (group states, counters, dead letters, retention). */
  readonly writes: number;
  /** Reads after the commit. */
  readonly reads: number;
  /** Time spent in the transaction including the commit, ms. */
  readonly durationMs: number;
  /** FULL when the commit was fsync'd (it held new messages), else NORMAL. */
  readonly synchronous: "FULL" | "NORMAL";
}

/**
 * Events of the SQLite buffer: those every backend reports (a failed
 * background sweep is a `backgroundError`; the next sweep or fetch retries
 * it) and its group commits.
 */
export type SqliteBufferEvent = BufferEvent | SqliteCommitEvent;

/** The SQLite buffer. */
export interface SqliteBuffer extends Buffer {
  /** Database path as given. */
  readonly path: string;
}

const FEATURES: BufferFeatures = Object.freeze({
  sharedAcrossProcesses: false,
  waitsWithoutDeadline: true,
  durableAcrossRestart: true,
});

/** Recent message ids kept per channel for duplicate detection: 2 minutes, at most 100,000. */
const DEDUP_WINDOW = Object.freeze({ ms: 120_000, max: 100_000 });
/** Ids of the newest stored messages loaded per channel at start-up. */
const DEDUP_TAIL = 10_000;
const MiB = 1024 * 1024;

function stateOfNewGroup(cursor: number): Uint8Array {
  return new ConsumerGroup("", cursor).serialize();
}

/**
 * Opens the embedded buffer at `options.path`; throws BufferUnavailableError
 * when the file cannot be created, is not a database, is from a newer
 * release or is held open by another process. A fetch for a group the
 * channel does not have yet creates it, as `ensureGroup` would.
 */
export function createSqliteBuffer(options: SqliteBufferOptions): SqliteBuffer {
  const onEvent = options.onEvent;
  const notifier = createNotifier();
  const now = options.now ?? Date.now;
  const channels = new Map<string, LogChannel>();
  const budget = new CacheBudget(options.cacheBytes ?? 64 * MiB);
  const guard = new DiskGuard(options.path, {
    maxBufferBytes: options.maxBufferBytes,
    minFreeBytes: options.minFreeBytes ?? 64 * MiB,
  });
  let closed = false;
  let fatal: BufferUnavailableError | undefined;
  // Assigned before the worker can call back (rounds start on a later turn).
  let ctx!: LogContext;
  const storage = new Storage(
    options.path,
    {
      beforeSend: () => contribute(ctx),
      onRound: (info: RoundInfo) => {
        guard.fileFree(info.freeBytes);
        onEvent?.({
          type: "commit",
          publishes: info.appended,
          writes: info.writes,
          reads: info.reads,
          durationMs: info.commitMs,
          synchronous: info.synced ? "FULL" : "NORMAL",
        });
      },
      onFatal: (error) => {
        fatal = error;
        notifier.wakeAll();
      },
    },
    DEDUP_TAIL,
    options.thread,
  );
  ctx = { storage, channels, notifier, now, guard };
  let nextChannelId = 1;
  for (const stored of storage.opened.channels) {
    const channel = new LogChannel(
      stored.id,
      JSON.parse(stored.settings) as ChannelSettings,
      stored,
      budget,
      DEDUP_WINDOW,
    );
    for (const [seq, target] of stored.targets) channel.targets.set(seq, target);
    for (const [id, seq] of stored.recentIds) channel.remember(id, seq, now());
    channels.set(channel.settings.name, channel);
    nextChannelId = Math.max(nextChannelId, stored.id + 1);
  }
  const byId = new Map([...channels.values()].map((channel) => [channel.id, channel]));
  for (const stored of storage.opened.groups) {
    const channel = byId.get(stored.channelId);
    if (channel === undefined) continue;
    const group = ConsumerGroup.restore(stored.name, stored.state);
    channel.groups.set(group.name, group);
    // The last sequence may be above every stored message (all acked and deleted).
    channel.committed = Math.max(channel.committed, group.cursor);
    channel.nextSeq = channel.committed + 1;
  }
  for (const channel of channels.values()) {
    for (let seq = channel.minFloor() + 1; seq <= channel.committed; seq++) {
      if (channel.undoneByAny(seq)) channel.queued++;
    }
  }

  const sweep = setInterval(() => {
    for (const channel of channels.values()) {
      settleChannel(ctx, channel).catch((error: unknown) => {
        if (closed || !(error instanceof BufferUnavailableError)) return;
        onEvent?.({ type: "backgroundError", task: "expiry sweep", error });
      });
    }
  }, options.sweepIntervalMs ?? 1000);
  sweep.unref();

  function assertOpen(): void {
    if (closed) throw new BufferUnavailableError("SQLite buffer is closed");
    if (fatal !== undefined) throw fatal;
  }

  const creatingGroups = new Map<string, Promise<void>>();

  async function ensureGroup(channelName: string, groupName: string): Promise<ConsumerGroup> {
    assertOpen();
    const channel = channelOf(ctx, channelName);
    const existing = channel.groups.get(groupName);
    if (existing !== undefined) {
      await creatingGroups.get(`${channelName}\u0000${groupName}`);
      return existing;
    }
    // A new group starts after every message published so far.
    const group = new ConsumerGroup(groupName, channel.nextSeq - 1);
    channel.groups.set(groupName, group);
    const key = `${channelName}\u0000${groupName}`;
    const written = storage
      .write({
        op: "group",
        channelId: channel.id,
        name: groupName,
        state: group.serialize(),
        createdAt: now(),
      })
      .then(
        () => undefined,
        (error: unknown) => {
          channel.groups.delete(groupName);
          throw error;
        },
      )
      .finally(() => creatingGroups.delete(key));
    creatingGroups.set(key, written);
    await written;
    return group;
  }

  async function fetch(request: FetchRequest): Promise<Delivery[]> {
    assertOpen();
    const group = await ensureGroup(request.channel, request.group);
    const channel = channelOf(ctx, request.channel);
    const deadline = Date.now() + Math.max(0, request.waitMs);
    for (;;) {
      // A close or abort while waiting ends the fetch with nothing, not an error.
      if (closed || request.signal?.aborted === true) return [];
      assertOpen();
      const version = notifier.version(request.channel);
      const deliveries = await leaseBatch(ctx, channel, group, request);
      if (deliveries !== undefined && deliveries.length > 0) return deliveries;
      if (deliveries !== undefined) continue;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || closed) return [];
      const next = group.nextReadyAt(channel.settings.ordered);
      const untilReady = next === undefined ? remaining : next - now();
      await notifier.wait(
        request.channel,
        version,
        Math.max(1, Math.min(remaining, untilReady)),
        request.signal,
      );
    }
  }

  function settleTarget(channelName: string, groupName: string, messageId: string) {
    const channel = channelOf(ctx, channelName);
    const group = channel.groups.get(groupName);
    const entry = group?.byId.get(messageId);
    return { channel, group, entry };
  }

  async function ack(channelName: string, groupName: string, messageId: string) {
    assertOpen();
    const { channel, group, entry } = settleTarget(channelName, groupName, messageId);
    if (group === undefined || entry === undefined) return "not_found" as const;
    finishEntry(channel, group, entry);
    channel.delivered++;
    channel.countersDirty = true;
    // In an ordered channel the ack unblocks the next message.
    if (channel.settings.ordered) notifier.notify(channelName);
    await storage.barrier();
    return "acked" as const;
  }

  async function nack(
    channelName: string,
    groupName: string,
    messageId: string,
    nackOptions: Parameters<Buffer["nack"]>[3],
  ): Promise<SettleOutcome> {
    assertOpen();
    const { channel, group, entry } = settleTarget(channelName, groupName, messageId);
    if (group === undefined || entry === undefined) return "not_found";
    const attempt = Math.max(1, entry.attempt);
    entry.attempt = attempt;
    const max = channel.settings.maxDeliveryAttempts;
    let outcome: SettleOutcome;
    if (!nackOptions.retry) {
      deadLetter(ctx, channel, group, entry, nackOptions.reason);
      outcome = "dead_lettered";
    } else if (attempt >= max) {
      const why = `${nackOptions.reason} (gave up after ${attempt} of ${max} delivery attempts)`;
      deadLetter(ctx, channel, group, entry, why);
      outcome = "dead_lettered";
    } else {
      const at = now();
      group.requeue(entry, at + nackDelayMs(attempt, nackOptions.requestedDelayMs ?? 0), at);
      // Waiting fetches re-arm their timer to the new retry time.
      notifier.notify(channelName);
      outcome = "requeued";
    }
    await storage.barrier();
    return outcome;
  }

  /**
   * Stores a message. Not an async function: on the usual path the one
   * promise made is the message's own (see AppendEntry.result).
   */
  function publish(
    channelName: string,
    message: WebhookMessage | EncodedMessage,
  ): Promise<PublishResult> {
    let channel: LogChannel;
    try {
      assertOpen();
      channel = channelOf(ctx, channelName);
    } catch (error) {
      return Promise.reject(error);
    }
    const known = channel.recent.get(message.messageId);
    if (known !== undefined) return Promise.resolve(duplicateOf(known));
    if (channel.queued + channel.pendingCount >= channel.settings.maxQueueSize) {
      return publishToFullChannel(channel, message);
    }
    return appendMessage(ctx, channel, message);
  }

  /** A channel at its limit: expired messages may be holding the space. */
  async function publishToFullChannel(
    channel: LogChannel,
    message: WebhookMessage | EncodedMessage,
  ): Promise<PublishResult> {
    await settleChannel(ctx, channel);
    const again = channel.recent.get(message.messageId);
    if (again !== undefined) return duplicateOf(again);
    if (channel.queued + channel.pendingCount >= channel.settings.maxQueueSize) {
      throw new QueueFullError(channel.settings.name, channel.settings.maxQueueSize);
    }
    return appendMessage(ctx, channel, message);
  }

  async function groupStats(channel: LogChannel, group: ConsumerGroup): Promise<GroupStats> {
    let fresh = channel.committed - group.cursor;
    if (fresh > 0) {
      for (const seq of channel.gone) if (seq > group.cursor) fresh--;
      for (const [seq, target] of channel.targets) {
        if (seq > group.cursor && target !== group.name && !channel.gone.has(seq)) fresh--;
      }
    }
    return {
      group: group.name,
      pending: Math.max(0, fresh) + group.outstanding.size - group.leased,
      inFlight: group.leased,
      oldestUnackedAgeMs: await oldestUnackedAgeMs(ctx, channel, group),
    };
  }

  return {
    kind: "sqlite",
    features: FEATURES,
    path: options.path,
    async ensureChannel(settings) {
      assertOpen();
      const existing = channels.get(settings.name);
      if (existing !== undefined) {
        await storage.write({
          op: "channel",
          id: existing.id,
          name: settings.name,
          settings: JSON.stringify(settings),
          createdAt: now(),
        });
        existing.settings = settings;
        if (!existing.groups.has(DEFAULT_GROUP)) await ensureGroup(settings.name, DEFAULT_GROUP);
      } else {
        const id = nextChannelId++;
        const createdAt = now();
        await Promise.all([
          storage.write({
            op: "channel",
            id,
            name: settings.name,
            settings: JSON.stringify(settings),
            createdAt,
          }),
          storage.write({
            op: "group",
            channelId: id,
            name: DEFAULT_GROUP,
            state: stateOfNewGroup(0),
            createdAt,
          }),
        ]);
        const stored = { maxSeq: 0, minSeq: 0, delivered: 0, expired: 0, deadLettered: 0 };
        const channel = new LogChannel(
          id,
          settings,
          { ...stored, deadLetterCount: 0 },
          budget,
          DEDUP_WINDOW,
        );
        channel.groups.set(DEFAULT_GROUP, new ConsumerGroup(DEFAULT_GROUP, 0));
        channels.set(settings.name, channel);
      }
      // New settings (e.g. `ordered`) may change what waiting fetches can take.
      notifier.notify(settings.name);
    },
    async ensureGroup(channel, group) {
      await ensureGroup(channel, group);
    },
    publish,
    publishEncoded: publish,
    fetch,
    ack,
    nack,
    async release(channelName, groupName, consumerId) {
      assertOpen();
      const channel = channelOf(ctx, channelName);
      const group = channel.groups.get(groupName);
      if (group === undefined) return;
      const leases = group.leasesOf(consumerId);
      for (const entry of leases) returnLease(ctx, channel, group, entry, "connection closed");
      if (leases.length > 0) await storage.barrier();
    },
    async stats(channelName): Promise<ChannelStats> {
      assertOpen();
      const channel = channelOf(ctx, channelName);
      await settleChannel(ctx, channel);
      const groups = await Promise.all(
        [...channel.groups.values()]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((group) => groupStats(channel, group)),
      );
      return {
        channel: channelName,
        queued: channel.queued,
        inFlight: groups.reduce((sum, group) => sum + group.inFlight, 0),
        delivered: channel.delivered,
        expired: channel.expired,
        deadLettered: channel.deadLettered,
        deadLetterQueued: channel.deadLetterCount,
        groups,
      };
    },
    async listDeadLetters(channelName, listOptions) {
      assertOpen();
      return listDeadLetters(ctx, channelOf(ctx, channelName), listOptions);
    },
    async replayDeadLetters(channelName, filter, targetGroup) {
      assertOpen();
      const channel = channelOf(ctx, channelName);
      if (targetGroup !== undefined) await ensureGroup(channelName, targetGroup);
      return replayDeadLetters(ctx, channel, filter, targetGroup);
    },
    async purgeDeadLetters(channelName, filter) {
      assertOpen();
      return purgeDeadLetters(ctx, channelOf(ctx, channelName), filter);
    },
    async getState(key) {
      assertOpen();
      return storage.read<string | undefined>({ op: "getState", key });
    },
    async setState(key, value) {
      assertOpen();
      await storage.write({ op: "setState", key, value });
    },
    async ping() {
      assertOpen();
      const refused = guard.check(now(), 0);
      if (refused !== undefined) throw refused;
      await storage.read({ op: "ping" });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      notifier.wakeAll();
      // The last leases, acks and retention reach the disk before the file closes.
      for (const channel of channels.values()) {
        for (const group of channel.groups.values()) returnExpiredLeases(ctx, channel, group);
        channel.nextRetainAt = 0;
      }
      await storage.barrier().catch(() => undefined);
      await storage.close();
      for (const channel of channels.values()) channel.uncacheAll();
    },
  };
}
