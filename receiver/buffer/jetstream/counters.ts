/**
 * Channel counters (delivered, expired, dead-lettered) in the JetStream KV
 * bucket `wc_counters`, one JSON value per channel, so every replica reads
 * the same numbers. Updates are compare-and-set on the entry revision
 * (`kv.update(key, value, revision)`), retried on conflict, so concurrent
 * replicas never lose an increment. Increments of one event-loop turn are
 * coalesced into one CAS per channel; `read` first flushes this replica's
 * pending increments, so a replica always sees its own acks.
 */
import type { KV } from "@nats-io/kv";
import { countersKey } from "./names.js";

/** The counted numbers of a channel. */
export interface CounterValues {
  /** Acks applied. */
  delivered: number;
  /** Messages dropped at their TTL. */
  expired: number;
  /** Messages moved to the dead-letter queue. */
  deadLettered: number;
}

const ZERO: CounterValues = Object.freeze({ delivered: 0, expired: 0, deadLettered: 0 });
const MAX_CAS_ATTEMPTS = 50;

/** Shared counters. */
export interface Counters {
  /** Adds to a channel's counters (applied asynchronously, in order). */
  add(channel: string, delta: Partial<CounterValues>): void;
  /** Flushes pending increments, then reads the counters. */
  read(channel: string): Promise<CounterValues>;
  /** Flushes pending increments. */
  flush(): Promise<void>;
}

function parse(value: Uint8Array | undefined): CounterValues {
  if (value === undefined || value.length === 0) return { ...ZERO };
  const parsed = JSON.parse(new TextDecoder().decode(value)) as Partial<CounterValues>;
  return {
    delivered: parsed.delivered ?? 0,
    expired: parsed.expired ?? 0,
    deadLettered: parsed.deadLettered ?? 0,
  };
}

async function applyDelta(kv: KV, channel: string, delta: CounterValues): Promise<void> {
  const key = countersKey(channel);
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const entry = await kv.get(key);
    const live = entry !== null && entry.operation === "PUT";
    const current = parse(live ? entry.value : undefined);
    const next = JSON.stringify({
      delivered: current.delivered + delta.delivered,
      expired: current.expired + delta.expired,
      deadLettered: current.deadLettered + delta.deadLettered,
    });
    try {
      if (entry === null) await kv.create(key, next);
      else await kv.update(key, next, entry.revision);
      return;
    } catch (error) {
      // A concurrent writer won the revision: read again and retry.
      if (!isRevisionConflict(error)) throw error;
    }
  }
  throw new Error(`counters of '${channel}' kept conflicting after ${MAX_CAS_ATTEMPTS} attempts`);
}

function isRevisionConflict(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /wrong last sequence|key exists/i.test(message);
}

/**
 * Creates the counters over `kv`. `onError` receives failed flushes; their
 * increments stay pending and are retried with the next flush.
 */
export function createCounters(kv: KV, onError: (error: unknown) => void): Counters {
  let pending = new Map<string, CounterValues>();
  let running: Promise<void> = Promise.resolve();
  let scheduled = false;

  function flush(): Promise<void> {
    scheduled = false;
    running = running.then(async () => {
      const batch = pending;
      pending = new Map();
      for (const [channel, delta] of batch) {
        try {
          await applyDelta(kv, channel, delta);
        } catch (error) {
          const again = pending.get(channel) ?? { ...ZERO };
          again.delivered += delta.delivered;
          again.expired += delta.expired;
          again.deadLettered += delta.deadLettered;
          pending.set(channel, again);
          onError(error);
        }
      }
    });
    return running;
  }

  return {
    add(channel, delta) {
      const current = pending.get(channel) ?? { ...ZERO };
      current.delivered += delta.delivered ?? 0;
      current.expired += delta.expired ?? 0;
      current.deadLettered += delta.deadLettered ?? 0;
      pending.set(channel, current);
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    },
    async read(channel) {
      await flush();
      const entry = await kv.get(countersKey(channel));
      const live = entry !== null && entry.operation === "PUT";
      const stored = parse(live ? entry.value : undefined);
      const unflushed = pending.get(channel) ?? ZERO;
      return {
        delivered: stored.delivered + unflushed.delivered,
        expired: stored.expired + unflushed.expired,
        deadLettered: stored.deadLettered + unflushed.deadLettered,
      };
    },
    flush,
  };
}
