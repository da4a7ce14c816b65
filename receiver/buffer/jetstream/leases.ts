/**
 * Leases this replica handed out, in memory: the JetStream ack subject of
 * each delivery keyed by (channel, group, message_id) and by consumer id, so
 * ack/nack/release can settle them. After a retry nack or a release the
 * entry stays as "waiting" until it is redelivered, so stats can report it
 * as pending: JetStream itself counts a message waiting for its redelivery
 * as ack-pending.
 */
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";

/** One delivery leased by this replica. */
export interface Lease {
  /** Channel. */
  readonly channel: string;
  /** Group. */
  readonly group: string;
  /** Message id. */
  readonly messageId: string;
  /** Connection holding the lease. */
  readonly consumerId: string;
  /** JetStream ack subject (`$JS.ACK.…`) of this delivery. */
  readonly ackSubject: string;
  /** Stream sequence. */
  readonly streamSeq: number;
  /** Delivery attempt (JetStream delivery count). */
  readonly attempt: number;
  /** The message as delivered. */
  readonly message: WebhookMessage;
  /** When the lease runs out (ms since epoch). */
  readonly leaseExpiresAt: number;
  /** When a delivery of this message first failed, if known here (ms since epoch). */
  readonly firstFailedAt: number | undefined;
  /** Set once the lease was nacked for retry or released: redelivery is pending. */
  waitingUntil: number | undefined;
}

/** How long a settled id is remembered, so a repeated ack answers not_found at once. */
const SETTLED_MEMORY_MS = 10 * 60_000;

function keyOf(channel: string, group: string, messageId: string): string {
  return `${channel}\u0000${group}\u0000${messageId}`;
}

/** The lease registry of one buffer. */
export class LeaseRegistry {
  readonly #byKey = new Map<string, Lease>();
  readonly #byConsumer = new Map<string, Set<string>>();
  readonly #settled = new Map<string, number>();
  readonly #firstFailures = new Map<string, number>();

  /** Registers a delivery, replacing an older lease of the same message. */
  add(lease: Omit<Lease, "firstFailedAt" | "waitingUntil">, now: number): Lease {
    const key = keyOf(lease.channel, lease.group, lease.messageId);
    this.#drop(key);
    this.#settled.delete(key);
    if (lease.attempt > 1 && !this.#firstFailures.has(key)) this.#firstFailures.set(key, now);
    const full: Lease = {
      ...lease,
      firstFailedAt: this.#firstFailures.get(key),
      waitingUntil: undefined,
    };
    this.#byKey.set(key, full);
    let set = this.#byConsumer.get(lease.consumerId);
    if (set === undefined) {
      set = new Set();
      this.#byConsumer.set(lease.consumerId, set);
    }
    set.add(key);
    return full;
  }

  /** The current lease of a message, if this replica holds it. */
  get(channel: string, group: string, messageId: string): Lease | undefined {
    const lease = this.#byKey.get(keyOf(channel, group, messageId));
    return lease?.waitingUntil === undefined ? lease : undefined;
  }

  /** true when the message was settled here recently. */
  recentlySettled(channel: string, group: string, messageId: string): boolean {
    return this.#settled.has(keyOf(channel, group, messageId));
  }

  /** Records the first failure of a message (first nack). */
  noteFailure(lease: Lease, now: number): number {
    const key = keyOf(lease.channel, lease.group, lease.messageId);
    const first = this.#firstFailures.get(key) ?? lease.firstFailedAt ?? now;
    this.#firstFailures.set(key, first);
    return first;
  }

  /** Marks a lease as waiting for its redelivery at `until`. */
  markWaiting(lease: Lease, until: number): void {
    lease.waitingUntil = until;
    this.#byConsumer
      .get(lease.consumerId)
      ?.delete(keyOf(lease.channel, lease.group, lease.messageId));
  }

  /** Forgets a lease for good (acked, dead-lettered, expired). */
  settle(lease: Lease, now: number): void {
    const key = keyOf(lease.channel, lease.group, lease.messageId);
    this.#drop(key);
    this.#firstFailures.delete(key);
    this.#settled.set(key, now);
  }

  /** Forgets a lease without recording a settlement (the message is gone or handed back). */
  forget(channel: string, group: string, messageId: string): void {
    this.#drop(keyOf(channel, group, messageId));
  }

  /** Leases a consumer holds in (channel, group). */
  ofConsumer(channel: string, group: string, consumerId: string): Lease[] {
    const leases: Lease[] = [];
    for (const key of this.#byConsumer.get(consumerId) ?? []) {
      const lease = this.#byKey.get(key);
      if (lease !== undefined && lease.channel === channel && lease.group === group) {
        leases.push(lease);
      }
    }
    return leases;
  }

  /**
   * Messages of (channel, group) that JetStream counts as ack-pending but
   * that wait for a redelivery: nacked or released ones, and run-out leases.
   */
  waitingCount(channel: string, group: string, now: number): number {
    let count = 0;
    for (const lease of this.#byKey.values()) {
      if (lease.channel !== channel || lease.group !== group) continue;
      if (lease.waitingUntil !== undefined || lease.leaseExpiresAt <= now) count++;
    }
    return count;
  }

  /**
   * Drops entries nobody can use any more: leases whose redelivery was due
   * (or whose lease ran out) more than `graceMs` ago — the redelivery went
   * to some consumer by then — and old settled ids.
   */
  prune(now: number, graceMs: number): void {
    for (const [key, lease] of this.#byKey) {
      const due = lease.waitingUntil ?? lease.leaseExpiresAt;
      if (due + graceMs < now) this.#drop(key);
    }
    for (const [key, at] of this.#settled) {
      if (at + SETTLED_MEMORY_MS < now) this.#settled.delete(key);
    }
    for (const [key, at] of this.#firstFailures) {
      if (!this.#byKey.has(key) && at + SETTLED_MEMORY_MS < now) this.#firstFailures.delete(key);
    }
  }

  /** Forgets every lease of a channel. */
  clear(): void {
    this.#byKey.clear();
    this.#byConsumer.clear();
  }

  #drop(key: string): void {
    const lease = this.#byKey.get(key);
    if (lease === undefined) return;
    this.#byKey.delete(key);
    const set = this.#byConsumer.get(lease.consumerId);
    set?.delete(key);
    if (set?.size === 0) this.#byConsumer.delete(lease.consumerId);
  }
}
