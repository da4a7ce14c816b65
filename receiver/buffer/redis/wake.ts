/**
 * Wakes waiting fetches: the scripts PUBLISH on a channel's `n` pub/sub
 * channel when a message arrives or a slot frees up, and every receiver
 * subscribed to it tries its waiting fetches of that channel again. A wake
 * is armed before the fetch script runs, so an announcement that arrives
 * in between is not missed. Without pub/sub (its connection is down) a
 * waiting fetch still looks again after its poll interval.
 */
import type { Redis } from "ioredis";
import { notifyChannel } from "./names.js";

/** One armed wake-up. */
export interface Wake {
  /** Resolves on an announcement since arming, after `ms`, or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  /** Disarms it. */
  cancel(): void;
}

/** The wake-ups of one buffer. */
export interface Wakes {
  /** Subscribes to a channel's announcements (idempotent). */
  watch(channel: string): Promise<void>;
  /** Arms a wake-up for a channel. */
  arm(channel: string): Wake;
  /** Closes the subscriber connection. */
  close(): void;
}

/** Listens for announcements on `subscriber` (a connection of its own). */
export function createWakes(subscriber: Redis): Wakes {
  const listeners = new Map<string, Set<() => void>>();
  const watched = new Set<string>();
  subscriber.on("message", (name: string) => {
    const set = listeners.get(name);
    if (set !== undefined) for (const listener of [...set]) listener();
  });

  return {
    async watch(channel) {
      const name = notifyChannel(channel);
      if (watched.has(name)) return;
      watched.add(name);
      await subscriber.subscribe(name);
    },

    arm(channel) {
      const name = notifyChannel(channel);
      let fired = false;
      let resolveWait: (() => void) | undefined;
      const listener = () => {
        fired = true;
        resolveWait?.();
      };
      let set = listeners.get(name);
      if (set === undefined) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener);
      const cancel = () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(name);
      };
      return {
        cancel,
        wait(ms, signal) {
          if (fired || signal?.aborted === true) {
            cancel();
            return Promise.resolve();
          }
          return new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal?.removeEventListener("abort", done);
              cancel();
              resolve();
            };
            const timer = setTimeout(done, Math.max(0, ms));
            resolveWait = done;
            signal?.addEventListener("abort", done, { once: true });
          });
        },
      };
    },

    close() {
      listeners.clear();
      subscriber.disconnect();
    },
  };
}
