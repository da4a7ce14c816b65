/**
 * A single-consumer async queue: producers push, one consumer iterates.
 * Used for the request side of a bidi stream, where frames are produced
 * by acks and timers rather than by a loop.
 */

/** A push-based AsyncIterable. */
export interface FrameQueue<T> extends AsyncIterable<T> {
  /** Appends an item; ignored after end(). */
  push(item: T): void;
  /** Ends the iteration after the queued items. */
  end(): void;
  /** Drops the queued items. */
  clear(): void;
  /** True once end() was called. */
  readonly ended: boolean;
}

/** Creates an empty FrameQueue. */
export function createFrameQueue<T>(): FrameQueue<T> {
  const items: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(item) {
      if (ended) return;
      items.push(item);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    clear() {
      items.length = 0;
    },
    get ended() {
      return ended;
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        const item = items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
