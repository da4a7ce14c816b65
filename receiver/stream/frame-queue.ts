/**
 * A single-consumer async queue: producers push, one `for await` drains.
 * Ending it (with or without an error) finishes the iteration after the
 * queued items were taken.
 *
 * The queue is its own iterator, written out by hand rather than as an
 * async generator: an idle stream holds one of these per connection, and a
 * suspended async generator (its frame, its request queue and the promise
 * it awaits) costs several times what one pending `next()` does here.
 */
export class FrameQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  /** The consumer's pending `next()`, when it found the queue empty. */
  private waiter: PendingNext<T> | undefined;
  private ended = false;
  private failure: unknown;

  /** Number of queued items not yet taken. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item; ignored once the queue ended. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
  }

  /** Ends the queue; a given error is thrown to the consumer after the queued items. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    this.settle(waiter.resolve, waiter.reject);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) {
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    }
    return new Promise((resolve, reject) => {
      if (this.ended) this.settle(resolve, reject);
      else this.waiter = { resolve, reject };
    });
  }

  /** The consumer stopped early: nothing more is delivered. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.items.length = 0;
    this.ended = true;
    this.failure = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  /** Finishes an ended, drained queue: its error once, then done. */
  private settle(
    resolve: (result: IteratorResult<T, undefined>) => void,
    reject: (error: unknown) => void,
  ): void {
    const failure = this.failure;
    if (failure === undefined) {
      resolve(DONE);
      return;
    }
    this.failure = undefined;
    reject(failure);
  }
}

interface PendingNext<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (error: unknown) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
