/**
 * The consumer state of one group, kept in memory and persisted as one row
 * per group: a cursor plus the outstanding exceptions. Every sequence at or
 * below the cursor was handed out at least once; of those, only the
 * outstanding ones (leased, or waiting for a retry) are not done. Acked,
 * dead-lettered and expired messages simply stop being outstanding, so an
 * ack costs no row of its own, and a group is a cursor, not a row per
 * message. Sequences above the cursor are fresh (never delivered), except
 * the ones the channel says to skip (see LogChannel.skips).
 */
import { decodeGroupState, encodeGroupState } from "./worker/group-state.js";

/** One leased or waiting message of a group. */
export interface Outstanding {
  /** Its sequence. */
  readonly seq: number;
  /** Its id, once known (read back from the log, or from the lease). */
  messageId: string | undefined;
  /** Deliveries made so far. */
  attempt: number;
  /** Earliest time it may be leased again (0: at once). */
  availableAt: number;
  /** When its first delivery failed (0: none failed yet). */
  firstFailedAt: number;
  /** The lease owner while leased. */
  consumer: string | undefined;
  /** When the lease runs out (only while leased). */
  leaseExpiresAt: number;
}

/** What a group may lease now. */
export interface PickLimits {
  /** Most messages. */
  readonly max: number;
  /** Highest sequence committed in the channel. */
  readonly committed: number;
  /** One message in flight at a time, later ones wait behind a retrying head. */
  readonly ordered: boolean;
  /** Whether a fresh sequence must be skipped by this group (see LogChannel.skips). */
  readonly skips: (seq: number) => boolean;
}

/** Consumer state of one group. Mutated only by the channel's buffer operations. */
export class ConsumerGroup {
  /** Every sequence at or below it was handed out at least once (or is done). */
  cursor: number;
  /** Leased or waiting messages, by sequence. */
  readonly outstanding = new Map<number, Outstanding>();
  /** Outstanding messages by id, for settling. */
  readonly byId = new Map<string, Outstanding>();
  /** How many outstanding messages are leased. */
  leased = 0;
  /** Changed since it was last persisted. */
  dirty = false;
  /** No lease runs out before this (a lower bound, so checks can be skipped). */
  private leaseBound = Number.POSITIVE_INFINITY;

  constructor(
    readonly name: string,
    cursor: number,
  ) {
    this.cursor = cursor;
  }

  /** Restores a group from its persisted state. */
  static restore(name: string, stored: Uint8Array): ConsumerGroup {
    const state = decodeGroupState(stored);
    const group = new ConsumerGroup(name, state.cursor);
    for (const [seq, attempt, availableAt, firstFailedAt] of state.out) {
      group.outstanding.set(seq, {
        seq,
        messageId: undefined,
        attempt,
        availableAt,
        firstFailedAt,
        consumer: undefined,
        leaseExpiresAt: 0,
      });
    }
    return group;
  }

  /** The persisted form of the current state; leases come back ready at once after a restart. */
  serialize(): Uint8Array {
    const out: [number, number, number, number][] = [];
    for (const entry of this.outstanding.values()) {
      out.push([
        entry.seq,
        entry.attempt,
        entry.consumer === undefined ? entry.availableAt : 0,
        entry.firstFailedAt,
      ]);
    }
    return encodeGroupState(this.cursor, out);
  }

  /** Every sequence at or below it is done for this group. */
  floor(): number {
    let lowest = this.cursor + 1;
    for (const seq of this.outstanding.keys()) if (seq < lowest) lowest = seq;
    return lowest - 1;
  }

  /** Whether `seq` is outstanding or fresh here (not done). */
  isUndone(seq: number, skips: (seq: number) => boolean): boolean {
    if (this.outstanding.has(seq)) return true;
    return seq > this.cursor && !skips(seq);
  }

  /** Leases whose time ran out (checked only once the earliest may have). */
  expiredLeases(now: number): Outstanding[] {
    if (now < this.leaseBound) return [];
    const expired: Outstanding[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.outstanding.values()) {
      if (entry.consumer === undefined) continue;
      if (entry.leaseExpiresAt <= now) expired.push(entry);
      else if (entry.leaseExpiresAt < next) next = entry.leaseExpiresAt;
    }
    this.leaseBound = next;
    return expired;
  }

  /** The leases of one consumer. */
  leasesOf(consumer: string): Outstanding[] {
    const leases: Outstanding[] = [];
    for (const entry of this.outstanding.values()) {
      if (entry.consumer === consumer) leases.push(entry);
    }
    return leases;
  }

