/**
 * A counting semaphore with an adjustable limit: the connector's delivery
 * slots. The limit changes per session (the welcome's max_in_flight),
 * while deliveries of an earlier session still hold their slots.
 */

/** Delivery slots. */
export interface Slots {
  /** Waits for a free slot; resolves false if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<boolean>;
  /** Frees a slot. */
  release(): void;
  /** Changes the limit; waiters proceed if it grew. */
  setLimit(limit: number): void;
  /** Slots in use. */
  readonly used: number;
  /** Resolves when no slot is in use. */
  idle(): Promise<void>;
}

/** Creates Slots with `limit` slots. */
export function createSlots(limit: number): Slots {
  let max = limit;
  let used = 0;
  const waiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];
  const wakeNext = () => {
    while (used < max && waiters.length > 0) waiters.shift()?.();
  };
  return {
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(false);
      if (used < max && waiters.length === 0) {
        used++;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const grant = () => {
          signal.removeEventListener("abort", cancel);
          used++;
          resolve(true);
        };
        const cancel = () => {
          const index = waiters.indexOf(grant);
          if (index >= 0) waiters.splice(index, 1);
          resolve(false);
        };
        waiters.push(grant);
        signal.addEventListener("abort", cancel, { once: true });
      });
    },
    release() {
      used--;
      wakeNext();
      if (used === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    },
    setLimit(limit) {
      max = limit;
      wakeNext();
    },
    get used() {
      return used;
    },
    idle() {
      if (used === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
