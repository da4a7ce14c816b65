/**
 * One channel of the embedded buffer as the main thread holds it: its
 * sequence counters, queue length, counters, groups, the messages waiting
 * for the next round, the recent message ids (duplicate window) and a cache
 * of recently appended messages, so live traffic is delivered without
 * reading the log back.
 */
import type { ChannelSettings, PublishResult } from "../buffer.js";
import type { ConsumerGroup } from "./consumer-group.js";

/** A message waiting for its round, then committed (or failed with its round). */
export class AppendEntry {
  /** Set once committed. */
  committed = false;
  private outcome: { readonly error: unknown } | undefined;
  private publisher: ((error: unknown) => void) | undefined;
  private waiters: Array<(error: unknown) => void> | undefined;

  constructor(
    readonly seq: number,
    readonly messageId: string,
    readonly expiresAt: number,
    /** The group it is for (a replayed dead letter), or null for every group. */
    readonly target: string | null,
    readonly bytes: Uint8Array,
  ) {}

  /** The publisher's answer: one promise per message, made here. */
  result(): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve, reject) => {
      this.publisher = (error) =>
        error === undefined
          ? resolve({ sequence: BigInt(this.seq), duplicate: false })
          : reject(error);
      // Settled already (its round failed at once).
      if (this.outcome !== undefined) this.publisher(this.outcome.error);
    });
  }

  /** Settles once the round is done (for duplicates of a pending publish, and replays). */
  done(): Promise<void> {
    const { outcome } = this;
    if (outcome !== undefined) {
      return outcome.error === undefined ? Promise.resolve() : Promise.reject(outcome.error);
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters ??= [];
      this.waiters.push((error) => (error === undefined ? resolve() : reject(error)));
    });
  }

  /** The round is done: `error` when it failed. */
  settle(error: unknown): void {
    this.outcome = { error };
    this.publisher?.(error);
    if (this.waiters !== undefined) for (const waiter of this.waiters) waiter(error);
  }
}

/** A message cached after its append (the stored bytes). */
export interface CachedMessage {
  readonly messageId: string;
  readonly expiresAt: number;
  readonly bytes: Uint8Array;
}

/** Bytes of cached messages over all channels, and the budget. */
export class CacheBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/** How long and how many message ids are remembered for duplicate detection. */
export interface DedupWindow {
  readonly ms: number;
  readonly max: number;
}

/** The in-memory side of one channel. */
export class LogChannel {
  /** The next sequence to assign. */
  nextSeq: number;
  /** Every sequence at or below it is committed (or was given up by a failed round). */
  committed: number;
  /** Messages stored and not yet done by every group. */
  queued = 0;
  /** Messages accepted for the next round (counted against the queue limit). */
  pendingCount = 0;
  /** Appends not yet sent. */
  queue: AppendEntry[] = [];
  delivered: number;
  expired: number;
  deadLettered: number;
  /** Counters changed since they were last persisted. */
  countersDirty = false;
  /** Dead letters stored now. */
  deadLetterCount: number;
  readonly groups = new Map<string, ConsumerGroup>();
  /** Messages for one group only: sequence → group. */
  readonly targets = new Map<number, string>();
  /**
   * Sequences known to be done for every group although some cursor is
   * below them: expired ones found while leasing, and sequences a failed
   * round gave up.
   */
  readonly gone = new Set<number>();
  /** Recent message ids → their append, for duplicate detection. */
  readonly recent = new Map<string, AppendEntry | number>();
  private readonly recentOrder: { id: string; at: number; value: AppendEntry | number }[] = [];
  private recentHead = 0;
  /** Recently appended messages by sequence. */
  readonly cache = new Map<number, CachedMessage>();
  /**
   * No cached sequence is below it. Eviction walks up from here: iterating
   * the Map from its start steps over every deleted entry still in it,
   * which made each append of a full cache cost more as the cache churned.
   */
  private cacheFloor = 1;
  /** Log rows at or below it were deleted (retention). */
  retainedThrough: number;
  /** When retention is next looked at. */
  nextRetainAt = 0;
  /** No message expires before this (a lower bound, so expiry scans can be skipped). */
  expiryBound = Number.NEGATIVE_INFINITY;

