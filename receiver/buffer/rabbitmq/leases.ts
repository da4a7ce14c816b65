/**
 * Leases this process handed out: each is an unacked delivery on a group
 * reader's channel, with a timer for the ack timeout (the receiver enforces
 * it, not the broker). Keyed by (channel, group, message id) for settling,
 * scanned by consumer for release. First failures are remembered per
 * message so a dead letter can say when the trouble started.
 */
import type { Got, GroupReader } from "./group-reader.js";

/** One delivery leased by this process. */
export interface Lease {
  /** Channel. */
  readonly channel: string;
  /** Group. */
  readonly group: string;
  /** Message id. */
  readonly messageId: string;
  /** Connection holding the lease. */
  readonly consumerId: string;
  /** The unacked delivery. */
  readonly got: Got;
  /** The reader it came from. */
  readonly reader: GroupReader;
  /** This delivery's attempt, from 1. */
  readonly attempt: number;
  /** Channel sequence. */
  readonly sequence: bigint;
  /** When the message was received (ms since epoch). */
  readonly receivedAt: number;
  /** When the lease runs out (ms since epoch). */
  readonly leaseExpiresAt: number;
  /** Ack-timeout timer. */
  timer: NodeJS.Timeout | undefined;
}

const MAX_REMEMBERED_FAILURES = 100_000;

function keyOf(channel: string, group: string, messageId: string): string {
  return `${channel}\u0000${group}\u0000${messageId}`;
}

/** The lease registry of one buffer. */
export class LeaseRegistry {
  readonly #byKey = new Map<string, Lease>();
  readonly #firstFailures = new Map<string, number>();

  /** Registers a lease, replacing an older one of the same message. */
  add(lease: Lease): void {
    const key = keyOf(lease.channel, lease.group, lease.messageId);
    const old = this.#byKey.get(key);
    if (old?.timer !== undefined) clearTimeout(old.timer);
    this.#byKey.set(key, lease);
  }

  /** The lease of a message, if this process holds it. */
  get(channel: string, group: string, messageId: string): Lease | undefined {
    return this.#byKey.get(keyOf(channel, group, messageId));
  }

  /** Removes a lease (stopping its timer) and returns it. */
  take(channel: string, group: string, messageId: string): Lease | undefined {
    const key = keyOf(channel, group, messageId);
    const lease = this.#byKey.get(key);
    if (lease === undefined) return undefined;
    this.#byKey.delete(key);
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    lease.timer = undefined;
    return lease;
  }

  /** Leases of a group matching `filter`. */
  of(channel: string, group: string, filter: (lease: Lease) => boolean = () => true): Lease[] {
    const out: Lease[] = [];
    for (const lease of this.#byKey.values()) {
      if (lease.channel === channel && lease.group === group && filter(lease)) out.push(lease);
    }
    return out;
  }

  /** Drops every lease matching `filter` (their deliveries are gone), returning them. */
  dropWhere(filter: (lease: Lease) => boolean): Lease[] {
    const dropped: Lease[] = [];
    for (const lease of [...this.#byKey.values()]) {
      if (!filter(lease)) continue;
      dropped.push(this.take(lease.channel, lease.group, lease.messageId)!);
    }
    return dropped;
  }

  /** Notes a failed delivery; returns when the first failure of the message was. */
  noteFailure(channel: string, group: string, messageId: string, now: number): number {
    const key = keyOf(channel, group, messageId);
    const first = this.#firstFailures.get(key);
    if (first !== undefined) return first;
    if (this.#firstFailures.size >= MAX_REMEMBERED_FAILURES) {
      const oldest = this.#firstFailures.keys().next().value;
      if (oldest !== undefined) this.#firstFailures.delete(oldest);
    }
    this.#firstFailures.set(key, now);
    return now;
  }

  /** Forgets a message's failures (it was acked or dead-lettered). */
  forgetFailures(channel: string, group: string, messageId: string): void {
    this.#firstFailures.delete(keyOf(channel, group, messageId));
  }

  /** Drops everything. */
  clear(): void {
    for (const lease of this.#byKey.values())
      if (lease.timer !== undefined) clearTimeout(lease.timer);
    this.#byKey.clear();
    this.#firstFailures.clear();
  }
}
