/**
 * The shared record of a channel, kept in its token queue (see token.ts):
 * the counters every receiver reports (delivered, expired, dead-lettered),
 * the next free block of sequences, the channel's groups and the retry
 * delays in use (so stats can count what waits in retry queues).
 *
 * Sequences are handed out in blocks of SEQUENCE_BLOCK per process, so a
 * publish takes the lock once per block, not once per message: sequences
 * are unique in the channel and increase in ingest order within a receiver
 * (across receivers, blocks interleave). Counter increments are coalesced
 * and written at most every FLUSH_INTERVAL_MS, and always before a read,
 * so a receiver always sees its own acks.
 */
import type { TrackedConnection } from "./connection.js";
import { metaQueue } from "./names.js";
import { withToken } from "./token.js";

/** The stored record. */
export interface ChannelRecord {
  /** First sequence no process has taken yet (decimal). */
  readonly nextSequence: string;
  /** Acks applied. */
  readonly delivered: number;
  /** Messages dropped at their TTL. */
  readonly expired: number;
  /** Messages moved to the dead-letter queue. */
  readonly deadLettered: number;
  /** Groups of the channel. */
  readonly groups: readonly string[];
  /** Retry delays (ms) in use, per group. */
  readonly retryDelays: Readonly<Record<string, readonly number[]>>;
}

/** Counter names. */
export type CounterName = "delivered" | "expired" | "deadLettered";

/** Sequences a process takes at once. */
export const SEQUENCE_BLOCK = 4096n;

const EMPTY: ChannelRecord = Object.freeze({
  nextSequence: "1",
  delivered: 0,
  expired: 0,
  deadLettered: 0,
  groups: [],
  retryDelays: {},
});

function normalize(record: ChannelRecord | undefined): ChannelRecord {
  return { ...EMPTY, ...record };
}

/** The shared record of one channel, as used by one buffer. */
export class ChannelMeta {
  readonly #conn: TrackedConnection;
  readonly #queue: string;
  readonly #timeoutMs: number;
  #next = 0n;
  #end = 0n;
  #allocating: Promise<void> | undefined;
  #pending: Record<CounterName, number> = { delivered: 0, expired: 0, deadLettered: 0 };
  #flushing: Promise<void> | undefined;

  constructor(conn: TrackedConnection, channel: string, timeoutMs: number) {
    this.#conn = conn;
    this.#queue = metaQueue(channel);
    this.#timeoutMs = timeoutMs;
  }

  /** Runs `update` on the record under the lock. */
  update<R>(
    update: (
      record: ChannelRecord,
      exists: boolean,
    ) => { next?: ChannelRecord; result: R } | Promise<{ next?: ChannelRecord; result: R }>,
  ): Promise<R> {
    return withToken<ChannelRecord, R>(
      this.#conn.model(),
      this.#queue,
      (current) => update(normalize(current), current !== undefined),
      this.#timeoutMs,
    );
  }

  /** Adds the groups (and creates the record) if missing; returns all groups. */
  ensureGroups(groups: readonly string[]): Promise<readonly string[]> {
    return this.update((record, exists) => {
      const missing = groups.filter((group) => !record.groups.includes(group));
      const all = [...record.groups, ...missing];
      return missing.length === 0 && exists
        ? { result: all }
        : { next: { ...record, groups: all }, result: all };
    });
  }

  /** Records a retry delay of a group. */
  addRetryDelay(group: string, delayMs: number): Promise<void> {
    return this.update((record) => {
      const delays = record.retryDelays[group] ?? [];
      if (delays.includes(delayMs)) return { result: undefined };
      return {
        next: { ...record, retryDelays: { ...record.retryDelays, [group]: [...delays, delayMs] } },
        result: undefined,
      };
    });
  }

  /** The next sequence of this process, taking a new block when needed. */
  async nextSequence(): Promise<bigint> {
    while (this.#next >= this.#end) {
      this.#allocating ??= this.update((record) => {
        const start = BigInt(record.nextSequence);
        return {
          next: { ...record, nextSequence: (start + SEQUENCE_BLOCK).toString() },
          result: start,
        };
      })
        .then((start) => {
          this.#next = start;
          this.#end = start + SEQUENCE_BLOCK;
        })
        .finally(() => {
          this.#allocating = undefined;
        });
      await this.#allocating;
    }
    return this.#next++;
  }

  /** Adds to a counter; written by the next flush. */
  count(name: CounterName, by = 1): void {
    this.#pending[name] += by;
  }

  /** true when increments wait to be written. */
  dirty(): boolean {
    const p = this.#pending;
    return p.delivered + p.expired + p.deadLettered > 0;
  }

  /** Writes pending increments. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
    if (!this.dirty()) return;
    const delta = this.#pending;
    this.#pending = { delivered: 0, expired: 0, deadLettered: 0 };
    this.#flushing = this.update((record) => ({
      next: {
        ...record,
        delivered: record.delivered + delta.delivered,
        expired: record.expired + delta.expired,
        deadLettered: record.deadLettered + delta.deadLettered,
      },
      result: undefined,
    }))
      .catch((error: unknown) => {
        // Not written: keep the increments for the next flush.
        for (const name of Object.keys(delta) as CounterName[]) this.#pending[name] += delta[name];
        throw error;
      })
      .finally(() => {
        this.#flushing = undefined;
      });
    await this.#flushing;
  }

  /** Flushes, then reads the record. */
  async read(): Promise<ChannelRecord> {
    await this.flush();
    return this.update((record) => ({ result: record }));
  }
}
