/**
 * A bounded, time-limited record of the chain items that already succeeded
 * for a message_id, so a redelivered message does not re-run them (SPEC §8).
 * In memory: a restarted connector re-runs items, which at-least-once
 * delivery allows and idempotent modules absorb.
 */

/** Options of {@link CompletionRecord}. */
export interface CompletionRecordOptions {
  /** Most (message_id, item) pairs kept; the oldest go first. @default 100000 */
  readonly maxEntries?: number;
  /** How long a pair is remembered, in ms. @default 86400000 (24 h, the default message TTL) */
  readonly ttlMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** Remembers completed (message_id, item) pairs. */
export class CompletionRecord {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: CompletionRecordOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#ttlMs = options.ttlMs ?? 86_400_000;
    this.#now = options.now ?? Date.now;
  }

  static #key(messageId: string, item: string): string {
    return `${messageId}\u0000${item}`;
  }

  /** Whether `item` succeeded for `messageId` within the TTL. */
  has(messageId: string, item: string): boolean {
    const key = CompletionRecord.#key(messageId, item);
    const at = this.#entries.get(key);
    if (at === undefined) return false;
    if (this.#now() - at >= this.#ttlMs) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  /** Records that `item` succeeded for `messageId`. */
  add(messageId: string, item: string): void {
    const key = CompletionRecord.#key(messageId, item);
    this.#entries.delete(key);
    this.#entries.set(key, this.#now());
    this.#evict();
  }

  /** Number of pairs currently held. */
  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    const now = this.#now();
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, at] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && now - at < this.#ttlMs) break;
      this.#entries.delete(key);
    }
  }
}