  /**
   * Picks what may be leased now, oldest first: waiting messages whose
   * retry time came, then fresh ones (advancing the cursor). Does not lease
   * them (see `lease`).
   */
  pick(now: number, limits: PickLimits): Outstanding[] {
    if (limits.ordered) return this.pickHead(now, limits);
    const picked: Outstanding[] = [];
    if (this.outstanding.size > this.leased) {
      const ready: Outstanding[] = [];
      for (const entry of this.outstanding.values()) {
        if (entry.consumer === undefined && entry.availableAt <= now) ready.push(entry);
      }
      ready.sort((a, b) => a.seq - b.seq);
      for (const entry of ready) {
        if (picked.length >= limits.max) return picked;
        picked.push(entry);
      }
    }
    while (picked.length < limits.max && this.cursor < limits.committed) {
      const entry = this.advance(limits);
      if (entry !== undefined) picked.push(entry);
    }
    return picked;
  }

  /** Ordered: only the head may go, and only when nothing is leased and its retry time came. */
  private pickHead(now: number, limits: PickLimits): Outstanding[] {
    if (this.leased > 0) return [];
    let head: Outstanding | undefined;
    for (const entry of this.outstanding.values()) {
      if (head === undefined || entry.seq < head.seq) head = entry;
    }
    if (head !== undefined) return head.availableAt <= now ? [head] : [];
    while (this.cursor < limits.committed) {
      const entry = this.advance(limits);
      if (entry !== undefined) return [entry];
    }
    return [];
  }

  /** Moves the cursor over the next fresh sequence; its new entry, or undefined when skipped. */
  private advance(limits: PickLimits): Outstanding | undefined {
    const seq = ++this.cursor;
    this.dirty = true;
    if (limits.skips(seq)) return undefined;
    const entry: Outstanding = {
      seq,
      messageId: undefined,
      attempt: 0,
      availableAt: 0,
      firstFailedAt: 0,
      consumer: undefined,
      leaseExpiresAt: 0,
    };
    this.outstanding.set(seq, entry);
    return entry;
  }

  /** Leases a picked entry to `consumer`: one more attempt. */
  lease(entry: Outstanding, consumer: string, leaseExpiresAt: number): void {
    if (entry.consumer === undefined) this.leased++;
    entry.consumer = consumer;
    entry.leaseExpiresAt = leaseExpiresAt;
    entry.attempt += 1;
    if (leaseExpiresAt < this.leaseBound) this.leaseBound = leaseExpiresAt;
    this.dirty = true;
  }

  /** Records the id of an outstanding message once known. */
  identify(entry: Outstanding, messageId: string): void {
    entry.messageId = messageId;
    this.byId.set(messageId, entry);
  }

  /** Makes a leased or waiting message wait until `availableAt` (a retry, a returned lease). */
  requeue(entry: Outstanding, availableAt: number, failedAt: number): void {
    if (entry.consumer !== undefined) this.leased--;
    entry.consumer = undefined;
    entry.leaseExpiresAt = 0;
    entry.availableAt = availableAt;
    if (entry.firstFailedAt === 0) entry.firstFailedAt = failedAt;
    this.dirty = true;
  }

  /**
   * Gives a picked entry back without a delivery (its lease could not be
   * written, or it turned out to be gone): the attempt is not counted.
   */
  unpick(entry: Outstanding, attemptBefore: number): void {
    if (entry.consumer !== undefined) this.leased--;
    entry.consumer = undefined;
    entry.leaseExpiresAt = 0;
    entry.attempt = attemptBefore;
    this.dirty = true;
  }

  /** The message is done for this group (acked, dead-lettered, expired or gone). */
  finish(entry: Outstanding): void {
    if (this.outstanding.get(entry.seq) !== entry) return;
    this.outstanding.delete(entry.seq);
    if (entry.messageId !== undefined && this.byId.get(entry.messageId) === entry) {
      this.byId.delete(entry.messageId);
    }
    if (entry.consumer !== undefined) this.leased--;
    entry.consumer = undefined;
    this.dirty = true;
  }

  /** Everything at or below `seq` is done (expired): the cursor moves past it. */
  finishThrough(seq: number): void {
    for (const entry of [...this.outstanding.values()]) {
      if (entry.seq <= seq) this.finish(entry);
    }
    if (this.cursor < seq) {
      this.cursor = seq;
      this.dirty = true;
    }
  }

  /** When something here may become ready: a retry time or a lease end (ordered: the head's). */
  nextReadyAt(ordered: boolean): number | undefined {
    let next: number | undefined;
    let head: Outstanding | undefined;
    for (const entry of this.outstanding.values()) {
      if (ordered && (head === undefined || entry.seq < head.seq)) head = entry;
      const at = entry.consumer === undefined ? entry.availableAt : entry.leaseExpiresAt;
      if (next === undefined || at < next) next = at;
    }
    if (ordered) {
      if (head === undefined) return undefined;
      return head.consumer === undefined ? head.availableAt : head.leaseExpiresAt;
    }
    return next;
  }
}