  constructor(
    readonly id: number,
    public settings: ChannelSettings,
    stored: {
      readonly maxSeq: number;
      readonly minSeq: number;
      readonly delivered: number;
      readonly expired: number;
      readonly deadLettered: number;
      readonly deadLetterCount: number;
    },
    private readonly budget: CacheBudget,
    private readonly window: DedupWindow,
  ) {
    this.nextSeq = stored.maxSeq + 1;
    this.committed = stored.maxSeq;
    this.delivered = stored.delivered;
    this.expired = stored.expired;
    this.deadLettered = stored.deadLettered;
    this.deadLetterCount = stored.deadLetterCount;
    this.retainedThrough = stored.minSeq > 0 ? stored.minSeq - 1 : stored.maxSeq;
  }

  /** Whether `group` must skip the fresh sequence `seq`. */
  skips(seq: number, group: string): boolean {
    if (this.gone.has(seq)) return true;
    const target = this.targets.get(seq);
    return target !== undefined && target !== group;
  }

  /** Whether some group has not finished `seq`. */
  undoneByAny(seq: number): boolean {
    if (this.gone.has(seq)) return false;
    for (const group of this.groups.values()) {
      if (group.isUndone(seq, (s) => this.skips(s, group.name))) return true;
    }
    return false;
  }

  /** Lowest floor over the groups: every sequence at or below it is done everywhere. */
  minFloor(): number {
    let floor = this.committed;
    for (const group of this.groups.values()) floor = Math.min(floor, group.floor());
    return floor;
  }

  /** Lowest cursor over the groups. */
  minCursor(): number {
    let cursor = this.committed;
    for (const group of this.groups.values()) cursor = Math.min(cursor, group.cursor);
    return cursor;
  }

  /** Forgets skip entries every cursor has passed. */
  pruneSkips(): void {
    const cursor = this.minCursor();
    for (const seq of this.gone) if (seq <= cursor) this.gone.delete(seq);
    for (const seq of this.targets.keys()) if (seq <= cursor) this.targets.delete(seq);
  }

  /** Remembers a new message id (pending or committed) for duplicate detection. */
  remember(messageId: string, value: AppendEntry | number, now: number): void {
    this.recent.set(messageId, value);
    this.recentOrder.push({ id: messageId, at: now, value });
    const order = this.recentOrder;
    while (
      order.length - this.recentHead > this.window.max ||
      (this.recentHead < order.length && order[this.recentHead]!.at < now - this.window.ms)
    ) {
      const oldest = order[this.recentHead++]!;
      // Only forget the id if it still means that append (not a later one).
      if (this.recent.get(oldest.id) === oldest.value) this.recent.delete(oldest.id);
    }
    if (this.recentHead > 1024 && this.recentHead * 2 > order.length) {
      order.splice(0, this.recentHead);
      this.recentHead = 0;
    }
  }

  /** Caches a committed message, evicting the oldest over the budget. */
  cacheMessage(seq: number, message: CachedMessage): void {
    if (this.cache.size === 0) this.cacheFloor = seq;
    this.cache.set(seq, message);
    this.budget.used += message.bytes.byteLength;
    while (this.budget.used > this.budget.limit && this.cacheFloor < seq) this.evictOldest();
  }

  private evictOldest(): void {
    const cached = this.cache.get(this.cacheFloor);
    if (cached !== undefined) {
      this.cache.delete(this.cacheFloor);
      this.budget.used -= cached.bytes.byteLength;
    }
    this.cacheFloor++;
  }

  /** Drops cached messages at or below `seq` (done everywhere). */
  uncacheThrough(seq: number): void {
    if (this.cache.size === 0) return;
    const last = Math.min(seq, this.committed);
    while (this.cacheFloor <= last) this.evictOldest();
  }

  /** Drops every cached message (when the channel's buffer closes). */
  uncacheAll(): void {
    for (const cached of this.cache.values()) this.budget.used -= cached.bytes.byteLength;
    this.cache.clear();
  }
}
