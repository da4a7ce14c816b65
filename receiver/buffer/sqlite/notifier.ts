/**
 * In-process wake-ups for waiting fetches. Each channel has a version that
 * every committed change bumps; a fetch remembers the version it looked at
 * and waits only if nothing changed since, so no wake-up is ever missed.
 */

/** Wakes fetches waiting on a channel. */
export interface Notifier {
  /** Current version of `channel`. */
  version(channel: string): number;
  /**
   * Resolves when `channel` changes after `seenVersion`, after `delayMs`, on
   * abort or on close, whichever comes first.
   */
  wait(channel: string, seenVersion: number, delayMs: number, signal?: AbortSignal): Promise<void>;
  /** Bumps the version of `channel` and wakes its waiters. */
  notify(channel: string): void;
  /** Wakes every waiter (on close). */
  wakeAll(): void;
}

/** Creates a notifier. */
export function createNotifier(): Notifier {
  const versions = new Map<string, number>();
  const waiters = new Map<string, Set<() => void>>();

  function wake(channel: string): void {
    const set = waiters.get(channel);
    if (set === undefined) return;
    waiters.delete(channel);
    for (const waiter of set) waiter();
  }

  return {
    version: (channel) => versions.get(channel) ?? 0,
    wait(channel, seenVersion, delayMs, signal) {
      if ((versions.get(channel) ?? 0) !== seenVersion || signal?.aborted === true) {
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          waiters.get(channel)?.delete(done);
          resolve();
        };
        // Without a deadline (an idle stream's fetch) only a change or the signal ends the wait.
        const timer = Number.isFinite(delayMs) ? setTimeout(done, Math.max(0, delayMs)) : undefined;
        signal?.addEventListener("abort", done, { once: true });
        let set = waiters.get(channel);
        if (set === undefined) {
          set = new Set();
          waiters.set(channel, set);
        }
        set.add(done);
      });
    },
    notify(channel) {
      versions.set(channel, (versions.get(channel) ?? 0) + 1);
      wake(channel);
    },
    wakeAll() {
      for (const channel of [...waiters.keys()]) wake(channel);
    },
  };
}
